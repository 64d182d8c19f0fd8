// End to end: four exporters (their own 127.0.0.x source addresses) send
// NetFlow v5 to netflow_udp; enrich names the interfaces of three of them
// from its table and asks Debian's snmpd for the fourth's: the exporter each
// flow carries is the address it came from. A flow never waits for SNMP:
// the fourth's first flows pass unnamed, later ones with the agent's names,
// each of its interfaces polled once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

#include "process.h"
#include "sluice/netflow/encoder.h"
#include "snmpd.h"
#include "udp.h"

using namespace sluice;
using namespace sluice::testing;
using ::testing::HasSubstr;

namespace {

constexpr int datagrams_per_exporter = 20;
constexpr std::size_t flows_per_datagram = 20;
constexpr std::uint32_t polled_exporter = 0x7f00000e;  // 127.0.0.14

// Flows in on ifIndex 1 to 4, out on 5.
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

// What snmpd says of 127.0.0.14's interface `index`, as csv_writer prints
// in_if_name,in_if_description,in_if_speed.
std::string agent_says(std::uint32_t index) {
  return "et-0/0/" + std::to_string(index) + ",transit: port " + std::to_string(index) + "," +
         std::to_string(1000 * index);
}

TEST(EnrichCollector, ExportersAreToldApartByTheirAddresses) {
  std::vector<enrichment::test::AgentInterface> interfaces;
  for (std::uint32_t i = 1; i <= 5; ++i)
    interfaces.push_back({i, "et-0/0/" + std::to_string(i), "transit: port " + std::to_string(i), 1000 * i});
  const enrichment::test::Snmpd snmpd("edge4", interfaces);
  TempDir dir;
  const unsigned short port = free_udp_port();
  std::string toml = "[sources.netflow]\nplugin = \"netflow_udp\"\nlisten = \"127.0.0.1:" + std::to_string(port) +
                     "\"\n[transforms.e]\nplugin = \"enrich\"\ninputs = [\"netflow\"]\n";
  for (int x = 11; x <= 13; ++x)
    toml += "[[transforms.e.interfaces]]\nexporter = \"127.0.0." + std::to_string(x) +
            "\"\nindex = 1\nlast_index = 5\nname = \"port\"\n";
  toml += "[[transforms.e.exporters]]\naddress = \"127.0.0.14\"\ncommunity = \"public\"\nagent = \"" + snmpd.address() +
          "\"\n[sinks.csv]\nplugin = \"csv_writer\"\ninputs = [\"e\"]\npath = \"flows.csv\"\nheader = false\n"
          "fields = [\"exporter\", \"exporter_name\", \"in_if\", \"in_if_name\", \"in_if_description\", "
          "\"in_if_speed\", \"out_if_name\"]\n";
  Process sluice({sluice_exe(), "run", dir.write("p.toml", toml).string(), "--stats-interval", "0"},
                 {.cwd = dir.path(), .env = {}});
  ASSERT_TRUE(eventually([&] { return udp_port_bound(port); }, std::chrono::seconds(30))) << sluice.err_so_far();
  const auto sent = datagrams();
  for (std::uint32_t x = 11; x <= 14; ++x) send_udp(port, sent, 0x7f000000 | x);
  // The agent's names arrive: a datagram more from 127.0.0.14 until its
  // flows carry them (csv_writer writes flows.csv.tmp until the end).
  const std::string named = "127.0.0.14,edge4,1," + agent_says(1) + ",et-0/0/5\n";
  std::size_t more = 0;
  ASSERT_TRUE(eventually(
      [&] {
        send_udp(port, {sent.front()}, polled_exporter);
        ++more;
        return read_file(dir / "flows.csv.tmp").find(named) != std::string::npos;
      },
      std::chrono::seconds(30)))
      << sluice.err_so_far();
  ASSERT_TRUE(eventually([&] { return udp_receive_queue_empty(port); }, std::chrono::seconds(30)));
  sluice.signal(SIGTERM);
  const auto r = sluice.wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::size_t per_exporter = datagrams_per_exporter * flows_per_datagram;
  std::size_t rows = 0, unnamed = 0;
  std::istringstream csv(read_file(dir / "flows.csv"));
  for (std::string row; std::getline(csv, row); ++rows) {
    if (!row.starts_with("127.0.0.14,")) {
      // No SNMP for these: the table's names only.
      EXPECT_THAT(row, ::testing::MatchesRegex(R"(127\.0\.0\.1[123],,[1-4],port,,0,port)")) << row;
      continue;
    }
    // exporter,exporter_name,in_if,in_if_name,in_if_description,in_if_speed,out_if_name: each
    // interface's names are the agent's, or none while it had not answered.
    std::vector<std::string> cells;
    std::istringstream in(row);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    cells.resize(7);
    const std::string in_if = cells[2];
    const std::string in_names = cells[3] + "," + cells[4] + "," + cells[5];
    EXPECT_TRUE(in_names == ",,0" || in_names == agent_says(std::stoul(in_if))) << row;
    EXPECT_TRUE(cells[6].empty() || cells[6] == "et-0/0/5") << row;
    EXPECT_TRUE(cells[1].empty() || cells[1] == "edge4") << row;
    unnamed += in_names == ",,0" || cells[6].empty();
  }
  EXPECT_EQ(rows, 4 * per_exporter + more * flows_per_datagram);
  EXPECT_GE(unnamed, flows_per_datagram) << "the first datagram's flows pass before any answer";
  EXPECT_THAT(r.err, HasSubstr(" " + std::to_string(unnamed) + " flows without interface names"));
  EXPECT_THAT(r.err, HasSubstr("SNMP: 5 polls, 0 failed, 0 interfaces unknown")) << "each interface polled once";
  RecordProperty("unnamed", std::to_string(unnamed));
  RecordProperty("datagrams_until_named", std::to_string(more));
}

}  // namespace
