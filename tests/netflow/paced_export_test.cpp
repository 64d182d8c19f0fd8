// netflow_export paces its datagrams: generator -> netflow_export -> a stock
// nfcapd (no -B: the system's default receive buffer) at 20k and 100k
// flows/s, v5, v9 and IPFIX. Sent in bursts (as before pacing: 160
// datagrams within 1 ms every 100 ms at 20k flows/s), nfcapd lost up to 8%;
// paced, it must store every flow with no sequence error.
#include <gtest/gtest.h>

#include <tuple>

#include "peers.h"

namespace sluice::netflow::test {
namespace {

class PacedExport : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(PacedExport, AStockNfcapdStoresEveryFlowInOrder) {
  const int version = std::get<0>(GetParam()), rate = std::get<1>(GetParam());
  Nfcapd nfcapd(Nfcapd::ReceiveBuffer::system_default);
  sluice::testing::TempDir dir;
  const int flows = rate;  // a second's worth
  const auto pipeline = dir.write("export.toml", R"(
[sources.gen]
plugin = "generator"
ipv6_ratio = 0
count = )" + std::to_string(flows) + R"(
rate = )" + std::to_string(rate) + R"(
[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
version = )" + std::to_string(version) + R"(
mtu = 1464
target = "127.0.0.1:)" + std::to_string(nfcapd.port()) +
                                                     "\"\n");
  const auto result = sluice::testing::run_sluice({"run", pipeline.string(), "--stats-interval", "0"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_NE((result.out + result.err).find("sent " + std::to_string(flows) + " flows"), std::string::npos)
      << result.err;
  nfcapd.stop();
  EXPECT_EQ(nfcapd.stored_flows(), static_cast<std::uint64_t>(flows));
  EXPECT_EQ(nfcapd.sequence_failures(), 0u);
}

INSTANTIATE_TEST_SUITE_P(VersionsAndRates, PacedExport,
                         ::testing::Combine(::testing::Values(5, 9, 10), ::testing::Values(20'000, 100'000)),
                         [](const auto& info) {
                           return "v" + std::to_string(std::get<0>(info.param)) + "_" +
                                  std::to_string(std::get<1>(info.param) / 1000) + "k";
                         });

}  // namespace
}  // namespace sluice::netflow::test
