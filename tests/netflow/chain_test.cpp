// The in-process chain through the real CLI: generator -> netflow_export ->
// UDP loopback -> netflow_udp -> netflow_export (IPFIX) -> this test. Every
// generated flow arrives once, unchanged as far as the first hop's version
// carries it.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "datagrams.h"
#include "peers.h"
#include "sluice/flowgen/simulation.h"

namespace sluice::netflow::test {
namespace {

using sluice::testing::Process;
using sluice::testing::TempDir;

constexpr std::size_t flow_count = 20'000;

// Absolute times depend on when the run happened; durations do not.
// What the generator below makes: its rate runs a simulated clock, whose
// flows differ from the plugin's only in their times.
std::vector<FlowRecord> generated_flows(std::size_t count) {
  std::vector<FlowRecord> flows;
  flowgen::Simulation({.background = {.seed = 3, .exporters = 3}, .rate = 200000, .start_ms = 1'795'000'000'000})
      .generate(UINT64_MAX, count, flows);
  return flows;
}

FlowRecord without_clock(FlowRecord f) {
  f.first_ms = f.duration_ms();
  f.last_ms = 0;
  f.received_ms = 0;
  return f;
}

class Chain : public ::testing::TestWithParam<Version> {};

TEST_P(Chain, EveryGeneratedFlowArrivesUnchanged) {
  const Version first_hop = GetParam();
  TempDir dir;
  UdpReceiver receiver;
  const unsigned short collector_port = sluice::testing::free_udp_port();
  const auto pipeline = dir.write("chain.toml", R"(
[sources.gen]
plugin = "generator"
count = )" + std::to_string(flow_count) + R"(
seed = 3
exporters = 3
rate = 200000

[sinks.first_hop]
plugin = "netflow_export"
inputs = ["gen"]
version = )" + std::to_string(static_cast<int>(first_hop)) +
                                                    R"(
target = "127.0.0.1:)" + std::to_string(collector_port) +
                                                    R"("

[sources.collector]
plugin = "netflow_udp"
listen = "127.0.0.1:)" + std::to_string(collector_port) +
                                                    R"("

[sinks.forward]
plugin = "netflow_export"
inputs = ["collector"]
version = 10
target = "127.0.0.1:)" + std::to_string(receiver.port()) +
                                                    R"("
)");
  Process sluice({sluice::testing::sluice_exe(), "run", pipeline.string()});

  Decoder decoder;
  std::vector<FlowRecord> got;
  const std::size_t expected_count = [&] {
    const auto flows = generated_flows(flow_count);
    return static_cast<std::size_t>(std::count_if(flows.begin(), flows.end(), [&](const FlowRecord& f) {
      return first_hop != Version::v5 || f.src_addr.is_v4();
    }));
  }();
  sluice::testing::eventually(
      [&] {
        for (const auto& d : receiver.receive_until_quiet(50)) decoder.decode(test_exporter, d, 0, got);
        return got.size() >= expected_count;
      },
      std::chrono::seconds(60));
  sluice.signal(SIGINT);
  const auto result = sluice.wait(std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  SCOPED_TRACE(result.out + result.err);
  for (const auto& d : receiver.receive_until_quiet(100)) decoder.decode(test_exporter, d, 0, got);

  std::vector<FlowRecord> want;
  for (const auto& f : generated_flows(flow_count)) {
    if (first_hop == Version::v5 && !f.src_addr.is_v4()) continue;
    FlowRecord c = as_carried_by(Version::ipfix, as_carried_by(first_hop, f));
    c.exporter = test_exporter;
    want.push_back(without_clock(c));
  }
  for (auto& f : got) f = without_clock(f);
  EXPECT_TRUE(same_flows(got, want));
  for (const auto& e : decoder.exporters()) EXPECT_EQ(e.sequence_errors, 0u) << "domain " << e.domain;
}

INSTANTIATE_TEST_SUITE_P(FirstHop, Chain, ::testing::Values(Version::v5, Version::v9, Version::ipfix),
                         [](const auto& info) { return std::string(version_name(info.param)); });

}  // namespace
}  // namespace sluice::netflow::test
