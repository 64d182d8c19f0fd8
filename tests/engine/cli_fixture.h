// The engine through the real CLI and the real loader: a fixture that runs
// sluice with the test plugins in a fresh folder.
#pragma once

#include "process.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <regex>
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

// The number in `column` of `component`'s row of the summary table.
inline std::uint64_t summary_cell(const std::string& err, const std::string& component, Column column) {
  std::regex row("(^|\n)" + component + R"(\s+\S+\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+))");
  std::smatch m;
  if (!std::regex_search(err, m, row)) return ~0ull;
  std::string cell = m[2 + column];
  std::erase(cell, ',');
  return cell == "-" ? 0 : std::stoull(cell);
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
