// Every scenario over a realistic background: its flows are exactly those
// with its label, inside its window, at its intensity within 3 sigma, each
// consistent, with the signature that gives the attack away; the background
// shows none of them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "flow_checks.h"
#include "sluice/flowgen/simulation.h"

namespace sluice::flowgen::test {
namespace {

constexpr std::uint64_t start = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
constexpr std::uint64_t minute = 60'000;

ScenarioConfig at(ScenarioKind kind, std::uint64_t from_minute, std::uint64_t minutes, double intensity) {
  return {.kind = kind, .start_ms = from_minute * minute, .duration_ms = minutes * minute, .intensity = intensity};
}

// Ten simulated minutes: 300k background flows (30k under the sanitizers)
// and every kind of attack, some overlapping.
constexpr double background_rate = sanitized ? 50 : 500;
struct Run {
  SimulationConfig config;
  std::vector<FlowRecord> flows;
  std::map<std::uint16_t, std::vector<FlowRecord>> by_label;

  Run() {
    config = {.background = {.seed = 21}, .rate = background_rate, .start_ms = start};
    config.scenarios = {at(ScenarioKind::port_scan, 1, 3, 100),         at(ScenarioKind::syn_flood, 2, 2, 800),
                        at(ScenarioKind::udp_amplification, 3, 2, 300), at(ScenarioKind::ddos, 5, 2, 1000),
                        at(ScenarioKind::brute_force, 4, 5, 4),         at(ScenarioKind::exfiltration, 1, 8, 1),
                        at(ScenarioKind::beaconing, 0, 10, 0.5)};
    config.scenarios[4].label = 42;  // a label of the user's choosing
    Simulation(config).generate(start + 10 * minute, SIZE_MAX, flows);
    for (const auto& f : flows) by_label[f.label].push_back(f);
  }

  const std::vector<FlowRecord>& of(ScenarioKind kind) {
    return by_label[kind == ScenarioKind::brute_force ? 42 : default_label(kind)];
  }
  const std::vector<FlowRecord>& background() { return by_label[0]; }
};

Run& run() {
  static Run r;
  return r;
}

TEST(Scenarios, FlowsCarryTheirLabelInTheirWindowAtTheirIntensity) {
  auto& r = run();
  EXPECT_EQ(r.by_label.size(), 8u) << "the background and seven scenarios, nothing else";
  for (const auto& s : r.config.scenarios) {
    const auto& flows = r.of(s.kind);
    const std::uint64_t begin = start + s.start_ms, end = begin + s.duration_ms;
    for (const auto& f : flows) {
      ASSERT_GE(f.first_ms, begin) << to_string(s.kind);
      ASSERT_LT(f.last_ms, end) << to_string(s.kind);
    }
    const double expected = s.intensity * static_cast<double>(s.duration_ms) / 1000;
    const double counted = static_cast<double>(flows.size());
    // Events are Poisson; each brings one or two flows, so the count's
    // variance is expected x E[k^2] / E[k] (a compound Poisson process).
    double variance_factor = 2;  // a request and its answer, always
    if (s.kind == ScenarioKind::port_scan) variance_factor = (0.1 * 1 + 0.9 * 4) / 1.9;
    if (s.kind == ScenarioKind::syn_flood) variance_factor = (0.5 * 1 + 0.5 * 4) / 1.5;
    if (s.kind == ScenarioKind::ddos) variance_factor = 1;
    double tolerance = 3 * std::sqrt(expected * variance_factor);
    // Beacons are periodic, not Poisson: each host may be a call early or late.
    if (s.kind == ScenarioKind::beaconing) tolerance = 2 * std::round(s.intensity * 60 / 2);
    std::printf("  %-17s %8.0f flows expected, %8.0f counted\n", std::string(to_string(s.kind)).c_str(), expected,
                counted);
    EXPECT_NEAR(counted, expected, tolerance) << to_string(s.kind);
  }
  const double background = background_rate * 600;
  EXPECT_NEAR(static_cast<double>(r.background().size()), background, 3 * std::sqrt(background));
}

TEST(Scenarios, EveryFlowIsConsistent) {
  for (const auto& [label, flows] : run().by_label)
    for (const auto& f : flows) ASSERT_EQ(inconsistency(f, 1'800'000), "") << "label " << label;
}

// Distinct values of `key` among `flows`.
template <class Key>
std::size_t distinct(const std::vector<FlowRecord>& flows, Key key) {
  std::set<decltype(key(flows[0]))> values;
  for (const auto& f : flows) values.insert(key(f));
  return values.size();
}

using Address = std::array<std::uint8_t, 16>;

// The most distinct destination ports one source sends SYNs to on one host:
// a port scan's signature.
std::size_t most_ports_probed(const std::vector<FlowRecord>& flows) {
  std::map<std::pair<Address, Address>, std::set<std::uint16_t>> ports;
  for (const auto& f : flows)
    if (f.proto == 6 && (f.tcp_flags & syn) && !(f.tcp_flags & ack) && f.packets <= 2)
      ports[{f.src_addr.bytes, f.dst_addr.bytes}].insert(f.dst_port);
  std::size_t most = 0;
  for (const auto& [pair, set] : ports) most = std::max(most, set.size());
  return most;
}

TEST(Scenarios, PortScanOneSourceManyPortsTinySynFlows) {
  auto& r = run();
  const auto& scan = r.of(ScenarioKind::port_scan);
  const auto probes = std::count_if(scan.begin(), scan.end(), [](const auto& f) { return f.tcp_flags & syn; });
  EXPECT_EQ(distinct(scan, [](const auto& f) { return f.tcp_flags & ack ? f.dst_addr.bytes : f.src_addr.bytes; }), 1u)
      << "one scanner";
  EXPECT_GE(most_ports_probed(scan), 1000u) << "ports 1-1024, most of them probed";
  EXPECT_GT(share(
                scan, [](const auto& f) { return f.packets <= 2; }, [](const auto&) { return true; }),
            0.999);
  EXPECT_GT(share(
                scan, [](const auto& f) { return f.tcp_flags == (rst | ack); }, [](const auto&) { return true; }),
            0.35)
      << "closed ports answer RST-ACK";
  EXPECT_GT(probes, 0);
  EXPECT_LT(most_ports_probed(r.background()), 20u) << "the background scans nothing";
}

TEST(Scenarios, SynFloodSynOnlyFromManySourcesToOnePort) {
  auto& r = run();
  const auto& flood = r.of(ScenarioKind::syn_flood);
  std::vector<FlowRecord> syns;
  for (const auto& f : flood)
    if (f.tcp_flags == syn) syns.push_back(f);
  EXPECT_NEAR(static_cast<double>(syns.size()) / static_cast<double>(flood.size()), 1 / 1.5, 0.02);
  EXPECT_EQ(distinct(syns, [](const auto& f) { return std::pair(f.dst_addr.bytes, f.dst_port); }), 1u);
  EXPECT_GT(distinct(syns, [](const auto& f) { return f.src_addr.bytes; }), syns.size() * 99 / 100) << "spoofed";
  for (const auto& f : syns) EXPECT_EQ(f.packets, 1u);
  const double background_syn_only = share(
      r.background(), [](const auto& f) { return f.tcp_flags == syn; }, [](const auto& f) { return f.proto == 6; });
  EXPECT_LT(background_syn_only, 0.059);
}

TEST(Scenarios, AmplificationSmallRequestsLargeAnswersFromManyReflectors) {
  auto& r = run();
  const auto& amp = r.of(ScenarioKind::udp_amplification);
  std::uint64_t asked = 0, answered = 0;
  std::vector<FlowRecord> answers;
  for (const auto& f : amp) {
    ASSERT_EQ(f.proto, 17);
    if (f.src_port == 53) {
      answers.push_back(f);
      answered += f.bytes;
    } else {
      EXPECT_EQ(f.dst_port, 53);
      EXPECT_LE(f.bytes, 80u);
      asked += f.bytes;
    }
  }
  EXPECT_EQ(distinct(answers, [](const auto& f) { return f.dst_addr.bytes; }), 1u) << "one victim";
  EXPECT_GT(distinct(answers, [](const auto& f) { return f.src_addr.bytes; }), 150u) << "of 200 reflectors";
  EXPECT_GT(static_cast<double>(answered) / static_cast<double>(asked), 30.0) << "amplification";
  EXPECT_GT(share(
                answers, [](const auto& f) { return per_packet(f) >= 1200; }, [](const auto&) { return true; }),
            0.99);
}

TEST(Scenarios, DdosManySourcesOneVictimHeavyUdp) {
  auto& r = run();
  const auto& ddos = r.of(ScenarioKind::ddos);
  EXPECT_EQ(distinct(ddos, [](const auto& f) { return f.dst_addr.bytes; }), 1u);
  EXPECT_GT(distinct(ddos, [](const auto& f) { return f.src_addr.bytes; }), 900u) << "of 1000 bots";
  std::uint64_t flood_packets = 0;
  for (const auto& f : ddos) flood_packets += f.packets;
  EXPECT_GT(static_cast<double>(flood_packets) / static_cast<double>(ddos.size()), 100.0);
}

TEST(Scenarios, BruteForceOneSourceManyAlikeLogins) {
  auto& r = run();
  const auto& logins = r.of(ScenarioKind::brute_force);
  std::vector<double> packets;
  for (const auto& f : logins)
    if (f.dst_port == 22) packets.push_back(static_cast<double>(f.packets));
  EXPECT_EQ(distinct(logins, [](const auto& f) { return f.dst_port == 22 ? f.src_addr.bytes : f.dst_addr.bytes; }), 1u);
  ASSERT_GT(packets.size(), 100u);
  const double mean = std::accumulate(packets.begin(), packets.end(), 0.0) / static_cast<double>(packets.size());
  double variance = 0;
  for (double p : packets) variance += (p - mean) * (p - mean) / static_cast<double>(packets.size());
  EXPECT_LT(std::sqrt(variance) / mean, 0.1) << "every login looks alike";
  for (const auto& f : logins) EXPECT_LT(f.last_ms - f.first_ms, 10'000u);
}

TEST(Scenarios, ExfiltrationOneHostUploadsTheConfiguredBytes) {
  auto& r = run();
  const auto& leak = r.of(ScenarioKind::exfiltration);
  const auto& s = r.config.scenarios[5];
  std::uint64_t out = 0, in = 0;
  for (const auto& f : leak) (f.dst_port == 443 ? out : in) += f.bytes;
  EXPECT_EQ(distinct(leak, [](const auto& f) { return std::set{f.src_addr.bytes, f.dst_addr.bytes}; }), 1u);
  // 240 connections of the total / expected count each, +-20%: within 20%.
  EXPECT_NEAR(static_cast<double>(out), static_cast<double>(s.bytes), 0.2 * static_cast<double>(s.bytes));
  EXPECT_GT(out, 20 * in);
}

TEST(Scenarios, BeaconingPeriodicWithTheConfiguredJitter) {
  auto& r = run();
  std::map<Address, std::vector<std::uint64_t>> calls;
  for (const auto& f : r.of(ScenarioKind::beaconing))
    if (f.dst_port == 443) calls[f.src_addr.bytes].push_back(f.last_ms);
  EXPECT_EQ(calls.size(), 15u) << "0.5 flows a second, two a call, a call a minute: 15 hosts";
  std::vector<double> gaps;
  for (auto& [host, times] : calls) {
    std::sort(times.begin(), times.end());
    for (std::size_t i = 1; i < times.size(); ++i) gaps.push_back(static_cast<double>(times[i] - times[i - 1]));
  }
  ASSERT_GT(gaps.size(), 100u);
  const double mean = std::accumulate(gaps.begin(), gaps.end(), 0.0) / static_cast<double>(gaps.size());
  double variance = 0;
  for (double g : gaps) {
    EXPECT_GT(g, 0.9 * 60'000 - 1000);  // period x (1 - jitter), less the calls' own spread
    EXPECT_LT(g, 1.1 * 60'000 + 1000);
    variance += (g - mean) * (g - mean) / static_cast<double>(gaps.size());
  }
  EXPECT_NEAR(mean, 60'000, 1000);
  EXPECT_NEAR(std::sqrt(variance), 0.1 * 60'000 / std::sqrt(3.0), 800) << "uniform jitter of +-10%";
}

}  // namespace
}  // namespace sluice::flowgen::test
