// Simulated time: background flows as a Poisson process whose rate follows a
// daily or weekly profile, scenarios in their windows, all exported in time
// order. The flows depend only on the configuration, never on how the
// caller slices time, so the same seed gives byte-identical output.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/flowgen/flow_generator.h"
#include "sluice/flowgen/scenario.h"

namespace sluice::flowgen {

// Relative weights of the background rate by hour of the day (24, from
// 00:00 UTC) or of the week (168, from Monday 00:00 UTC); empty: flat.
struct RateProfile {
  std::vector<double> weights = {};
};

// A working week's day: quiet at night, busy in office hours and the evening,
// weekends lighter.
RateProfile diurnal_profile();
// "flat", "diurnal", or 24 or 168 comma-separated non-negative weights, not
// all zero; throws std::invalid_argument naming what is wrong.
RateProfile parse_rate_profile(std::string_view text);

struct SimulationConfig {
  GeneratorConfig background = {};
  double rate = 1000;  // background flows per simulated second, averaged over the profile; 0: none
  RateProfile rate_profile = {};
  std::uint64_t start_ms = 0;  // the simulated clock at the start, ms since the epoch
  std::vector<ScenarioConfig> scenarios = {};
};

class Simulation {
 public:
  // Throws std::invalid_argument for an unusable configuration.
  explicit Simulation(SimulationConfig config);
  ~Simulation();
  Simulation(Simulation&&) noexcept;
  Simulation& operator=(Simulation&&) noexcept;

  // Appends, in export order, the flows exported before `until_ms` (simulated
  // ms since the epoch), at most `max` of them; returns how many.
  std::size_t generate(std::uint64_t until_ms, std::size_t max, std::vector<FlowRecord>& out);
  // When the next flow is exported (simulated ms since the epoch); UINT64_MAX
  // when nothing more will be.
  std::uint64_t next_ms() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::flowgen
