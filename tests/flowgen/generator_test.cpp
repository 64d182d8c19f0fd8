// The flow generator: deterministic, consistent in time, plausible values.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "flow_checks.h"
#include "sluice/flowgen/flow_generator.h"

namespace sluice::flowgen {
namespace {

constexpr std::uint64_t now_ms = 1'795'000'000'123;

std::vector<FlowRecord> make(GeneratorConfig config, std::size_t n = 20'000) {
  FlowGenerator g(std::move(config));
  std::vector<FlowRecord> flows;
  g.generate(n, now_ms, flows);
  return flows;
}

class Profiles : public ::testing::TestWithParam<Profile> {};

TEST_P(Profiles, SameSeedSameFlowsOtherSeedOtherFlows) {
  EXPECT_EQ(make({.profile = GetParam(), .seed = 5}), make({.profile = GetParam(), .seed = 5}));
  EXPECT_NE(make({.profile = GetParam(), .seed = 5}), make({.profile = GetParam(), .seed = 6}));
}

TEST_P(Profiles, FlowsArePlausible) {
  std::map<std::array<std::uint8_t, 16>, std::pair<std::uint32_t, std::uint8_t>> as_and_mask;
  for (const auto& f : make({.profile = GetParam(), .seed = 9, .exporters = 3})) {
    EXPECT_LE(f.last_ms, now_ms);
    EXPECT_EQ(test::inconsistency(f, 1'800'000), "");
    EXPECT_LT(f.observation_domain, 3u);
    EXPECT_EQ(f.engine_id, f.observation_domain);
    EXPECT_EQ(f.exporter, exporter_address(f.observation_domain));
    const auto [it, first_seen] = as_and_mask.try_emplace(f.src_addr.bytes, f.src_as, f.src_mask);
    EXPECT_TRUE(first_seen || it->second == std::make_pair(f.src_as, f.src_mask))
        << "AS and mask are fixed per address";
  }
}

INSTANTIATE_TEST_SUITE_P(Both, Profiles, ::testing::Values(Profile::nflow, Profile::realistic),
                         [](const auto& info) { return info.param == Profile::nflow ? "nflow" : "realistic"; });

TEST(Realistic, Ipv6ShareAndSubnetsAsConfigured) {
  const auto flows = make({.seed = 3,
                           .ipv6_ratio = 0.25,
                           .subnets = {net::parse_prefix("192.168.0.0/16"), net::parse_prefix("2001:db8:5::/48")}});
  const auto v4_net = net::parse_prefix("192.168.0.0/16");
  const auto v6_net = net::parse_prefix("2001:db8:5::/48");
  std::size_t v6 = 0;
  for (const auto& f : flows) {
    v6 += !f.src_addr.is_v4();
    const auto inside = [&](const IpAddress& a) { return v4_net.contains(a) || v6_net.contains(a); };
    EXPECT_TRUE(inside(f.src_addr) || inside(f.dst_addr)) << "one end is ours, the other ours or the Internet's";
  }
  EXPECT_NEAR(static_cast<double>(v6) / static_cast<double>(flows.size()), 0.25, 0.02);
}

TEST(Realistic, PopularHostsAndHeavyTails) {
  const auto flows = make({.seed = 4, .ipv6_ratio = 0});
  std::map<std::array<std::uint8_t, 16>, int> per_host;
  std::uint64_t max_packets = 0;
  for (const auto& f : flows) {
    ++per_host[f.dst_addr.bytes];
    max_packets = std::max(max_packets, f.packets);
  }
  int top = 0;
  for (const auto& [host, n] : per_host) top = std::max(top, n);
  EXPECT_GT(top, static_cast<int>(flows.size() / 50)) << "the most popular host gets a large share (Zipf)";
  EXPECT_GT(max_packets, 1000u) << "some flows are elephants";
}

TEST(Nflow, ApplicationMix) {
  std::set<std::uint16_t> ports;
  for (const auto& f : make({.profile = Profile::nflow, .seed = 2})) ports.insert(f.dst_port);
  for (std::uint16_t p : {80, 443, 8080, 53, 123, 22, 993, 3306, 161, 21, 4662, 6881})
    EXPECT_TRUE(ports.contains(p)) << p;
}

TEST(Generator, RejectsUnusableConfigurations) {
  EXPECT_THROW(FlowGenerator({.exporters = 0}), std::invalid_argument);
  EXPECT_THROW(FlowGenerator({.ipv6_ratio = 0.5, .subnets = {net::parse_prefix("10.0.0.0/8")}}), std::invalid_argument);
}

}  // namespace
}  // namespace sluice::flowgen
