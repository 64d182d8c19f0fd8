// End to end: four exporters (their own 127.0.0.x source addresses) send
// NetFlow v5 to netflow_udp, enrich names the interfaces of three of them
// from its table and counts the flows of the fourth as unnamed: the
// exporter each flow carries is the address it came from.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "process.h"
#include "sluice/netflow/encoder.h"
#include "udp.h"

using namespace sluice;
using namespace sluice::testing;
using ::testing::HasSubstr;

namespace {

constexpr int datagrams_per_exporter = 20;
constexpr std::size_t flows_per_datagram = 20;

std::vector<Bytes> datagrams() {
  netflow::Encoder encoder({.version = netflow::Version::v5});
  std::vector<FlowRecord> flows(flows_per_datagram);
  const std::uint64_t now = 1'780'000'000'000;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    flows[i].src_addr = IpAddress::v4(0x0a010000 + static_cast<std::uint32_t>(i));
    flows[i].dst_addr = IpAddress::v4(0xc6336401);
    flows[i].in_if = 1 + static_cast<std::uint32_t>(i % 4);
    flows[i].out_if = 5;
    flows[i].proto = 6;
    flows[i].packets = 1;
    flows[i].bytes = 100;
    flows[i].first_ms = flows[i].last_ms = now - 1000;
  }
  std::vector<Bytes> out;
  for (int d = 0; d < datagrams_per_exporter; ++d) {
    Bytes datagram(1500);
    const auto e = encoder.encode(flows, now, datagram);
    EXPECT_EQ(e.consumed, flows.size());
    datagram.resize(e.size);
    out.push_back(std::move(datagram));
  }
  return out;
}

TEST(EnrichCollector, ExportersAreToldApartByTheirAddresses) {
  TempDir dir;
  const unsigned short port = free_udp_port();
  std::string toml = "[sources.netflow]\nplugin = \"netflow_udp\"\nlisten = \"127.0.0.1:" + std::to_string(port) +
                     "\"\n[transforms.e]\nplugin = \"enrich\"\ninputs = [\"netflow\"]\n";
  for (int x = 11; x <= 13; ++x)
    toml += "[[transforms.e.interfaces]]\nexporter = \"127.0.0." + std::to_string(x) +
            "\"\nindex = 1\nlast_index = 5\nname = \"port\"\n";
  toml += "[sinks.csv]\nplugin = \"csv_writer\"\ninputs = [\"e\"]\npath = \"flows.csv\"\n";
  Process sluice({sluice_exe(), "run", dir.write("p.toml", toml).string(), "--stats-interval", "0"},
                 {.cwd = dir.path(), .env = {}});
  ASSERT_TRUE(eventually([&] { return udp_port_bound(port); }, std::chrono::seconds(30))) << sluice.err_so_far();
  const auto sent = datagrams();
  for (std::uint32_t x = 11; x <= 14; ++x) send_udp(port, sent, 0x7f000000 | x);
  ASSERT_TRUE(eventually([&] { return udp_receive_queue_empty(port); }, std::chrono::seconds(30)));
  sluice.signal(SIGTERM);
  const auto r = sluice.wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::size_t per_exporter = datagrams_per_exporter * flows_per_datagram;
  const std::string csv = read_file(dir / "flows.csv");
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')), 4 * per_exporter + 1);
  // 127.0.0.14's flows, and only they, passed without interface names.
  EXPECT_THAT(r.err, HasSubstr(std::to_string(per_exporter) + " flows without interface names (25.0%)"));
}

}  // namespace
