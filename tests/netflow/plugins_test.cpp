// The three wire plugins through the CLI: option errors name the key,
// a generator stops where told, an absent collector is survived, and the
// collector counts foreign exporters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "http.h"

#include "peers.h"
#include "pipeline_test.h"
#include "sluice/netflow/decoder.h"

namespace sluice::netflow::test {
namespace {

using sluice::testing::Process;
using ::testing::HasSubstr;

class WirePlugins : public sluice::testing::PipelineTest {};

TEST_F(WirePlugins, BadOptionsNameTheirKey) {
  const std::string gen = "[sources.gen]\nplugin = \"generator\"\n";
  const std::string sink = "[sinks.wire]\nplugin = \"netflow_export\"\ninputs = [\"gen\"]\n";
  const struct {
    std::string toml, key;
  } cases[] = {
      {gen + sink + "version = 7\ntarget = \"127.0.0.1:9995\"\n", "sinks.wire.version"},
      {gen + sink + "target = \"localhost\"\n", "sinks.wire.target"},
      {gen + sink + "target = \"127.0.0.1:9995\"\nmtu = 100\n", "sinks.wire.mtu"},
      {gen + sink + "target = \"127.0.0.1:9995\"\nsource = \"edge1\"\n", "sinks.wire.source"},
      {gen + sink, "sinks.wire.target"},
      {"[sources.gen]\nplugin = \"generator\"\nexporters = 0\n" + sink + "target = \"127.0.0.1:9995\"\n",
       "sources.gen.exporters"},
      {"[sources.gen]\nplugin = \"generator\"\nsubnets = [\"10.0.0.0/40\"]\n" + sink + "target = \"127.0.0.1:9995\"\n",
       "sources.gen.subnets"},
      {"[sources.gen]\nplugin = \"generator\"\nclock_start = \"yesterday\"\n" + sink + "target = \"127.0.0.1:9995\"\n",
       "sources.gen.clock_start"},
      {"[sources.c]\nplugin = \"netflow_udp\"\nlisten = \"127.0.0.1:2055\"\nallowed_exporters = [\"nowhere\"]\n"
       "[sinks.wire]\nplugin = \"netflow_export\"\ninputs = [\"c\"]\ntarget = \"127.0.0.1:9995\"\n",
       "sources.c.allowed_exporters"},
  };
  for (const auto& c : cases) {
    const auto result = validate(c.toml);
    EXPECT_EQ(result.exit_code, 78) << c.toml;
    EXPECT_THAT(result.err, HasSubstr(c.key)) << c.toml;
  }
}

TEST_F(WirePlugins, AnAbsentCollectorIsSurvivedAndReported) {
  const auto port = sluice::testing::free_udp_port();  // nobody listens there
  const auto result = run(R"(
[sources.gen]
plugin = "generator"
count = 5000
rate = 20000
[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
target = "127.0.0.1:)" + std::to_string(port) +
                          "\"\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out + result.err, HasSubstr("not delivered"));
}

std::size_t v5_records(const std::vector<Bytes>& datagrams) {
  std::size_t records = 0;
  for (const auto& d : datagrams) records += static_cast<std::size_t>(d[2] << 8 | d[3]);
  return records;
}

TEST_F(WirePlugins, GeneratorStopsAtItsCount) {
  UdpReceiver receiver;
  const auto result = run(R"(
[sources.gen]
plugin = "generator"
count = 1234
ipv6_ratio = 0
[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
version = 5
target = "127.0.0.1:)" + std::to_string(receiver.port()) +
                          "\"\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out + result.err, HasSubstr("generated 1234 flows"));
  EXPECT_EQ(v5_records(receiver.receive_until_quiet(200)), 1234u);
}

TEST_F(WirePlugins, Ipv6TransportAndSeveralTargets) {
  // The exporter sends every datagram to a collector on [::1] and to this
  // test; the collector forwards what it decoded to this test too.
  UdpReceiver direct, forwarded;
  const auto port = sluice::testing::free_udp_port();
  Process pipeline({sluice::testing::sluice_exe(), "run",
                    dir.write("v6.toml", R"(
[sources.c]
plugin = "netflow_udp"
listen = "[::1]:)" + std::to_string(port) + R"("
[sinks.forward]
plugin = "netflow_export"
inputs = ["c"]
version = 5
target = "127.0.0.1:)" + std::to_string(forwarded.port()) +
                                             R"("
)")
                        .string(),
                    "--stats-interval", "0"});
  ASSERT_TRUE(
      sluice::testing::eventually([&] { return !pipeline.running() || sluice::testing::udp6_port_bound(port); }));
  const auto sender = run(R"(
[sources.gen]
plugin = "generator"
count = 500
ipv6_ratio = 0
[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
version = 5
targets = ["[::1]:)" + std::to_string(port) +
                          R"(", "127.0.0.1:)" + std::to_string(direct.port()) + R"("]
)");
  EXPECT_EQ(sender.exit_code, 0) << sender.err;
  EXPECT_EQ(v5_records(direct.receive_until_quiet(200)), 500u);
  std::size_t forwarded_records = 0;
  sluice::testing::eventually(
      [&] { return (forwarded_records += v5_records(forwarded.receive_until_quiet(50))) >= 500; });
  pipeline.signal(SIGINT);
  const auto result = pipeline.wait(std::chrono::seconds(20));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(forwarded_records, 500u);
  EXPECT_THAT(result.out + result.err, HasSubstr("::1 "));
}

TEST_F(WirePlugins, SimulatedClockPlacesFlowsOnAnotherDay) {
  UdpReceiver receiver;
  const auto started = std::chrono::steady_clock::now();
  const auto result = run(R"(
[sources.gen]
plugin = "generator"
count = 2000
clock_start = "2025-03-01T12:00:00Z"
[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
version = 9
target = "127.0.0.1:)" + std::to_string(receiver.port()) +
                          "\"\n");
  // The simulated clock advanced at most as long as the run took.
  const auto run_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  Decoder decoder;
  std::vector<FlowRecord> flows;
  for (const auto& d : receiver.receive_until_quiet(200)) decoder.decode(IpAddress::v4(0x7f000001), d, 0, flows);
  ASSERT_EQ(flows.size(), 2000u);
  constexpr std::uint64_t start_ms = 1'740'830'400'000;  // 2025-03-01T12:00:00Z
  for (const auto& f : flows) {
    EXPECT_LE(f.last_ms, start_ms + run_ms);
    EXPECT_GE(f.last_ms, start_ms - 1'000);  // flows end up to a second before "now"
    EXPECT_LE(f.first_ms, f.last_ms);
  }
  EXPECT_EQ(decoder.exporters()[0].sequence_errors, 0u);
}

TEST_F(WirePlugins, CollectorIgnoresExportersOutsideItsAllowList) {
  const auto port = sluice::testing::free_udp_port();
  Process collector({sluice::testing::sluice_exe(), "run",
                     dir.write("c.toml", R"(
[sources.c]
plugin = "netflow_udp"
listen = "127.0.0.1:)" + std::to_string(port) +
                                             R"("
allowed_exporters = ["192.0.2.0/24"]
[sinks.s]
plugin = "netflow_export"
inputs = ["c"]
target = "127.0.0.1:9"
)")
                         .string(),
                     "--stats-interval", "0"});
  ASSERT_TRUE(sluice::testing::eventually([&] { return sluice::testing::udp_port_bound(port); }));
  Bytes v5(24 + 48, 0);
  v5[1] = 5;
  v5[3] = 1;
  send_udp(port, std::vector<Bytes>(40, v5));  // from 127.0.0.1, which the list does not allow
  ASSERT_TRUE(sluice::testing::eventually([&] { return sluice::testing::udp_receive_queue_empty(port); }))
      << "the collector read every datagram before it is stopped";
  collector.signal(SIGINT);
  const auto result = collector.wait(std::chrono::seconds(20));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out + result.err, HasSubstr("40 datagrams from exporters not in allowed_exporters"));
}

// The resident memory of a process, from /proc, in bytes.
std::uint64_t resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// One datagram each from 5,000 forged loopback addresses fills the exporter
// table (4,096 by default): the longest silent make room, a warning names the
// options once, and memory and /metrics stay bounded. Once the flood has been
// silent for exporter_idle_timeout, it is forgotten with its metrics, and a
// real exporter (softflowd) is decoded.
// AddressSanitizer's shadow memory and its quarantine of freed blocks make a
// sanitizer build's resident memory several times the optimised one's.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t resident_allowance = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr std::size_t resident_allowance = 4;
#else
constexpr std::size_t resident_allowance = 1;
#endif
#else
constexpr std::size_t resident_allowance = 1;
#endif

TEST_F(WirePlugins, AFloodOfForgedExportersIdlesOutAndARealExporterIsThenDecoded) {
  const auto port = sluice::testing::free_udp_port();
  const auto metrics_port = sluice::testing::free_tcp_port();
  Process collector({sluice::testing::sluice_exe(), "run",
                     dir.write("c.toml", "[engine]\nmetrics = \"127.0.0.1:" + std::to_string(metrics_port) +
                                             "\"\n[sources.c]\nplugin = \"netflow_udp\"\nlisten = \"127.0.0.1:" +
                                             std::to_string(port) + R"("
exporter_idle_timeout = "3s"
[sinks.s]
plugin = "netflow_export"
inputs = ["c"]
target = "127.0.0.1:9"
)")
                         .string(),
                     "--stats-interval", "0"});
  ASSERT_TRUE(sluice::testing::eventually(
      [&] { return sluice::testing::udp_port_bound(port) && sluice::testing::http_get(metrics_port, "/metrics"); }));
  // The metrics page. A scrape that got no answer (a timeout while the
  // collector is busy) is tried again, not taken for a page without series.
  const auto scrape = [&] {
    std::optional<sluice::testing::HttpResponse> page;
    EXPECT_TRUE(sluice::testing::eventually([&] {
      page = sluice::testing::http_get(metrics_port, "/metrics");
      return page && page->status == 200;
    }));
    return page ? page->body : std::string();
  };
  const std::string series = "sluice_netflow_udp_datagrams_total{";
  const auto before = resident_bytes(collector.pid());

  Bytes v5(24 + 48, 0);
  v5[1] = 5;
  v5[3] = 1;
  const std::vector<Bytes> one{v5};
  std::size_t most_series = 0, largest_scrape = 0;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    send_udp(port, one, 0x7f010000 + i);  // 127.1.0.0 and on
    if (i % 500 == 499) {
      const std::string text = scrape();
      most_series = std::max(most_series, count_of(text, series));
      largest_scrape = std::max(largest_scrape, text.size());
    }
  }
  ASSERT_TRUE(sluice::testing::eventually([&] { return sluice::testing::udp_receive_queue_empty(port); }));
  ASSERT_TRUE(
      sluice::testing::eventually([&] { return collector.err_so_far().find("max_exporters") != std::string::npos; }));
  const auto flooded = resident_bytes(collector.pid());
  EXPECT_LE(most_series, 4096u);
  EXPECT_LE(largest_scrape, 4096u * 3000) << "about 10 series of 250 bytes an exporter";
  EXPECT_LT(flooded - std::min(flooded, before), resident_allowance * (64u << 20))
      << "state of 4,096 exporters and their metrics";
  const std::string err = collector.err_so_far();
  EXPECT_THAT(err, HasSubstr("exporter_idle_timeout"));
  EXPECT_THAT(err, HasSubstr("allowed_exporters"));
  EXPECT_EQ(count_of(err, "known (max_exporters)"), 1u) << "warned once";

  // Silent for exporter_idle_timeout: forgotten, metrics and all. The
  // collector publishes its exporters' series at most once a second: seen
  // first, or a page from before the first publish would pass for one after
  // they were forgotten.
  ASSERT_TRUE(sluice::testing::eventually([&] { return count_of(scrape(), series) > 0; }))
      << "the flood's exporters are published";
  ASSERT_TRUE(sluice::testing::eventually([&] { return count_of(scrape(), series) == 0; }, std::chrono::seconds(30)))
      << "the flood's exporters and their metrics are forgotten";

  const sluice::testing::TempDir traffic;
  const auto capture = traffic / "traffic.pcap";
  const auto made =
      sluice::testing::run({"/usr/bin/python3", SLUICE_SOURCE_DIR "/tests/support/make_traffic.py", capture.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto exported =
      sluice::testing::run({"softflowd", "-d", "-r", capture.string(), "-n", "127.0.0.1:" + std::to_string(port), "-v",
                            "10", "-p", (traffic / "softflowd.pid").string(), "-c", "none"},
                           {}, std::chrono::seconds(30));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  ASSERT_TRUE(sluice::testing::eventually([&] {
    const auto records = sluice::testing::metric(
        scrape(), R"(sluice_netflow_udp_records_total{component_id="c",exporter="127.0.0.1",version="10",domain="0"})");
    return records.value_or(0) > 0;
  })) << scrape();
  EXPECT_EQ(count_of(scrape(), series), 1u);
  collector.signal(SIGINT);
  const auto result = collector.wait(std::chrono::seconds(20));
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

}  // namespace
}  // namespace sluice::netflow::test
