// The small tables plugins publish for the console (Host::publish_table):
// the last few versions of each, copied in under a lock by whichever thread
// publishes, read by the console's requests.
#pragma once

#include "console/json.h"

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::engine::console {

class PublishedTables {
 public:
  // Versions kept per table: what the console's chart shows.
  static constexpr std::size_t versions_kept = 15;

  // Throws std::invalid_argument for no columns or cells that do not fill
  // whole rows.
  void publish(std::string_view component, std::string_view name, std::span<const std::string_view> columns,
               std::size_t key_columns, std::span<const std::string_view> cells);

  // [{component, name, columns, key_columns, versions: [{time_ms, rows: [[cell...]...]}...]}...]
  void write(Json& json) const;

 private:
  struct Version {
    std::int64_t time_ms = 0;
    std::vector<std::string> cells;
  };
  struct Table {
    std::string component;
    std::string name;
    std::vector<std::string> columns;
    std::size_t key_columns = 0;
    std::deque<Version> versions;  // oldest first
  };

  mutable std::mutex mutex_;
  std::vector<Table> tables_;  // in the order they first appeared
};

}  // namespace sluice::engine::console
