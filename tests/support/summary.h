// The end-of-run summary a test reads: what `sluice run --summary json`
// printed as its last line on stderr, parsed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::testing {

struct ComponentSummary {
  std::string id, plugin, kind;
  std::uint64_t records_in = 0, records_out = 0, dropped = 0, lost = 0, errors = 0, retries = 0;
  std::map<std::string, std::uint64_t> lost_by_reason;  // "drain timeout", "sink failed"...
  std::string report;                                   // the plugin's own lines
};

struct PathSummary {
  std::vector<std::string> sources, sinks;
  std::uint64_t records = 0;
};

struct RunSummary {
  double wall_time_s = 0;
  bool failed = false;
  std::vector<ComponentSummary> components;
  std::vector<PathSummary> paths;

  // The component of that id; throws std::out_of_range if there is none.
  const ComponentSummary& component(const std::string& id) const;
};

// The summary in a run's stderr; nullopt if it printed none (or not as JSON).
std::optional<RunSummary> parse_summary(const std::string& err);

}  // namespace sluice::testing
