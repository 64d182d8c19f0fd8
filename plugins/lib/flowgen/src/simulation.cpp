#include "sluice/flowgen/simulation.h"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

#include "background.h"
#include "scenarios.h"

namespace sluice::flowgen {
namespace {

constexpr double hour_ms = 3'600'000;

// A weekday's shape: the trough before dawn at a quarter of the busiest
// hours, office hours and the evening busy.
constexpr double weekday[24] = {0.45, 0.35, 0.28, 0.24, 0.22, 0.25, 0.35, 0.55, 0.80, 0.95, 1.00, 1.00,
                                0.95, 0.97, 1.00, 0.98, 0.93, 0.85, 0.80, 0.82, 0.85, 0.82, 0.72, 0.58};
constexpr double weekend_factor = 0.6;

// Which weight applies at `ms`: the hour of the day, or of the week from
// Monday (1970-01-01, day 0, was a Thursday).
std::size_t slot_of(double ms, std::size_t slots) {
  const auto hours = static_cast<std::uint64_t>(ms / hour_ms);
  if (slots == 24) return hours % 24;
  const std::uint64_t weekday_index = (hours / 24 + 3) % 7;
  return weekday_index * 24 + hours % 24;
}

}  // namespace

RateProfile diurnal_profile() {
  RateProfile p;
  for (int day = 0; day < 7; ++day)
    for (double w : weekday) p.weights.push_back(day >= 5 ? w * weekend_factor : w);
  return p;
}

RateProfile parse_rate_profile(std::string_view text) {
  if (text == "flat") return {};
  if (text == "diurnal") return diurnal_profile();
  RateProfile p;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    std::string item(text.substr(at, comma - at));
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    double w = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), w);
    if (error != std::errc{} || end != item.data() + item.size() || !(w >= 0) || !std::isfinite(w))
      throw std::invalid_argument("\"" + item + "\" is not a weight >= 0: write \"flat\", \"diurnal\" or 24 or " +
                                  "168 comma-separated weights");
    p.weights.push_back(w);
    at = comma + 1;
  }
  if (p.weights.size() != 24 && p.weights.size() != 168)
    throw std::invalid_argument(std::to_string(p.weights.size()) +
                                " weights: give 24 (hours of a day) or 168 (hours of a week, from Monday)");
  double sum = 0;
  for (double w : p.weights) sum += w;
  if (sum <= 0) throw std::invalid_argument("the weights are all zero");
  return p;
}

struct Simulation::State {
  SimulationConfig config;
  Hosts hosts;
  Background background;
  Random rng;
  std::vector<double> weights;  // scaled to a mean of 1
  double rate_per_ms;
  // Times count from the start, so that a double keeps sub-microsecond
  // precision (since the epoch it would keep a quarter of a microsecond,
  // too coarse for the gaps between a million flows a second).
  std::uint64_t origin;
  double next_ms = ScenarioStream::never;  // the background's next flow
  std::vector<ScenarioStream> scenarios;

  explicit State(SimulationConfig c)
      : config(std::move(c)),
        hosts((config.background = checked(std::move(config.background))).subnets),
        background(config.background, hosts),
        rng(config.background.seed),
        rate_per_ms(config.rate / 1000),
        origin(config.start_ms) {
    if (!(config.rate >= 0) || !std::isfinite(config.rate)) throw std::invalid_argument("rate must be >= 0");
    const auto& w = config.rate_profile.weights;
    if (!w.empty()) {
      double sum = 0;
      for (double x : w) sum += x;
      if ((w.size() != 24 && w.size() != 168) || !(sum > 0))
        throw std::invalid_argument("a rate profile has 24 or 168 weights, not all zero");
      for (double x : w) weights.push_back(x * static_cast<double>(w.size()) / sum);
    }
    const Stamp stamp{config.background.exporters, &hosts, config.background.active_timeout_ms};
    for (std::size_t i = 0; i < config.scenarios.size(); ++i)
      scenarios.emplace_back(config.scenarios[i], hosts, stamp, config.start_ms, mix(config.background.seed + 1 + i));
    if (config.rate > 0) {
      next_ms = 0;
      advance_background();
    }
  }

  // An inhomogeneous Poisson process: a unit-rate exponential spent across
  // the hours at each hour's rate (memorylessness makes this exact).
  void advance_background() {
    double need = rng.exponential();
    if (weights.empty()) {
      next_ms += need / rate_per_ms;
      return;
    }
    const auto since_epoch = static_cast<double>(origin);
    for (double t = next_ms;;) {
      const double rate = rate_per_ms * weights[slot_of(since_epoch + t, weights.size())];
      const double hour_end = (std::floor((since_epoch + t) / hour_ms) + 1) * hour_ms - since_epoch;
      if (rate > 0 && t + need / rate < hour_end) {
        next_ms = t + need / rate;
        return;
      }
      need -= (hour_end - t) * rate;
      t = hour_end;
    }
  }

  ScenarioStream* first_scenario() {
    ScenarioStream* first = nullptr;
    for (auto& s : scenarios)
      if (s.next_ms() < (first ? first->next_ms() : ScenarioStream::never)) first = &s;
    return first;
  }
};

Simulation::Simulation(SimulationConfig config) : state_(std::make_unique<State>(std::move(config))) {}
Simulation::~Simulation() = default;
Simulation::Simulation(Simulation&&) noexcept = default;
Simulation& Simulation::operator=(Simulation&&) noexcept = default;

std::size_t Simulation::generate(std::uint64_t until_ms, std::size_t max, std::vector<FlowRecord>& out) {
  auto& s = *state_;
  const double until = until_ms <= s.origin ? 0 : static_cast<double>(until_ms - s.origin);
  std::size_t produced = 0;
  while (produced < max) {
    // In time order; at the same time the background first, then scenarios
    // in configuration order, whatever the slices of time asked for.
    ScenarioStream* scenario = s.first_scenario();
    const double scenario_ms = scenario ? scenario->next_ms() : ScenarioStream::never;
    const double bound = std::min(scenario_ms, until);
    while (produced < max && s.next_ms <= bound && s.next_ms < until) {
      s.background.next(s.rng, s.origin + static_cast<std::uint64_t>(s.next_ms), out.emplace_back());
      s.advance_background();
      ++produced;
    }
    if (produced == max || scenario_ms >= until || s.next_ms <= scenario_ms) {
      if (produced == max || (scenario_ms >= until && s.next_ms >= until)) break;
      continue;
    }
    out.push_back(scenario->pop());
    ++produced;
  }
  return produced;
}

std::uint64_t Simulation::next_ms() const {
  auto& s = *state_;
  double next = s.next_ms;
  for (const auto& scenario : s.scenarios) next = std::min(next, scenario.next_ms());
  return std::isinf(next) ? UINT64_MAX : s.origin + static_cast<std::uint64_t>(next);
}

}  // namespace sluice::flowgen
