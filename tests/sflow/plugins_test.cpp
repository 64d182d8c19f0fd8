// sflow_udp and sflow_export through the CLI: option errors name their key;
// generator -> sflow_export -> sflow_udp keeps every sampled packet's fields;
// the collector serves agents' interface counters and its counts as metrics;
// paced export spreads datagrams evenly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <sstream>

#include "bursts.h"
#include "datagrams.h"
#include "http.h"
#include "pipeline_test.h"
#include "process.h"
#include "sluice/csv/formatter.h"
#include "sluice/flowgen/simulation.h"
#include "sluice/net/byte_order.h"
#include "udp.h"

namespace sluice::sflow::test {
namespace {

using sluice::testing::densest;
using sluice::testing::eventually;
using sluice::testing::longest_train;
using sluice::testing::Process;
using ::testing::HasSubstr;
namespace cli = sluice::testing;

class SflowPlugins : public sluice::testing::PipelineTest {};

TEST_F(SflowPlugins, BadOptionsNameTheirKey) {
  const std::string gen = "[sources.gen]\nplugin = \"generator\"\n";
  const std::string sink = "[sinks.sflow]\nplugin = \"sflow_export\"\ninputs = [\"gen\"]\n";
  const std::string target = "target = \"127.0.0.1:6343\"\n";
  const std::string collector = "[sources.c]\nplugin = \"sflow_udp\"\n";
  const std::string csv = "[sinks.csv]\nplugin = \"csv_writer\"\ninputs = [\"c\"]\npath = \"x.csv\"\n";
  const struct {
    std::string toml, key;
  } cases[] = {
      {gen + sink, "sinks.sflow.target"},
      {gen + sink + "target = \"localhost\"\n", "sinks.sflow.target"},
      {gen + sink + target + "sampling_rate = 0\n", "sinks.sflow.sampling_rate"},
      {gen + sink + target + "mtu = 300\n", "sinks.sflow.mtu"},
      {gen + sink + target + "header_bytes = 0\n", "sinks.sflow.header_bytes"},
      {gen + sink + target + "agent_address = \"agent-1\"\n", "sinks.sflow.agent_address"},
      {collector + "listen = \"0.0.0.0\"\n" + csv, "sources.c.listen"},
      {collector + "allowed_exporters = [\"10.0.0.0/33\"]\n" + csv, "sources.c.allowed_exporters"},
      {collector + "batch_size = 0\n" + csv, "sources.c.batch_size"},
  };
  for (const auto& c : cases) {
    const auto result = validate(c.toml);
    EXPECT_EQ(result.exit_code, 78) << c.toml;
    EXPECT_THAT(result.err, HasSubstr(c.key)) << c.toml;
  }
  EXPECT_EQ(validate(gen + sink + target + "agent_address = \"2001:db8::1\"\n").exit_code, 0);
}

// The fields the round trip compares: everything a sample carries but the
// times, which depend on when it ran.
constexpr std::string_view compared_fields =
    "src_addr,dst_addr,src_port,dst_port,proto,tcp_flags,tos,packets,bytes,in_if,out_if,src_as,dst_as,src_mask,"
    "dst_mask,next_hop,exporter,observation_domain,sampling_interval";

std::vector<std::string> csv_rows(const std::vector<FlowRecord>& flows) {
  csv::DefaultLayout layout;
  layout.fields.clear();
  std::istringstream names{std::string(compared_fields)};
  for (std::string name; std::getline(names, name, ',');) layout.fields.push_back(*find_field(name));
  layout.proto_names = false;
  csv::Buffer buffer;
  csv::make_default_formatter(layout)->rows(flows, buffer);
  std::vector<std::string> rows;
  std::istringstream lines(std::string(buffer.view()));
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST_F(SflowPlugins, GeneratedFlowsSampledSentAndCollectedKeepTheirPacketsFields) {
  constexpr std::size_t flows = 3000;
  const auto port = cli::free_udp_port();
  const auto csv = dir / "samples.csv";
  const auto result = run(R"(
[sources.gen]
plugin = "generator"
count = )" + std::to_string(flows) +
                          R"(
seed = 7
exporters = 3
rate = 20000

[sinks.sflow]
plugin = "sflow_export"
inputs = ["gen"]
sampling_rate = 10
target = "127.0.0.1:)" + std::to_string(port) +
                          R"("

[sources.collector]
plugin = "sflow_udp"
listen = "127.0.0.1:)" + std::to_string(port) +
                          R"("
idle_timeout = "1s"

[sinks.csv]
plugin = "csv_writer"
inputs = ["collector"]
path = ")" + csv.string() +
                          R"("
header = false
proto_names = false
fields = [")" +
                          [] {
                            std::string quoted(compared_fields);
                            for (std::size_t at = 0; (at = quoted.find(',', at)) != std::string::npos; at += 3)
                              quoted.replace(at, 1, "\",\"");
                            return quoted;
                          }() +
                          R"("]
)");
  ASSERT_EQ(result.exit_code, 0) << result.err;

  // The same flows through our own encoder and decoder: what must arrive.
  // The generator's rate runs a simulated clock: its flows differ from the
  // plugin's only in their times.
  std::vector<FlowRecord> generated;
  flowgen::Simulation({.background = {.seed = 7, .exporters = 3}, .rate = 20000, .start_ms = test_now_ms})
      .generate(UINT64_MAX, flows, generated);
  Encoder encoder({.sampling_rate = 10});
  Decoder decoder;
  const auto want = decode_all(decoder, encode_all(encoder, generated));
  ASSERT_GT(want.size(), flows / 2);

  std::vector<std::string> got;
  std::istringstream lines(cli::read_file(csv));
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, csv_rows(want));
  EXPECT_THAT(result.err, HasSubstr("sampled 1 in 10 packets of 3000 flows"));
}

TEST_F(SflowPlugins, InstancesShareTheCollectorsPort) {
  // Agents sending from addresses of their own: the collector steers them
  // over the two instances' sockets by address, and every sample is decoded
  // once (both instances get some: each ends after its idle_timeout).
  const auto port = cli::free_udp_port();
  Process sluice({cli::sluice_exe(), "run",
                  dir.write("instances.toml", R"(
[sources.sflow]
plugin = "sflow_udp"
instances = 2
listen = "127.0.0.1:)" + std::to_string(port) + R"("
idle_timeout = "1s"
[sinks.csv]
plugin = "csv_writer"
inputs = ["sflow"]
path = ")" + (dir / "out.csv").string() + R"("
header = false
)")
                      .string(),
                  "--stats-interval", "0"});
  ASSERT_TRUE(eventually([&] { return !sluice.running() || cli::udp_port_bound(port); }));
  std::uint64_t samples = 0;
  for (std::uint32_t agent = 1; agent <= 8; ++agent) {
    std::vector<FlowRecord> flows(20);
    for (auto& f : flows) {
      f.exporter = IpAddress::v4(0x0aff0000 + agent);
      f.src_addr = IpAddress::v4(0x0a000001);
      f.dst_addr = IpAddress::v4(0x0a000002);
      f.proto = 17;
      f.packets = 3;
      f.bytes = 300;
    }
    Encoder encoder({});
    const auto datagrams = encode_all(encoder, flows);
    samples += encoder.stats().samples;
    cli::send_udp(port, datagrams, 0x7f020000 + agent);  // from 127.2.0.AGENT
  }
  const auto result = sluice.wait(std::chrono::seconds(30));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto csv = cli::read_file(dir / "out.csv");
  EXPECT_EQ(static_cast<std::uint64_t>(std::count(csv.begin(), csv.end(), '\n')), samples);
  EXPECT_THAT(result.err, HasSubstr("sflow#1"));
}

std::uint64_t metric(const std::string& scrape, const std::string& series) {
  const auto at = scrape.find(series + " ");
  return at == std::string::npos ? 0 : std::stoull(scrape.substr(at + series.size() + 1));
}

TEST_F(SflowPlugins, TheCollectorServesInterfaceCountersAndAgentCountsAsMetrics) {
  const auto port = cli::free_udp_port();
  const auto metrics_port = cli::free_tcp_port();
  Process sluice({cli::sluice_exe(), "run",
                  dir.write("collector.toml", R"(
[engine]
metrics = "127.0.0.1:)" + std::to_string(metrics_port) +
                                                  R"("
[sources.sflow]
plugin = "sflow_udp"
listen = "127.0.0.1:)" + std::to_string(port) + R"("
[sinks.csv]
plugin = "csv_writer"
inputs = ["sflow"]
path = ")" + (dir / "out.csv").string() + R"("
)")
                      .string(),
                  "--stats-interval", "0"});
  ASSERT_TRUE(eventually([&] { return !sluice.running() || cli::udp_port_bound(port); }));

  Datagram counters(test_agent, 3);
  counters.begin(2).u32(1).u32(7).u32(1);  // a counter sample of ifIndex 7: generic interface counters
  counters.begin(1).u32(7).u32(6).u64(10'000'000'000).u32(1).u32(3).u64(123'456'789'012);
  counters.u32(10)
      .u32(11)
      .u32(12)
      .u32(13)
      .u32(14)
      .u32(15)
      .u64(987'654'321)
      .u32(20)
      .u32(21)
      .u32(22)
      .u32(23)
      .u32(24)
      .u32(0);
  counters.end().end();
  const Bytes tcp = Packet().ethernet(0x0800).ipv4(0x0a000001, 0x0a000002, 6).tcp(1, 2, 0x10).bytes();
  Bytes truncated = Datagram(test_agent, 3, 3).ethernet_sample(1, tcp).bytes();
  truncated.resize(truncated.size() - 20);
  cli::send_udp(port, {counters.bytes(),
                       Datagram(test_agent, 3, 2).ethernet_sample(1, tcp).ethernet_sample(2, tcp).bytes(), truncated});

  const std::string agent = R"(component_id="sflow",agent="192.0.2.1",sub_agent="3")";
  const std::string interface = agent + R"(,ifindex="7")";
  std::string scrape;
  const bool published = eventually([&] {
    const auto response = cli::http_get(metrics_port, "/metrics");
    scrape = response ? response->body : "";
    // Published once a second: wait for the last datagram's count.
    return metric(scrape, "sluice_sflow_udp_datagrams_total{" + agent + "}") == 3 &&
           metric(scrape, "sluice_sflow_udp_interface_in_octets{" + interface + "}") != 0;
  });
  ASSERT_TRUE(published) << scrape;
  EXPECT_EQ(metric(scrape, "sluice_sflow_udp_interface_in_octets{" + interface + "}"), 123'456'789'012u);
  EXPECT_EQ(metric(scrape, "sluice_sflow_udp_interface_out_octets{" + interface + "}"), 987'654'321u);
  EXPECT_EQ(metric(scrape, "sluice_sflow_udp_interface_up{" + interface + "}"), 1u);
  EXPECT_EQ(metric(scrape, "sluice_sflow_udp_interface_speed_bps{" + interface + "}"), 10'000'000'000u);
  EXPECT_EQ(metric(scrape, "sluice_sflow_udp_interface_in_errors{" + interface + "}"), 14u);
  EXPECT_EQ(metric(scrape, "sluice_sflow_udp_flow_samples_total{" + agent + "}"), 2u);
  EXPECT_EQ(metric(scrape, "sluice_sflow_udp_counters_samples_total{" + agent + "}"), 1u);
  EXPECT_EQ(metric(scrape, "sluice_sflow_udp_malformed_total{" + agent + R"(,reason="length overrun"})"), 1u);
  const auto lint = cli::run({"/bin/sh", "-c", "promtool check metrics < " + dir.write("scrape.txt", scrape).string()});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;

  sluice.signal(SIGTERM);
  const auto result = sluice.wait(std::chrono::seconds(20));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("192.0.2.1"));
}

struct Arrivals {
  std::vector<std::int64_t> times;  // µs, from the kernel (SO_TIMESTAMPNS)
  std::uint64_t samples = 0;
};

// What arrives on `fd` until nothing has for `quiet`.
Arrivals arrivals(int fd, std::chrono::milliseconds quiet) {
  Arrivals a;
  pollfd p{fd, POLLIN, 0};
  std::uint8_t datagram[65536];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  while (::poll(&p, 1, static_cast<int>(quiet.count())) > 0) {
    iovec part{datagram, sizeof datagram};
    msghdr h{};
    h.msg_iov = &part;
    h.msg_iovlen = 1;
    h.msg_control = control;
    h.msg_controllen = sizeof control;
    const ssize_t size = recvmsg(fd, &h, 0);
    if (size < 28) break;
    a.samples += net::byte_order::load32(datagram + 24);  // an IPv4 agent's datagram: the sample count
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec t;
        std::memcpy(&t, CMSG_DATA(c), sizeof t);
        a.times.push_back(t.tv_sec * 1'000'000 + t.tv_nsec / 1000);
      }
    }
  }
  return a;
}

TEST_F(SflowPlugins, PacedExportSpreadsTheSamplesOfLargeFlows) {
  // nflow-generator's mix has flows of up to 2000 packets: sampled 1 in 1,
  // hundreds of datagrams come of one flow at once.
  const auto measure =
      [&](bool paced) {
        const int fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int on = 1, buffer = 32 << 20;
        EXPECT_EQ(setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on), 0);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);  // as root; else the default
        EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        socklen_t length = sizeof a;
        EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length), 0);
        Process sluice({cli::sluice_exe(), "run",
                        dir.write("paced.toml", R"(
[sources.gen]
plugin = "generator"
profile = "nflow"
count = 300
rate = 100
[sinks.sflow]
plugin = "sflow_export"
inputs = ["gen"]
sampling_rate = 1
paced = )" + std::string(paced ? "true" : "false") + R"(
target = "127.0.0.1:)" + std::to_string(ntohs(a.sin_port)) +
                                                    R"("
)")
                            .string(),
                        "--stats-interval", "0"});
        auto arrived = arrivals(fd, std::chrono::seconds(3));
        close(fd);
        const auto result = sluice.wait(std::chrono::seconds(30));
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return arrived;
      };
  const auto paced = measure(true);
  const auto bursty = measure(false);
  ASSERT_GT(paced.times.size(), 1000u);
  EXPECT_EQ(paced.samples, bursty.samples);  // the same flows, sampled the same
  // Unpaced, a large flow's datagrams leave together: hundreds within a
  // millisecond (over 100 optimised, 88 seen under the sanitizers). Paced,
  // trains of datagrams (each within 50 µs of the one before) stay near the
  // pacer's bucket (64 samples, 13 datagrams of 5; up to 24 seen on a loaded
  // machine). Trains rather than a millisecond's count: a sender woken late
  // by a loaded machine can put two trains into one millisecond.
  EXPECT_GE(densest(bursty.times, 1000), 48u);
  EXPECT_LE(longest_train(paced.times, 50), 40u);
}

}  // namespace
}  // namespace sluice::sflow::test
