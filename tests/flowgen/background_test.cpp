// The realistic background against the published measurements it is
// calibrated on (docs/scenarios.md), and per-flow consistency on every flow.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "flow_checks.h"
#include "sluice/flowgen/flow_generator.h"

namespace sluice::flowgen::test {
namespace {

constexpr std::uint64_t now_ms = 1'795'000'000'123;

// A million flows in the optimised build (about a second), 200k under the
// sanitizers: the tolerances below hold for both (the widest binomial
// 3 sigma at 200k flows is 0.4 points).
constexpr std::size_t flow_count = sanitized ? 200'000 : 1'000'000;

const std::vector<FlowRecord>& background() {
  static const std::vector<FlowRecord> flows = [] {
    std::vector<FlowRecord> out;
    FlowGenerator({.seed = 42, .exporters = 4}).generate(flow_count, now_ms, out);
    return out;
  }();
  return flows;
}

bool is_tcp(const FlowRecord& f) { return f.proto == 6; }
bool is_udp(const FlowRecord& f) { return f.proto == 17; }
bool any(const FlowRecord&) { return true; }

TEST(Background, EveryFlowIsConsistent) {
  std::map<std::string, std::size_t> problems;
  std::string first;
  for (const auto& f : background()) {
    auto why = inconsistency(f, 1'800'000);
    if (f.last_ms > now_ms) why = "ends after it was exported";
    if (why.empty()) continue;
    if (problems.empty())
      first = why + ": proto " + std::to_string(f.proto) + " flags " + std::to_string(f.tcp_flags) + " packets " +
              std::to_string(f.packets) + " bytes " + std::to_string(f.bytes) + " ms " +
              std::to_string(f.last_ms - f.first_ms);
    ++problems[why];
  }
  for (const auto& [why, n] : problems) std::printf("  %s: %zu\n", why.c_str(), n);
  EXPECT_TRUE(problems.empty()) << problems.size() << " kinds of inconsistency, first: " << first;
}

// Jurkiewicz, flow-models (SoftwareX 2022), agh_2015061019: the share of
// flows by protocol and the CDF of packets and bytes per flow.
struct Point {
  double at, cdf;
};

void expect_cdf(const char* what, bool (*among)(const FlowRecord&), bool by_bytes, std::initializer_list<Point> points,
                double tolerance) {
  for (const Point& point : points) {
    const double at = point.at, expected = point.cdf;  // not bindings: clang's lambdas cannot capture those
    const double measured = share(
        background(), [&](const FlowRecord& f) { return static_cast<double>(by_bytes ? f.bytes : f.packets) <= at; },
        among);
    std::printf("  %s <= %.0f: %.4f (measured %.4f)\n", what, at, expected, measured);
    EXPECT_NEAR(measured, expected, tolerance) << what << " <= " << at;
  }
}

TEST(Background, ProtocolMixAsMeasured) {
  EXPECT_NEAR(share(background(), is_tcp, any), 0.5252, 0.005);
  EXPECT_NEAR(share(background(), is_udp, any), 0.4576, 0.005);
  EXPECT_NEAR(share(
                  background(), [](const auto& f) { return f.proto == 1 || f.proto == 58; }, any),
              0.0172, 0.002);
}

TEST(Background, PacketsPerFlowAsMeasured) {
  // Drawn from these very points, so only sampling noise may separate them.
  expect_cdf(
      "TCP packets", is_tcp, false,
      {{1, 0.2230}, {2, 0.4372}, {4, 0.5559}, {8, 0.7116}, {16, 0.8243}, {64, 0.9313}, {256, 0.9714}, {1024, 0.9886}},
      0.01);
  expect_cdf("UDP packets", is_udp, false,
             {{1, 0.6939}, {2, 0.8401}, {4, 0.9282}, {8, 0.9686}, {16, 0.9851}, {64, 0.9953}, {1024, 0.9990}}, 0.01);
  EXPECT_NEAR(share(
                  background(), [](const auto& f) { return f.packets == 1; }, any),
              0.4466, 0.015)
      << "one-packet flows, all protocols";
}

TEST(Background, BytesPerFlowAsMeasured) {
  // Emerges from packet counts and per-application packet sizes: within 6
  // points of the measured CDF everywhere from 128 bytes to 64 KiB. (The
  // 64-byte point is left out: it hinges on whether the exporter counted
  // layer-2 bytes, which the dataset does not say.)
  expect_cdf(
      "TCP bytes", is_tcp, true,
      {{128, 0.2038}, {256, 0.4204}, {512, 0.5253}, {1024, 0.6321}, {4096, 0.8093}, {16384, 0.9142}, {65536, 0.9600}},
      0.06);
  expect_cdf("UDP bytes", is_udp, true,
             {{128, 0.3918}, {256, 0.6677}, {512, 0.8863}, {1024, 0.9510}, {4096, 0.9876}, {65536, 0.9978}}, 0.06);
}

TEST(Background, TcpFlagMixOfCompletedRefusedAndHalfOpenConnections) {
  const auto& flows = background();
  const double syn_only = share(
      flows, [](const auto& f) { return f.tcp_flags == syn; }, is_tcp);
  const double refused = share(
      flows, [](const auto& f) { return f.tcp_flags == (rst | ack); }, is_tcp);
  const double whole = share(
      flows, [](const auto& f) { return (f.tcp_flags & syn) && (f.tcp_flags & (fin | rst)); }, is_tcp);
  const double pieces = share(
      flows, [](const auto& f) { return !(f.tcp_flags & syn); }, is_tcp);
  std::printf("  TCP: SYN only %.4f, RST-ACK %.4f, SYN..FIN/RST %.4f, no SYN %.4f\n", syn_only, refused, whole, pieces);
  // At most the share of TCP flows of 64 bytes or less (5.9% at AGH), which
  // includes every lone SYN; a network under no scan sees some.
  EXPECT_GT(syn_only, 0.02);
  EXPECT_LT(syn_only, 0.059);
  EXPECT_GT(refused, 0.01);
  EXPECT_GT(whole, 0.2);
  EXPECT_GT(pieces, 0.3) << "timeouts split long connections: many flows carry no SYN";
}

TEST(Background, DurationsLikeExportedFlows) {
  const auto& flows = background();
  const auto duration = [](const FlowRecord& f) { return f.last_ms - f.first_ms; };
  const double under_2s = share(
      flows, [&](const auto& f) { return duration(f) < 2000; }, any);
  const double under_15min = share(
      flows, [&](const auto& f) { return duration(f) < 900'000; }, any);
  const double cut = share(
      flows, [&](const auto& f) { return duration(f) + 1000 >= 1'800'000; }, any);
  std::vector<std::uint64_t> d;
  for (const auto& f : flows) d.push_back(duration(f));
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() * 99 / 100), d.end());
  const std::uint64_t p99 = d[d.size() * 99 / 100];
  std::printf("  under 2 s %.4f, under 15 min %.4f, cut by the active timeout %.5f, p99 %llu ms\n", under_2s,
              under_15min, cut, static_cast<unsigned long long>(p99));
  // Brownlee and claffy: about 45% of streams last less than 2 s, 98% less
  // than 15 minutes. Flows split by timeouts are shorter than streams.
  EXPECT_GT(under_2s, 0.45);
  EXPECT_GT(under_15min, 0.98);
  EXPECT_LT(under_15min, 0.9995) << "some flows are long";
  EXPECT_GT(cut, 0.0005) << "long flows leave the exporter in active-timeout pieces";
  EXPECT_GT(p99, 30'000u);
}

TEST(Background, IcmpBeyondEchoRequest) {
  std::map<unsigned, std::size_t> types;
  std::size_t icmp = 0;
  for (const auto& f : background())
    if (f.proto == 1) {
      ++types[f.dst_port >> 8];
      ++icmp;
    }
  for (unsigned type : {0u, 3u, 8u, 11u})
    EXPECT_GT(static_cast<double>(types[type]) / static_cast<double>(icmp), 0.05) << "ICMP type " << type;
}

}  // namespace
}  // namespace sluice::flowgen::test
