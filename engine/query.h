// `sluice query`: nfdump 1.7's command line as a pipeline of the shipped
// plugins (binary_reader -> filter -> aggregate -> csv_writer / text_writer).
// It only maps options to plugin names and option values; the plugins know
// the flows.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "metrics_registry.h"

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
  bool epilogue = false;               // nfdump's lines after a text layout without -q (query_epilogue)
  bool file_statistics = false;        // -I: the files' statistics records instead (query_file_statistics)
  std::optional<std::uint64_t> limit;  // -c
  bool live = false;                   // --listen: flows from collectors, not files
  std::optional<std::chrono::milliseconds> run_for;  // --for: then the collectors stop
  // Several -s: the files the tables are written to, to print in this order
  // after the run (each sink writes its own; stdout would mix them).
  std::vector<std::string> tables;
};

// The metrics of the finished run.
using MetricValues = std::span<const MetricsRegistry::Value>;

// nfdump's "Time window" and "Total flows processed" lines, from what the
// run's reader and filter counted. With -c nfdump stops reading at the
// flow that reached the limit; sluice reads on to the end of the batch, so
// behind a filter the flows processed may be more than nfdump says.
std::string query_epilogue(const Query& query, MetricValues metrics);

// When a live query listened, in milliseconds since the epoch.
struct Listened {
  std::uint64_t from_ms = 0, until_ms = 0;
};

// After a live query's table or flows, as query_epilogue after a file's:
// when it listened, the flows received and passed, the datagrams, the
// exporters (or sFlow agents) they came from, and what was malformed or
// dropped by the kernel.
std::string query_live_epilogue(const Query& query, MetricValues metrics, Listened listened);

// nfdump -I: the files' statistics records summed by the reader, as nfdump
// prints them, with the first file's ident.
std::string query_file_statistics(MetricValues metrics);

// The arguments after `query`; tables go to files in `scratch`, a folder
// the caller makes (and removes) when tables is not empty. Throws QueryUsageError.
Query parse_query(std::span<const std::string_view> args, const std::filesystem::path& scratch);

// What `sluice query --help` prints.
std::string query_help();

}  // namespace sluice::engine
