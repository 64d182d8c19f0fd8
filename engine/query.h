// `sluice query`: nfdump 1.7's command line as a pipeline of the shipped
// plugins (binary_reader -> filter -> aggregate -> csv_writer / text_writer).
// It only maps options to plugin names and option values; the plugins know
// the flows.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sluice::engine {

// An option sluice does not take (yet), or one used wrongly: exit 64.
class QueryUsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Query {
  std::string pipeline;         // TOML
  bool print_pipeline = false;  // --pipeline: print it instead of running it
  bool help = false;
};

// The arguments after `query`. Throws QueryUsageError.
Query parse_query(std::span<const std::string_view> args);

// What `sluice query --help` prints.
std::string query_help();

}  // namespace sluice::engine
