// netflow_udp with `instances = 2`: two sockets in one SO_REUSEPORT group,
// each exporter's datagrams steered to one of them by its address. 64
// exporters on distinct 127.0.0.0/8 addresses, each sending from two source
// ports in turn, send v9 with templates, interleaved: every flow is decoded,
// no sequence number is seen out of order, no data arrives before its
// template, and each exporter is known to exactly one instance.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "process.h"
#include "sluice/netflow/encoder.h"

namespace sluice::netflow::test {
namespace {

using sluice::testing::Process;
using sluice::testing::TempDir;

constexpr int exporters = 64;
constexpr int datagrams_per_exporter = 40;
constexpr std::size_t flows_per_datagram = 10;  // fits beside the templates

// One simulated router: its own address, encoder (sequence numbers,
// templates) and two sockets with source ports of their own, used in turn
// (as an exporter with several line cards does): steered by address and
// port, its templates and data would reach different instances.
struct Exporter {
  std::string address;
  std::array<int, 2> fds{-1, -1};
  int sent = 0;
  Encoder encoder{{.version = Version::v9, .mtu = 1400, .template_refresh_datagrams = 10}};

  explicit Exporter(int n) : address("127.1." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1)) {
    for (int& fd : fds) {
      fd = socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in from{};
      from.sin_family = AF_INET;
      inet_pton(AF_INET, address.c_str(), &from.sin_addr);  // port 0: one of its own
      if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) throw std::runtime_error("bind");
    }
  }
  ~Exporter() {
    for (int fd : fds) close(fd);
  }
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Sends one datagram of flows numbered first... (the number is the packet count).
  void send(std::uint64_t first, unsigned short port) {
    std::vector<FlowRecord> flows(flows_per_datagram);
    const std::uint64_t now = 1'780'000'000'000;
    for (std::size_t i = 0; i < flows.size(); ++i) {
      flows[i].src_addr = IpAddress::v4(0x0a000001);
      flows[i].dst_addr = IpAddress::v4(0x0a000002);
      flows[i].proto = 17;
      flows[i].packets = first + i;
      flows[i].bytes = 100;
      flows[i].first_ms = flows[i].last_ms = now - 1000;
    }
    std::vector<std::uint8_t> datagram(1400);
    const Encoded e = encoder.encode(flows, now, datagram);
    ASSERT_EQ(e.consumed, flows.size());
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int fd = fds[static_cast<std::size_t>(sent++ % 2)];
    ASSERT_EQ(sendto(fd, datagram.data(), e.size, 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(e.size));
  }
};

// An exporter's row in an instance's summary table.
struct Row {
  std::string instance;
  std::uint64_t datagrams = 0, records = 0, sequence_errors = 0, lost = 0, malformed = 0;
};

// The exporter tables of the end-of-run summary, by exporter address.
std::multimap<std::string, Row> exporter_rows(const std::string& summary) {
  std::multimap<std::string, Row> rows;
  std::istringstream in(summary);
  std::string line, instance;
  while (std::getline(in, line)) {
    if (line.starts_with("[collector")) instance = line;
    std::istringstream fields(line);
    std::string address;
    int version = 0;
    std::uint32_t domain = 0;
    Row row{instance};
    if (instance.empty() || !(fields >> address) || !address.starts_with("127.1.")) continue;
    fields >> version >> domain >> row.datagrams >> row.records >> row.sequence_errors >> row.lost >> row.malformed;
    rows.emplace(address, row);
  }
  return rows;
}

// Sockets bound to 127.0.0.1:`port`, as /proc/net/udp lists them.
int sockets_bound(unsigned short port) {
  std::ifstream table("/proc/net/udp");
  std::ostringstream local;
  local << "0100007F:" << std::uppercase << std::hex << std::setw(4) << std::setfill('0') << port;
  int n = 0;
  for (std::string line; std::getline(table, line);) n += line.find(" " + local.str() + " ") != std::string::npos;
  return n;
}

TEST(MultiSocket, EachExporterReachesOneSocketAndEveryFlowIsDecoded) {
  TempDir dir;
  const auto port = sluice::testing::free_udp_port();
  const auto csv = dir / "flows.csv";
  Process collector({sluice::testing::sluice_exe(), "run",
                     dir.write("c.toml", R"(
[sources.collector]
plugin = "netflow_udp"
instances = 2
listen = "127.0.0.1:)" + std::to_string(port) +
                                             R"("
[sinks.csv]
plugin = "csv_writer"
inputs = ["collector"]
fields = ["exporter", "packets"]
path = ")" + csv.string() + R"("
)")
                         .string(),
                     "--stats-interval", "0"});
  // Both sockets in the group: before the second binds, the first takes everything.
  ASSERT_TRUE(sluice::testing::eventually([&] { return sockets_bound(port) == 2; }));

  std::vector<std::unique_ptr<Exporter>> routers;
  routers.reserve(exporters);
  for (int n = 0; n < exporters; ++n) routers.push_back(std::make_unique<Exporter>(n));
  std::uint64_t next_flow = 0;
  for (int d = 0; d < datagrams_per_exporter; ++d) {
    for (auto& router : routers) {
      router->send(next_flow, port);
      next_flow += flows_per_datagram;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // 32k datagrams/s: no buffer fills
  }
  const std::uint64_t total = next_flow;

  // The writer flushes every second into flows.csv.tmp (renamed at the end).
  const auto rows_written = [&] {
    std::ifstream in(csv.string() + ".tmp");
    return static_cast<std::uint64_t>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
  };
  EXPECT_TRUE(sluice::testing::eventually([&] { return rows_written() == total + 1; }, std::chrono::seconds(20)))
      << rows_written() << " rows";
  collector.signal(SIGINT);
  const auto result = collector.wait(std::chrono::seconds(20));
  ASSERT_EQ(result.exit_code, 0) << result.err;

  // Every flow once, from the exporter that sent it.
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // the header
  std::set<std::uint64_t> seen;
  while (std::getline(in, line)) {
    const auto comma = line.find(',');
    ASSERT_NE(comma, std::string::npos) << line;
    const std::uint64_t flow = std::stoull(line.substr(comma + 1));
    EXPECT_TRUE(seen.insert(flow).second) << "flow " << flow << " twice";
    const int sender = static_cast<int>(flow / flows_per_datagram % exporters);
    EXPECT_EQ(line.substr(0, comma), routers[static_cast<std::size_t>(sender)]->address) << "flow " << flow;
  }
  EXPECT_EQ(seen.size(), total);

  // Each exporter in one instance's table only, whole and in order; both
  // instances had a share.
  const auto rows = exporter_rows(result.out + result.err);
  std::set<std::string> instances;
  for (const auto& router : routers) {
    ASSERT_EQ(rows.count(router->address), 1u)
        << router->address << " in " << rows.count(router->address) << " instances:\n"
        << result.err;
    const Row& row = rows.find(router->address)->second;
    instances.insert(row.instance);
    EXPECT_EQ(row.datagrams, static_cast<std::uint64_t>(datagrams_per_exporter)) << router->address;
    EXPECT_EQ(row.records, datagrams_per_exporter * flows_per_datagram) << router->address;
    EXPECT_EQ(row.sequence_errors, 0u) << router->address;
    EXPECT_EQ(row.lost, 0u) << router->address;
    EXPECT_EQ(row.malformed, 0u) << router->address;
  }
  EXPECT_EQ(instances, (std::set<std::string>{"[collector#0]", "[collector#1]"}));
  EXPECT_THAT(result.err, ::testing::Not(::testing::HasSubstr("before their template")));
}

}  // namespace
}  // namespace sluice::netflow::test
