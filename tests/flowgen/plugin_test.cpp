// The generator plugin through the CLI: a simulated clock gives the same CSV
// byte for byte on every run, spreads a week of flows over the week whatever
// the speedup, paces to the speedup, runs the pipeline file's scenarios in
// their windows, and names the key of a bad option.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "process.h"
#include "sanitized.h"

namespace sluice::flowgen {
namespace {

using sluice::testing::ProcessResult;
using sluice::testing::TempDir;
using ::testing::HasSubstr;

class GeneratorPlugin : public ::testing::Test {
 protected:
  TempDir dir;

  ProcessResult run(const std::string& generator_keys, const std::string& csv) {
    const auto pipeline = dir.write("pipeline.toml", "[sources.gen]\nplugin = \"generator\"\n" + generator_keys +
                                                         "\n[sinks.csv]\nplugin = \"csv_writer\"\ninputs = "
                                                         "[\"gen\"]\ntime_format = \"epoch_ms\"\nfields = [\"first\", "
                                                         "\"last\", \"src_addr\", \"dst_addr\", \"src_port\", "
                                                         "\"dst_port\", \"proto\", \"tcp_flags\", \"packets\", "
                                                         "\"bytes\", \"exporter\", \"label\"]\npath = \"" +
                                                         (dir / csv).string() + "\"\n");
    return sluice::testing::run_sluice({"run", pipeline.string(), "--stats-interval", "0"});
  }

  // first_ms of every row.
  std::vector<std::uint64_t> starts(const std::string& csv) {
    std::ifstream in(dir / csv);
    std::string line;
    std::getline(in, line);  // header
    std::vector<std::uint64_t> out;
    while (std::getline(in, line)) out.push_back(std::stoull(line.substr(0, line.find(','))));
    return out;
  }
};

// A week at half a flow a simulated second (300k flows; 60k under the
// sanitizers), as fast as the pipeline takes them.
const std::string week = std::string("rate = ") + (testing::sanitized ? "0.1" : "0.5") + R"(
rate_profile = "diurnal"
clock_start = "2026-11-23T00:00:00Z"
duration = "7d"
speedup = 0
seed = 9
)";
constexpr std::uint64_t monday_ms = 1'795'392'000'000;
constexpr std::uint64_t week_ms = 7 * 86'400'000;

TEST_F(GeneratorPlugin, SameSeedAndConfigSameCsvByteForByte) {
  const auto first = run(week, "a.csv");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto second = run(week, "b.csv");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto a = sluice::testing::read_file(dir / "a.csv");
  EXPECT_GT(a.size(), 1'000'000u);
  EXPECT_TRUE(a == sluice::testing::read_file(dir / "b.csv"));
  const auto other = run(week + "exporters = 2\n", "c.csv");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_FALSE(a == sluice::testing::read_file(dir / "c.csv"));
}

TEST_F(GeneratorPlugin, AWeekOfFlowsSpreadOverTheWeek) {
  const auto result = run(week, "week.csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto times = starts("week.csv");
  ASSERT_FALSE(times.empty());
  std::vector<std::size_t> per_day(7);
  for (std::uint64_t t : times) {
    ASSERT_GE(t + 1'800'000, monday_ms) << "no flow started before the clock, but the active timeout's worth";
    ASSERT_LT(t, monday_ms + week_ms);
    if (t >= monday_ms) ++per_day[(t - monday_ms) / 86'400'000];
  }
  for (std::size_t d = 0; d < 7; ++d) EXPECT_GT(per_day[d], testing::sanitized ? 3'000u : 15'000u) << "day " << d;
  EXPECT_LT(per_day[6], per_day[2] * 7 / 10) << "Sunday is quieter than Wednesday";
}

TEST_F(GeneratorPlugin, PacedToTheSpeedup) {
  // A simulated day at 43200 simulated seconds a real second takes 2 s.
  const auto started = std::chrono::steady_clock::now();
  const auto result =
      run("rate = 1\nduration = \"1d\"\nspeedup = 43200\nclock_start = \"2026-11-23T00:00:00Z\"\n", "paced.csv");
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GE(took, std::chrono::milliseconds(1900));
  const auto times = starts("paced.csv");
  EXPECT_NEAR(static_cast<double>(times.size()), 86400, 3 * 294) << "Poisson: 86400 +- 3 sigma";
}

// Ten simulated minutes: a port scan (its own label) and a SYN flood (the
// kind's default label and intensity) in their windows over the background.
TEST_F(GeneratorPlugin, ScenariosOfThePipelineFileLabelTheirFlowsInTheirWindows) {
  const auto result = run(R"(rate = 50
clock_start = "2026-11-23T00:00:00Z"
duration = "10m"
speedup = 0
seed = 3
[[sources.gen.scenarios]]
kind = "port_scan"
start = "2m"
duration = "1m"
intensity = 200
label = 11
[[sources.gen.scenarios]]
kind = "syn_flood"
start = "5m"
)",
                          "labelled.csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::ifstream in(dir / "labelled.csv");
  std::string line;
  std::getline(in, line);
  ASSERT_TRUE(line.ends_with(",label")) << line;
  std::map<int, std::size_t> per_label;
  while (std::getline(in, line)) {
    const int label = std::stoi(line.substr(line.rfind(',') + 1));
    const std::uint64_t first = std::stoull(line.substr(0, line.find(',')));
    ++per_label[label];
    if (label == 11) {
      ASSERT_GE(first, monday_ms + 120'000) << line;
      ASSERT_LT(first, monday_ms + 180'000) << line;
    } else if (label == 2) {
      ASSERT_GE(first, monday_ms + 300'000) << line;
      ASSERT_LT(first, monday_ms + 360'000) << line;
    }
  }
  EXPECT_EQ(per_label.size(), 3u) << "background (0), the scan (11), the flood (2)";
  // Means over the window (a compound Poisson count: 10% is several sigma).
  EXPECT_NEAR(static_cast<double>(per_label[0]), 50 * 600, 3'000);
  EXPECT_NEAR(static_cast<double>(per_label[11]), 200 * 60, 1'200);
  EXPECT_NEAR(static_cast<double>(per_label[2]), 1000 * 60, 6'000) << "syn_flood's defaults: 1000/s for 1m";
}

TEST_F(GeneratorPlugin, ABadScenarioIsNamedWithItsIndexKeyAndLine) {
  const auto check = [&](const std::string& keys, const std::string& expected) {
    const auto pipeline =
        dir.write("bad.toml", "[sources.gen]\nplugin = \"generator\"\n" + keys +
                                  "[sinks.csv]\nplugin = \"csv_writer\"\ninputs = [\"gen\"]\npath = \"x.csv\"\n");
    const auto result = sluice::testing::run_sluice({"validate", pipeline.string()});
    EXPECT_EQ(result.exit_code, 78) << keys;
    EXPECT_THAT(result.err, HasSubstr(expected)) << keys;
    EXPECT_THAT(result.err, HasSubstr("(1 problem)")) << "a bad value is not also missing: " << result.err;
  };
  const std::string scan = "[[sources.gen.scenarios]]\nkind = \"port_scan\"\n";
  check("rate = 10\n" + scan + "[[sources.gen.scenarios]]\nkind = \"beaconing\"\nscan = \"vertical\"\n",
        "bad.toml:8:8: sources.gen.scenarios[1].scan: plugin generator: is not a key of beaconing");
  check("rate = 10\n" + scan + "ports = \"0-3\"\n",
        "bad.toml:6:9: sources.gen.scenarios[0].ports: plugin generator: \"0\" is not a port");
  check("rate = 10\n[[sources.gen.scenarios]]\nkind = \"worm\"\n",
        "bad.toml:5:8: sources.gen.scenarios[0].kind: \"worm\" is not one of");
  check("rate = 10\n[[sources.gen.scenarios]]\nstart = \"1m\"\n",
        "sources.gen.scenarios[0].kind: missing required option");
  check(scan, "sources.gen.scenarios: plugin generator: need a rate");
  check("rate = 10\nsubnets = [\"10.0.0.0/8\"]\nipv6_ratio = 0\n" + scan + "attacker = \"2001:db8::1\"\n",
        "sources.gen.scenarios[0]: plugin generator:");
}

// Two instances of one generator make different flows, not the same twice.
TEST_F(GeneratorPlugin, InstancesMakeDifferentFlows) {
  const auto result = run("count = 2000\ninstances = 2\n", "two.csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::ifstream in(dir / "two.csv");
  std::string line;
  std::getline(in, line);
  std::size_t rows = 0;
  std::set<std::string> flows;  // the row without its times
  while (std::getline(in, line)) {
    ++rows;
    std::istringstream cells(line);
    std::string cell, key;
    for (int column = 0; std::getline(cells, cell, ','); ++column)
      if (column >= 2) key += cell + ",";
    flows.insert(key);
  }
  EXPECT_EQ(rows, 4000u);
  EXPECT_GT(flows.size(), 3'950u) << "the instances' flows differ";
}

TEST_F(GeneratorPlugin, BadTimeOptionsNameTheirKey) {
  const struct {
    std::string keys, key;
  } cases[] = {
      {"rate = 10\nrate_profile = \"weekly\"\n", "sources.gen.rate_profile"},
      {"rate = 10\nrate_profile = \"1,2,3\"\n", "sources.gen.rate_profile"},
      {"rate_profile = \"diurnal\"\n", "sources.gen.rate_profile"},
      {"speedup = 60\n", "sources.gen.speedup"},
      {"rate = 10\nspeedup = -1\n", "sources.gen.speedup"},
      {"active_timeout = \"0s\"\n", "sources.gen.active_timeout"},
  };
  for (const auto& c : cases) {
    const auto pipeline =
        dir.write("bad.toml", "[sources.gen]\nplugin = \"generator\"\n" + c.keys +
                                  "[sinks.csv]\nplugin = \"csv_writer\"\ninputs = [\"gen\"]\npath = \"x.csv\"\n");
    const auto result = sluice::testing::run_sluice({"validate", pipeline.string()});
    EXPECT_EQ(result.exit_code, 78) << c.keys;
    EXPECT_THAT(result.err, HasSubstr(c.key)) << c.keys;
  }
}

}  // namespace
}  // namespace sluice::flowgen
