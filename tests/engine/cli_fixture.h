// The engine through the real CLI and the real loader: a fixture that runs
// sluice with the test plugins in a fresh folder.
#pragma once

#include "process.h"
#include "summary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sluice::testing {

class Cli : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path marker = dir / "started";
  std::filesystem::path tally = dir / "tally.txt";

  ProcessOptions options() const { return {.cwd = dir.path(), .env = {{"MARKER", marker}, {"TALLY", tally}}}; }

  std::vector<std::string> args(const std::string& verb, const std::string& toml, std::vector<std::string> extra = {}) {
    const std::filesystem::path file = dir.write("pipeline.toml", toml);
    std::vector<std::string> a{verb, file.string(), "--plugin-dir", SLUICE_TEST_PLUGIN_DIR};
    if (verb == "run") a.insert(a.end(), {"--stats-interval", "0"});
    // Tests read the summary as JSON, unless one asks for the table.
    if (verb == "run" && std::find(extra.begin(), extra.end(), "--summary") == extra.end())
      a.insert(a.end(), {"--summary", "json"});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  ProcessResult run(const std::string& toml, std::vector<std::string> extra = {}) {
    return run_sluice(args("run", toml, std::move(extra)), options());
  }

  std::unique_ptr<Process> start(const std::string& toml) {
    auto a = args("run", toml);
    a.insert(a.begin(), sluice_exe());
    return std::make_unique<Process>(a, options());
  }

  std::string tally_text() const { return read_file(tally); }
};

enum Column { records_in, records_out, dropped, lost, errors };

// The number in `column` of `component`'s row of the JSON summary; ~0 if
// the run printed none or the component is not in it.
inline std::uint64_t summary_cell(const std::string& err, const std::string& component, Column column) {
  const auto summary = parse_summary(err);
  if (!summary) return ~0ull;
  for (const auto& c : summary->components) {
    if (c.id != component) continue;
    switch (column) {
      case records_in: return c.records_in;
      case records_out: return c.records_out;
      case dropped: return c.dropped;
      case lost: return c.lost;
      case errors: return c.errors;
    }
  }
  return ~0ull;
}

inline const std::string counting_to_tally = R"([sources.src]
plugin = "counting_source"
count = 10000
batch_size = 100
marker = "${MARKER}"

[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
output = "${TALLY}"
)";

}  // namespace sluice::testing
