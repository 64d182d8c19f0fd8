// The filter and aggregate plugins through the sluice CLI: what they keep and
// sum equals what the libraries compute on the same generated flows; bins
// close on time without traffic; max_keys overflow is counted; bad options
// are configuration errors that point at the place.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

#include "process.h"
#include "sluice/aggregation/aggregator.h"
#include "sluice/flowfilter/filter.h"
#include "sluice/flowgen/flow_generator.h"
#include "sluice/net/address.h"

namespace sluice::test {
namespace {

using testing::TempDir;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<FlowRecord> generated(std::size_t count, std::uint64_t seed) {
  std::vector<FlowRecord> flows;
  flowgen::FlowGenerator({.seed = seed}).generate(count, 1'795'000'000'000, flows);
  return flows;
}

TEST(FilterPlugin, KeepsWhatTheLibraryKeeps) {
  TempDir dir;
  const std::string expression = "proto tcp and bytes > 1k or proto icmp6 or net 2001:db8::/33";
  const auto pipeline = dir.write("filter.toml", R"(
[sources.gen]
plugin = "generator"
count = 20000
seed = 4
batch_size = 700

[transforms.kept]
plugin = "filter"
inputs = ["gen"]
expression = ")" + expression + R"("

[sinks.csv]
plugin = "csv_writer"
inputs = ["kept"]
path = ")" + (dir / "kept.csv").string() + R"("
fields = ["src_addr", "dst_addr", "src_port", "dst_port", "proto", "packets", "bytes"]
header = false
proto_names = false
)");
  const auto run = testing::run_sluice({"run", pipeline.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  std::vector<FlowRecord> kept;
  flowfilter::Filter(expression).select(generated(20000, 4), kept);
  std::vector<std::string> expected;
  expected.reserve(kept.size());
  for (const auto& f : kept)
    expected.push_back(net::to_string(f.src_addr) + "," + net::to_string(f.dst_addr) + "," +
                       std::to_string(f.src_port) + "," + std::to_string(f.dst_port) + "," + std::to_string(f.proto) +
                       "," + std::to_string(f.packets) + "," + std::to_string(f.bytes));
  ASSERT_GT(expected.size(), 1000u);
  ASSERT_LT(expected.size(), 19000u);
  EXPECT_EQ(lines_of(testing::read_file(dir / "kept.csv")), expected);  // in order
}

TEST(AggregatePlugin, ClosesItsBinsOnTimeWithoutTraffic) {
  TempDir dir;
  const unsigned short port = testing::free_udp_port();
  const auto pipeline = dir.write("bins.toml", R"(
[sources.gen]
plugin = "generator"
count = 300
seed = 6

[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
version = 9
target = "127.0.0.1:)" + std::to_string(port) + R"("

[sources.collector]
plugin = "netflow_udp"
listen = "127.0.0.1:)" + std::to_string(port) + R"("

[transforms.per_second]
plugin = "aggregate"
inputs = ["collector"]
key = ["dst_port"]
interval = "1s"

[sinks.csv]
plugin = "csv_writer"
inputs = ["per_second"]
path = ")" + (dir / "bins.csv").string() + R"("
fields = ["dst_port", "packets"]
header = false
)");
  std::uint64_t expected_packets = 0;
  for (const auto& f : generated(300, 6)) expected_packets += f.packets;

  testing::Process sluice({testing::sluice_exe(), "run", pipeline.string()});
  // The generator is done at once; the collector runs on, without traffic.
  // Every packet shows up in the CSV all the same, as the bins end (the
  // writer's file is bins.csv.tmp until it closes).
  std::uint64_t packets = 0;
  const bool arrived = testing::eventually(
      [&] {
        packets = 0;
        std::string text = testing::read_file(dir / "bins.csv.tmp");
        text.resize(text.rfind('\n') + 1);  // whole rows only (none: npos + 1 = 0)
        for (const auto& line : lines_of(text)) packets += std::stoull(line.substr(line.find(',') + 1));
        return packets == expected_packets;
      },
      std::chrono::seconds(20));
  EXPECT_TRUE(arrived) << packets << " of " << expected_packets << " packets";
  EXPECT_TRUE(sluice.running());  // rows left on the tick, not at the end of the run
  sluice.signal(SIGINT);
  const auto result = sluice.wait(std::chrono::seconds(20));
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(AggregatePlugin, CountsTheFlowsOfKeysBeyondMaxKeys) {
  TempDir dir;
  const auto pipeline = dir.write("bounded.toml", R"(
[sources.gen]
plugin = "generator"
count = 3000
seed = 5

[transforms.bounded]
plugin = "aggregate"
inputs = ["gen"]
key = ["src_addr/24", "dst_port"]
interval = "0s"
max_keys = 10

[sinks.csv]
plugin = "csv_writer"
inputs = ["bounded"]
path = ")" + (dir / "bounded.csv").string() + R"("
fields = ["src_addr", "dst_port", "bytes"]
header = false
)");
  const auto run = testing::run_sluice({"run", pipeline.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  aggregation::Settings settings;
  settings.key = {aggregation::parse_key_part("src_addr/24"), aggregation::parse_key_part("dst_port")};
  settings.max_keys = 10;
  aggregation::Aggregator aggregator(settings);
  std::vector<aggregation::Aggregate> rows;
  aggregator.add(generated(3000, 5), 0, rows);
  aggregator.finish(rows);
  const auto stats = aggregator.stats();
  ASSERT_GT(stats.overflow_flows, 0u);
  std::vector<std::string> expected;
  expected.reserve(rows.size());
  for (const auto& r : rows)
    expected.push_back(net::to_string(r.record.src_addr) + "," + std::to_string(r.record.dst_port) + "," +
                       std::to_string(r.record.bytes));
  auto lines = lines_of(testing::read_file(dir / "bounded.csv"));
  std::sort(lines.begin(), lines.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(lines, expected);
  EXPECT_THAT(run.err, ::testing::HasSubstr(std::to_string(stats.overflow_flows) + " flows (" +
                                            std::to_string(stats.overflow_bytes) +
                                            " bytes) not aggregated: their bin held max_keys = 10 keys"));
  EXPECT_THAT(run.err, ::testing::HasSubstr("a bin reached max_keys = 10"));
}

// One generator's flows (their times simulated: the same every run) into
// aggregates on 1, 2 and 3 workers, keyed by partition: every key in 10 s
// event-clock bins, sorted, is the same on any number; and the top 5 of each
// bin (either side, with the totals row) are the same rows in the same order.
TEST(AggregatePlugin, OnAnyNumberOfWorkersSendsWhatOneWorkerSends) {
  TempDir dir;
  std::string pipeline = R"([sources.gen]
plugin = "generator"
count = 30000
rate = 1000
speedup = 0
seed = 8
clock_start = "2026-12-01T00:00:00Z"
batch_size = 700
)";
  for (const int workers : {1, 2, 3}) {
    const std::string n = std::to_string(workers);
    pipeline += R"(
[transforms.all_)" +
                n + R"(]
plugin = "aggregate"
inputs = ["gen"]
key = ["src_addr/24", "dst_port"]
interval = "10s"
clock = "event"
workers = )" + n +
                R"(
[sinks.all_csv_)" +
                n + R"(]
plugin = "csv_writer"
inputs = ["all_)" +
                n + R"("]
path = ")" + (dir / ("all_" + n + ".csv")).string() +
                R"("
fields = ["src_addr", "dst_port", "packets", "bytes", "flows", "first", "last"]
[transforms.top_)" +
                n + R"(]
plugin = "aggregate"
inputs = ["gen"]
key = ["src_addr"]
interval = "10s"
clock = "event"
top = 5
either_side = true
totals = true
workers = )" + n +
                R"(
[sinks.top_csv_)" +
                n + R"(]
plugin = "csv_writer"
inputs = ["top_)" +
                n + R"("]
path = ")" + (dir / ("top_" + n + ".csv")).string() +
                R"("
fields = ["src_addr", "packets", "bytes", "flows", "first", "last"]
)";
  }
  const auto run = testing::run_sluice({"run", dir.write("workers.toml", pipeline).string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto sorted = [&](const std::string& file) {
    auto lines = lines_of(testing::read_file(dir / file));
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  const auto one_worker = sorted("all_1.csv");
  ASSERT_GT(one_worker.size(), 10000u);
  EXPECT_EQ(sorted("all_2.csv"), one_worker);
  EXPECT_EQ(sorted("all_3.csv"), one_worker);
  const auto top = lines_of(testing::read_file(dir / "top_1.csv"));
  ASSERT_EQ(top.size(), 1 + 4 * 6u);  // the header, then 4 bins of 5 keys and the totals
  EXPECT_EQ(lines_of(testing::read_file(dir / "top_2.csv")), top);
  EXPECT_EQ(lines_of(testing::read_file(dir / "top_3.csv")), top);
}

struct BadOption {
  const char* lines;  // of the component's table, after plugin and inputs
  const char* message;
};

class BadOptions : public ::testing::TestWithParam<BadOption> {};

TEST_P(BadOptions, AreConfigurationErrorsWithFileLineAndKey) {
  TempDir dir;
  const auto pipeline = dir.write("bad.toml", std::string(R"([sources.gen]
plugin = "generator"
count = 10

[transforms.t]
)") + GetParam().lines + R"(
inputs = ["gen"]

[sinks.csv]
plugin = "csv_writer"
inputs = ["t"]
path = "-"
)");
  const auto run = testing::run_sluice({"validate", pipeline.string()});
  EXPECT_EQ(run.exit_code, 78) << run.err;
  EXPECT_THAT(run.err, ::testing::HasSubstr(pipeline.string() + ":")) << run.err;
  EXPECT_THAT(run.err, ::testing::HasSubstr(GetParam().message)) << run.err;
}

INSTANTIATE_TEST_SUITE_P(
    Analysis, BadOptions,
    ::testing::Values(
        BadOption{
            "plugin = \"filter\"\nexpression = \"proto tcp and port > http\"",
            "transforms.t.expression: plugin filter: column 22: expected a number after \"port\", found \"http\""},
        BadOption{"plugin = \"filter\"\nexpression = \"proto tcp and\"",
                  "transforms.t.expression: plugin filter: column 14: expected a filter primitive"},
        BadOption{"plugin = \"filter\"", "expression"},
        BadOption{"plugin = \"aggregate\"\nkey = [\"src_addr\", \"bytes\"]",
                  "transforms.t.key: plugin aggregate: \"bytes\" is not a key field"},
        BadOption{"plugin = \"aggregate\"\nkey = [\"dst_port/8\"]", "only addresses take a prefix length"},
        BadOption{"plugin = \"aggregate\"\nkey = [\"src_addr\", \"src_addr/24\"]", "\"src_addr\" is twice in the key"},
        BadOption{"plugin = \"aggregate\"\nkey = []", "transforms.t.key: plugin aggregate: needs at least one field"},
        BadOption{"plugin = \"aggregate\"\nkey = [\"proto\"]\ninterval = \"500ms\"", "at least 1s, or 0s"},
        BadOption{"plugin = \"aggregate\"\nkey = [\"proto\"]\ntop = -1", "transforms.t.top"},
        BadOption{"plugin = \"aggregate\"\nkey = [\"proto\"]\norder = \"octets\"", "transforms.t.order"},
        BadOption{"plugin = \"aggregate\"\nkey = [\"proto\"]\nmax_keys = 0", "transforms.t.max_keys"},
        BadOption{"plugin = \"rotator\"\nworkers = 2",
                  "transforms.t.workers: plugin rotator runs on one worker only (its transform keeps state across "
                  "batches)"}),
    [](const auto& info) { return std::to_string(info.index); });

}  // namespace
}  // namespace sluice::test
