// A scenario's table as the pipeline file writes it: every key read, errors
// that name the key, and keys of another kind refused.
#include <gtest/gtest.h>

#include <set>

#include "sluice/flowgen/scenario_options.h"
#include "sluice/flowgen/simulation.h"

namespace sluice::flowgen {
namespace {

using std::chrono::milliseconds;

Options table(std::initializer_list<std::pair<std::string, OptionValue>> keys) {
  Options t;
  for (const auto& [key, value] : keys) t.set(key, value);
  return t;
}

TEST(ScenarioOptions, OnlyTheKindIsRequiredAndNoKeyHasADefault) {
  std::set<std::string_view> names;
  for (const auto& spec : scenario_options()) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_EQ(spec.required, spec.name == "kind") << spec.name;
    EXPECT_TRUE(spec.default_value.empty()) << spec.name << ": an absent key takes the kind's default";
    EXPECT_FALSE(spec.help.empty()) << spec.name;
  }
  const auto c = scenario_from(table({{"kind", std::string("beaconing")}}));
  EXPECT_EQ(c.kind, ScenarioKind::beaconing);
  EXPECT_EQ(c.label, 0) << "0: the kind's own, 7";
  EXPECT_EQ(c.period_ms, 60'000u);
}

TEST(ScenarioOptions, ReadsEveryKeyOfItsKind) {
  const auto c = scenario_from(table({{"kind", std::string("port_scan")},
                                      {"start", milliseconds(600'000)},
                                      {"duration", milliseconds(120'000)},
                                      {"intensity", 500.0},
                                      {"label", std::int64_t{3}},
                                      {"scan", std::string("horizontal")},
                                      {"target", std::string("10.1.2.0/28")},
                                      {"ports", std::string("20-25,80")},
                                      {"attacker", std::string("198.51.100.7")}}));
  EXPECT_EQ(c.start_ms, 600'000u);
  EXPECT_EQ(c.duration_ms, 120'000u);
  EXPECT_EQ(c.intensity, 500);
  EXPECT_EQ(c.label, 3);
  EXPECT_EQ(c.scan, ScanDirection::horizontal);
  EXPECT_EQ(c.target->length, 28);
  EXPECT_EQ(c.ports, (std::vector<std::uint16_t>{20, 21, 22, 23, 24, 25, 80}));
  EXPECT_EQ(*c.attacker, IpAddress::v4(0xc6336407));

  // And it runs: 16 hosts, 7 ports each, from that scanner.
  std::vector<FlowRecord> flows;
  Simulation({.rate = 0, .start_ms = 1'795'392'000'000, .scenarios = {c}})
      .generate(1'795'392'000'000 + 720'000, SIZE_MAX, flows);
  std::set<std::pair<std::uint32_t, std::uint16_t>> probed;
  for (const auto& f : flows)
    if (f.src_addr == *c.attacker) probed.insert({f.dst_addr.v4_value(), f.dst_port});
  EXPECT_EQ(probed.size(), 16u * 7u);
  for (const auto& f : flows) EXPECT_EQ(f.label, 3);

  const auto amp = scenario_from(table({{"kind", std::string("udp_amplification")},
                                        {"protocol", std::string("memcached")},
                                        {"reflectors", std::int64_t{50}},
                                        {"victim", std::string("2001:db8::9")}}));
  EXPECT_EQ(amp.amplifier, Amplifier::memcached);
  EXPECT_EQ(amp.reflectors, 50u);
  EXPECT_FALSE(amp.victim->is_v4());
}

TEST(ScenarioOptions, ErrorsNameTheKey) {
  const std::string scan = "port_scan";
  const struct {
    Options t;
    std::string key;
  } cases[] = {
      {table({{"kind", std::string("worm")}}), "kind"},
      {table({{"kind", scan}, {"reflectors", std::int64_t{5}}}), "reflectors"},
      {table({{"kind", scan}, {"ports", std::string("0-5")}}), "ports"},
      {table({{"kind", scan}, {"ports", std::string("80-20")}}), "ports"},
      {table({{"kind", scan}, {"attacker", std::string("10.0.0.0/8")}}), "attacker"},
      {table({{"kind", scan}, {"target", std::string("example.com")}}), "target"},
      {table({{"kind", scan}, {"intensity", -1.0}}), "intensity"},
      {table({{"kind", std::string("beaconing")}, {"jitter", 1.0}}), "jitter"},
  };
  for (const auto& c : cases) {
    try {
      scenario_from(c.t);
      ADD_FAILURE() << c.key << " accepted";
    } catch (const OptionError& e) {
      EXPECT_EQ(e.key(), c.key) << e.what();
    }
  }
}

}  // namespace
}  // namespace sluice::flowgen
