// Simulated time: reproducible whatever the slices of time, export order,
// and a background rate that follows the daily and weekly profile.
#include <gtest/gtest.h>

#include <cmath>

#include "flow_checks.h"
#include "sluice/flowgen/simulation.h"

namespace sluice::flowgen {
namespace {

constexpr std::uint64_t monday = 1'795'392'000'000;  // 2026-11-23T00:00:00Z, a Monday
constexpr std::uint64_t hour = 3'600'000;

SimulationConfig with_every_scenario() {
  SimulationConfig c{.background = {.seed = 7}, .rate = 2000, .start_ms = monday};
  for (std::uint8_t k = 0; k < 7; ++k)
    c.scenarios.push_back({.kind = static_cast<ScenarioKind>(k), .start_ms = 1000u * k, .duration_ms = 20'000});
  return c;
}

TEST(Simulation, SameConfigSameFlowsWhateverTheSlices) {
  std::vector<FlowRecord> whole, sliced;
  Simulation(with_every_scenario()).generate(monday + 30'000, SIZE_MAX, whole);
  Simulation s(with_every_scenario());
  std::uint64_t until = monday;
  for (std::size_t step = 1; s.next_ms() < monday + 30'000; step = step * 7 % 1013 + 1) {
    until = std::min(until + step * 13, monday + 30'000);
    s.generate(until, step, sliced);  // slices of time and of count, as a paced source asks
  }
  ASSERT_GT(whole.size(), 60'000u);
  EXPECT_TRUE(whole == sliced);
  std::vector<FlowRecord> other;
  auto config = with_every_scenario();
  config.background.seed = 8;
  Simulation(config).generate(monday + 30'000, SIZE_MAX, other);
  EXPECT_FALSE(whole == other);
}

TEST(Simulation, FlowsLeaveInExportOrderAndEndBeforeIt) {
  std::vector<FlowRecord> flows;
  Simulation s(with_every_scenario());
  std::uint64_t until = monday;
  while (until < monday + 30'000) {
    until += 500;
    const std::size_t before = flows.size();
    s.generate(until, SIZE_MAX, flows);
    for (std::size_t i = before; i < flows.size(); ++i) EXPECT_LT(flows[i].last_ms, until);
    EXPECT_GE(s.next_ms(), until - 1) << "nothing due before the slice's end is left behind";
  }
}

TEST(Simulation, HourlyCountsFollowTheDiurnalProfile) {
  // A week at 3 flows a simulated second: 1.8M flows, counted by hour (a
  // third of them under the sanitizers).
  constexpr double rate = test::sanitized ? 1 : 3;
  Simulation s({.background = {.seed = 11}, .rate = rate, .rate_profile = diurnal_profile(), .start_ms = monday});
  const auto weights = diurnal_profile().weights;
  double sum = 0;
  for (double w : weights) sum += w;
  std::vector<FlowRecord> flows;
  double chi_square = 0;
  std::vector<double> day_expected(7), day_counted(7);
  for (std::size_t h = 0; h < 168; ++h) {
    flows.clear();
    s.generate(monday + (h + 1) * hour, SIZE_MAX, flows);
    const double expected = rate * 3600 * weights[h] * 168 / sum;
    const double counted = static_cast<double>(flows.size());
    // Each hour within 4 sigma: at 3 sigma, one of 168 hours would stray for
    // a third of all seeds.
    EXPECT_LT(std::abs(counted - expected), 4 * std::sqrt(expected)) << "hour " << h << " of the week";
    chi_square += (counted - expected) * (counted - expected) / expected;
    day_expected[h / 24] += expected;
    day_counted[h / 24] += counted;
  }
  EXPECT_LT(chi_square, 230) << "167 degrees of freedom: 230 is past the 99.9th percentile";
  for (std::size_t d = 0; d < 7; ++d)
    EXPECT_LT(std::abs(day_counted[d] - day_expected[d]), 3 * std::sqrt(day_expected[d])) << "day " << d;
  EXPECT_LT(day_counted[5], 0.7 * day_counted[2]) << "weekends dip";
}

TEST(Simulation, AMillionFlowsASecondKeepTheirCount) {
  // Gaps of a microsecond: still a Poisson count (times count from the
  // start, where a double's grain is far finer than the gaps).
  const double seconds = test::sanitized ? 0.5 : 2;
  Simulation s({.background = {.seed = 5}, .rate = 1e6, .start_ms = monday});
  std::vector<FlowRecord> batch;
  std::size_t count = 0;
  while (s.next_ms() < monday + static_cast<std::uint64_t>(seconds * 1000)) {
    batch.clear();
    count += s.generate(monday + static_cast<std::uint64_t>(seconds * 1000), 65536, batch);
  }
  EXPECT_NEAR(static_cast<double>(count), seconds * 1e6, 3 * std::sqrt(seconds * 1e6));
}

TEST(Simulation, FlatAndHourlyProfiles) {
  EXPECT_TRUE(parse_rate_profile("flat").weights.empty());
  EXPECT_EQ(parse_rate_profile("diurnal").weights.size(), 168u);
  const auto day = parse_rate_profile("0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0");
  ASSERT_EQ(day.weights.size(), 24u);
  // All flows in the noon hour of each day.
  std::vector<FlowRecord> flows;
  Simulation({.background = {.seed = 3}, .rate = 1, .rate_profile = day, .start_ms = monday})
      .generate(monday + 48 * hour, SIZE_MAX, flows);
  ASSERT_FALSE(flows.empty());
  for (const auto& f : flows) {
    const std::uint64_t exported_hour = (f.last_ms + 1000 - monday) / hour % 24;
    EXPECT_TRUE(exported_hour == 12 || exported_hour == 13) << exported_hour;
  }
  EXPECT_NEAR(static_cast<double>(flows.size()), 2 * 86400.0, 3 * std::sqrt(2 * 86400.0));
  EXPECT_THROW(parse_rate_profile("1,2,3"), std::invalid_argument);
  EXPECT_THROW(parse_rate_profile("weekly"), std::invalid_argument);
  EXPECT_THROW(parse_rate_profile("0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0"), std::invalid_argument);
  EXPECT_THROW(Simulation({.rate = -1}), std::invalid_argument);
}

}  // namespace
}  // namespace sluice::flowgen
