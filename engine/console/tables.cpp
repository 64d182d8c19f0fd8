#include "console/tables.h"

#include <sluice/clock.h>

#include <stdexcept>

namespace sluice::engine::console {

void PublishedTables::publish(std::string_view component, std::string_view name,
                              std::span<const std::string_view> columns, std::size_t key_columns,
                              std::span<const std::string_view> cells) {
  if (columns.empty() || cells.size() % columns.size() != 0 || key_columns >= columns.size())
    throw std::invalid_argument("publish_table: " + std::string(name) +
                                ": cells must fill whole rows, and a column must be left after the key columns");
  Version version{.time_ms = static_cast<std::int64_t>(now_ms()), .cells = {cells.begin(), cells.end()}};
  std::lock_guard lock(mutex_);
  Table* table = nullptr;
  for (Table& t : tables_)
    if (t.component == component && t.name == name) table = &t;
  if (!table) {
    table = &tables_.emplace_back();
    table->component = component;
    table->name = name;
  }
  table->columns.assign(columns.begin(), columns.end());
  table->key_columns = key_columns;
  table->versions.push_back(std::move(version));
  if (table->versions.size() > versions_kept) table->versions.pop_front();
}

void PublishedTables::write(Json& json) const {
  std::lock_guard lock(mutex_);
  json.begin_array();
  for (const Table& t : tables_) {
    json.begin_object().field("component", t.component).field("name", t.name);
    json.key("columns").begin_array();
    for (const auto& c : t.columns) json.value(c);
    json.end_array().field("key_columns", static_cast<std::uint64_t>(t.key_columns));
    json.key("versions").begin_array();
    for (const Version& v : t.versions) {
      json.begin_object().field("time_ms", v.time_ms).key("rows").begin_array();
      for (std::size_t row = 0; row < v.cells.size(); row += t.columns.size()) {
        json.begin_array();
        for (std::size_t c = 0; c < t.columns.size(); ++c) json.value(v.cells[row + c]);
        json.end_array();
      }
      json.end_array().end_object();
    }
    json.end_array().end_object();
  }
  json.end_array();
}

}  // namespace sluice::engine::console
