// The named pipelines users run: each one validates as shipped, the README's
// default pipeline ends by itself with every flow in the CSV, and the
// labelled dataset has each attack's flows in its window.
#include "process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <vector>

namespace fs = std::filesystem;
using namespace sluice::testing;
using ::testing::HasSubstr;

namespace {

std::vector<std::string> shipped_pipelines() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(SLUICE_SOURCE_DIR "/pipelines"))
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class ShippedPipeline : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedPipeline, ValidatesByNameFromAnyFolder) {
  TempDir dir;  // not the source tree: found in the build's share/sluice/pipelines
  const auto r = run_sluice({"validate", GetParam()}, {.cwd = dir.path(), .env = {{"SLUICE_PLUGIN_PATH", ""}}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("valid"));
}

INSTANTIATE_TEST_SUITE_P(All, ShippedPipeline, ::testing::ValuesIn(shipped_pipelines()), [](const auto& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
});

TEST(GenToCsv, EndsByItselfWithEveryFlowSentInTheCsv) {
  TempDir dir;
  const unsigned short port = free_udp_port();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  const auto r = run_sluice({"run", "gen-to-csv", "--stats-interval", "0", "--set", "sources.gen.count=50000", "--set",
                             "sinks.wire.target=" + target, "--set", "sources.collector.listen=" + target},
                            {.cwd = dir.path(), .env = {}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file(dir / "flows.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 50001) << "a header and every flow";
  EXPECT_THAT(r.err, HasSubstr("50000 flows written to flows.csv"));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("127.0.0.1 +9 +0 +[0-9]+ +50000 +0 +0 +0"))
      << "the collector's table: 50000 records, no sequence errors, none lost, none malformed";

  // A second run replaces the file, as `> flows.csv` would.
  const auto again = run_sluice({"run", "gen-to-csv", "--stats-interval", "0", "--set", "sources.gen.count=10", "--set",
                                 "sinks.wire.target=" + target, "--set", "sources.collector.listen=" + target},
                                {.cwd = dir.path(), .env = {}});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const std::string second = read_file(dir / "flows.csv");
  EXPECT_EQ(std::count(second.begin(), second.end(), '\n'), 11);
}

// pipelines/dataset.toml at a lighter background: the seven scenarios'
// labels, each on flows that start inside the window the file gives it.
TEST(Dataset, EachLabelLandsInItsScenariosWindow) {
  TempDir dir;
  const auto r = run_sluice({"run", "dataset", "--stats-interval", "0", "--set", "sources.gen.rate=2"},
                            {.cwd = dir.path(), .env = {}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  constexpr std::uint64_t start_ms = 1'795'392'000'000;  // clock_start, 2026-11-23T00:00:00Z
  // label: its window in minutes of the day, as the file sets them.
  const std::map<int, std::pair<int, int>> windows = {{7, {0, 1440}},   {1, {130, 132}}, {5, {240, 250}},
                                                      {2, {630, 631}},  {3, {795, 797}}, {6, {1180, 1210}},
                                                      {4, {1265, 1266}}};
  std::map<int, std::size_t> per_label;
  std::vector<std::size_t> background_per_hour(24);
  std::ifstream in(dir / "dataset.csv");
  std::string line;
  std::getline(in, line);
  ASSERT_TRUE(line.starts_with("first,") && line.ends_with(",label")) << line;
  while (std::getline(in, line)) {
    const int label = std::stoi(line.substr(line.rfind(',') + 1));
    ++per_label[label];
    const std::uint64_t first = std::stoull(line.substr(0, line.find(',')));
    if (label == 0) {
      if (first >= start_ms && first < start_ms + 86'400'000) ++background_per_hour[(first - start_ms) / 3'600'000];
      continue;
    }
    ASSERT_TRUE(windows.contains(label)) << line;
    const auto [from, to] = windows.at(label);
    ASSERT_GE(first, start_ms + from * 60'000ULL) << line;
    ASSERT_LT(first, start_ms + to * 60'000ULL) << line;
  }
  // `rate` is the average over the diurnal week, whose weekend days weigh 0.6
  // of a weekday: a Monday holds 7 / 6.2 of an average day.
  const double monday = 2 * 86400 * 7 / 6.2;
  EXPECT_NEAR(static_cast<double>(per_label[0]), monday, monday / 10) << "the background at rate 2";
  for (const auto& [label, window] : windows) EXPECT_GT(per_label[label], 0u) << "label " << label;
  EXPECT_LT(background_per_hour[3] * 2, background_per_hour[14]) << "a diurnal day: 03:00 quieter than 14:00";
}

}  // namespace
