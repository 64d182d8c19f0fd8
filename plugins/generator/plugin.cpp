// generator: synthetic flows (flow_generator.h and simulation.h say what
// they look like). At a rate it runs a simulated clock: background flows
// arrive as a Poisson process of `rate` a simulated second, shaped by
// `rate_profile`, and the clock advances `speedup` simulated seconds a real
// second, so the flows depend on the configuration alone. At rate 0 it emits
// as fast as the pipeline takes them, stamped with the time they leave.
#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <optional>
#include <thread>
#include <vector>

#include "sluice/flowgen/flow_generator.h"
#include "sluice/flowgen/scenario_options.h"
#include "sluice/flowgen/simulation.h"

namespace {

using namespace std::chrono;
using sluice::flowgen::FlowGenerator;
using sluice::flowgen::GeneratorConfig;
using sluice::flowgen::Profile;
using sluice::flowgen::Simulation;
using sluice::flowgen::SimulationConfig;

// Not constexpr: a scenario's keys come from flowgen (constant data all the same).
const sluice::OptionSpec options[] = {
    {.name = "rate",
     .type = sluice::OptionType::number,
     .default_value = "0",
     .help = "flows per (simulated) second, on average; 0: as fast as the pipeline takes them",
     .min = "0"},
    {.name = "count",
     .type = sluice::OptionType::integer,
     .default_value = "0",
     .help = "stop after this many flows; 0: no limit",
     .min = "0"},
    {.name = "duration",
     .type = sluice::OptionType::duration,
     .default_value = "\"0s\"",
     .help = "stop after this long (of simulated time, with a rate); 0s: no limit"},
    {.name = "seed", .type = sluice::OptionType::integer, .default_value = "1", .help = "same seed, same flows"},
    {.name = "profile",
     .type = sluice::OptionType::string,
     .default_value = "\"realistic\"",
     .help = "realistic: calibrated on real traffic (docs/scenarios.md); nflow: nflow-generator's application mix",
     .choices = "realistic|nflow"},
    {.name = "exporters",
     .type = sluice::OptionType::integer,
     .default_value = "1",
     .help = "simulated exporters, each with its own address 10.255.0.N and engine id",
     .min = "1",
     .max = "256"},
    {.name = "ipv6_ratio",
     .type = sluice::OptionType::number,
     .default_value = "0.2",
     .help = "realistic: share of IPv6 flows",
     .min = "0",
     .max = "1"},
    {.name = "subnets",
     .type = sluice::OptionType::string_list,
     .default_value = "[\"10.0.0.0/8\", \"2001:db8::/32\"]",
     .help = "realistic: the prefixes our hosts live in"},
    {.name = "active_timeout",
     .type = sluice::OptionType::duration,
     .default_value = "\"30m\"",
     .help = "realistic: longer flows leave the simulated exporter in pieces this long",
     .min = "1"},
    {.name = "clock_start",
     .type = sluice::OptionType::string,
     .default_value = "\"\"",
     .help = "simulated clock start, \"YYYY-MM-DDTHH:MM:SSZ\" (UTC), for flows of another day; empty: now"},
    {.name = "speedup",
     .type = sluice::OptionType::number,
     .default_value = "1",
     .help = "with a rate: simulated seconds a real second (604800: a week in a second's worth of pacing); 0: "
             "as fast as the pipeline takes them",
     .min = "0"},
    {.name = "rate_profile",
     .type = sluice::OptionType::string,
     .default_value = "\"flat\"",
     .help = "with a rate: \"flat\"; \"diurnal\" (quiet nights, busy days, lighter weekends); or 24 (a day from "
             "00:00 UTC) or 168 (a week from Monday) comma-separated hourly weights"},
    sluice::batch_size_option("1024"),
    {.name = "scenarios",
     .type = sluice::OptionType::table_list,
     .default_value = "[]",
     .help = "with a rate: labelled attacks, each in its window ([[sources.ID.scenarios]], docs/scenarios.md)",
     .fields = sluice::flowgen::scenario_options()},
};

// "2026-11-01T00:00:00Z" to ms since the epoch.
std::uint64_t parse_utc(const std::string& text) {
  std::tm tm{};
  char zone = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &zone) != 7 ||
      zone != 'Z')
    throw sluice::OptionError("clock_start", fmt::format("\"{}\" is not YYYY-MM-DDTHH:MM:SSZ", text));
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::uint64_t>(timegm(&tm)) * 1000;
}

// Instances of one generator make different flows: instance 0 those of a
// single generator, each other one those of a seed far from it.
GeneratorConfig config_from(const sluice::Options& options, unsigned instance) {
  GeneratorConfig c;
  c.profile = options.string("profile") == "nflow" ? Profile::nflow : Profile::realistic;
  c.seed = static_cast<std::uint64_t>(options.integer("seed")) + instance * 0x9E3779B97F4A7C15ULL;
  c.exporters = static_cast<std::uint32_t>(options.integer("exporters"));
  c.ipv6_ratio = options.number("ipv6_ratio");
  for (const auto& text : options.strings("subnets")) {
    try {
      c.subnets.push_back(sluice::net::parse_prefix(text));
    } catch (const std::invalid_argument& e) {
      throw sluice::OptionError("subnets", e.what());
    }
  }
  c.active_timeout_ms = static_cast<std::uint64_t>(options.duration("active_timeout").count());
  return c;
}

// The [[scenarios]] tables; a problem in one is named scenarios[i].KEY.
std::vector<sluice::flowgen::ScenarioConfig> scenarios_from(const sluice::Options& options) {
  std::vector<sluice::flowgen::ScenarioConfig> scenarios;
  const auto& tables = options.tables("scenarios");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    try {
      scenarios.push_back(sluice::flowgen::scenario_from(tables[i]));
    } catch (const sluice::OptionError& e) {
      throw sluice::OptionError(fmt::format("scenarios[{}].{}", i, e.key()), e.what());
    }
  }
  return scenarios;
}

// With a rate, the simulation; without, none (and the options that need one unset).
std::optional<SimulationConfig> simulation_from(const sluice::Options& options, unsigned instance) {
  const double rate = options.number("rate");
  const double speedup = options.number("speedup");
  sluice::flowgen::RateProfile profile;
  try {
    profile = sluice::flowgen::parse_rate_profile(options.string("rate_profile"));
  } catch (const std::invalid_argument& e) {
    throw sluice::OptionError("rate_profile", e.what());
  }
  auto scenarios = scenarios_from(options);
  if (rate == 0) {
    if (!profile.weights.empty()) throw sluice::OptionError("rate_profile", "needs a rate: flows a simulated second");
    if (speedup != 1) throw sluice::OptionError("speedup", "needs a rate: flows a simulated second");
    if (!scenarios.empty()) throw sluice::OptionError("scenarios", "need a rate: they run on the simulated clock");
    return std::nullopt;
  }
  return SimulationConfig{.background = config_from(options, instance),
                          .rate = static_cast<double>(rate),
                          .rate_profile = std::move(profile),
                          .scenarios = std::move(scenarios)};
}

// Constructs once to check the configuration, so `sluice validate` reports it.
template <class Made, class Config>
Made checked(const Config& config) {
  try {
    return Made(config);
  } catch (const std::invalid_argument& e) {
    throw sluice::OptionError("subnets", e.what());  // the only combination left to fail: families vs ipv6_ratio
  }
}

// The background first, then each scenario on it: a scenario whose addresses
// the subnets cannot hold is named scenarios[i].
Simulation checked_simulation(const SimulationConfig& config) {
  SimulationConfig alone = config;
  alone.scenarios.clear();
  checked<Simulation>(alone);
  for (std::size_t i = 0; i < config.scenarios.size(); ++i) {
    alone.scenarios = {config.scenarios[i]};
    try {
      Simulation{alone};
    } catch (const std::invalid_argument& e) {
      throw sluice::OptionError(fmt::format("scenarios[{}]", i), e.what());
    }
  }
  return Simulation(config);
}

class Generator {
 public:
  Generator(const sluice::Options& options, sluice::Host& host)
      : simulated_(simulation_from(options, host.instance())),
        count_(options.integer("count")),
        duration_(options.duration("duration")),
        batch_size_(options.integer("batch_size")),
        speedup_(options.number("speedup")),
        clock_start_ms_(options.string("clock_start").empty() ? 0 : parse_utc(options.string("clock_start"))),
        host_(host) {
    if (simulated_)
      simulation_.emplace(checked_simulation(*simulated_));
    else
      generator_.emplace(checked<FlowGenerator>(config_from(options, host.instance())));
  }

  void start() {
    started_ = steady_clock::now();
    if (!simulated_) return;
    simulated_->start_ms = clock_start_ms_ != 0 ? clock_start_ms_ : sluice::now_ms();
    simulation_.emplace(*simulated_);  // its windows count from the start
  }

  bool poll(sluice::Emitter& out) { return simulation_ ? poll_simulated(out) : poll_unpaced(out); }

  std::string report() const { return fmt::format("  generated {} flows\n", emitted_); }

 private:
  bool poll_simulated(sluice::Emitter& out) {
    if (host_.stopping()) return false;
    const std::uint64_t start = simulated_->start_ms;
    const std::uint64_t end =
        duration_.count() > 0 ? start + static_cast<std::uint64_t>(duration_.count()) : UINT64_MAX;
    const double simulated_ms = duration<double, std::milli>(steady_clock::now() - started_).count() * speedup_;
    const std::uint64_t now = speedup_ == 0 || simulated_ms >= static_cast<double>(end - start)
                                  ? end
                                  : start + static_cast<std::uint64_t>(simulated_ms);
    std::size_t room = static_cast<std::size_t>(batch_size_);
    if (count_ > 0) room = std::min(room, static_cast<std::size_t>(static_cast<std::uint64_t>(count_) - emitted_));
    // A slow generator (1,000 flows/s) finds a flow or none due at a poll:
    // a full batch reserved at every poll (320 KB, fresh pages each time) cost
    // more CPU than the flows. Keep the batch until it has flows, and reserve
    // a full one only while batches come full.
    if (!pending_) pending_ = sluice::make_batch(last_made_ < room ? std::min<std::size_t>(room, 64) : room);
    const std::size_t made = simulation_->generate(now, room, pending_->records);
    last_made_ = made;
    if (made > 0) {
      out.emit(std::move(pending_));
      pending_.reset();
      emitted_ += made;
    }
    const std::uint64_t next = simulation_->next_ms();
    const bool done = (count_ > 0 && emitted_ >= static_cast<std::uint64_t>(count_)) || next >= end;
    report_progress(std::min(next, now) - start);
    if (done || made > 0) return !done;
    // Sleep until the next flow is due in real time, but never past the stop
    // checks. Flows are taken while their time is before `now`, a whole ms: the
    // next one is due a ms after its own (until then a poll would find nothing,
    // and the loop spun through that ms: 60% of a core at 1,000 flows/s).
    const auto due = started_ + duration_cast<steady_clock::duration>(
                                    duration<double, std::milli>(static_cast<double>(next + 1 - start) / speedup_));
    std::this_thread::sleep_until(std::min(due, steady_clock::now() + milliseconds(100)));
    return true;
  }

  bool poll_unpaced(sluice::Emitter& out) {
    const auto elapsed = steady_clock::now() - started_;
    if (host_.stopping() || (count_ > 0 && emitted_ >= static_cast<std::uint64_t>(count_)) ||
        (duration_.count() > 0 && elapsed >= duration_))
      return false;
    std::uint64_t n = static_cast<std::uint64_t>(batch_size_);
    if (count_ > 0) n = std::min(n, static_cast<std::uint64_t>(count_) - emitted_);
    auto batch = sluice::make_batch(n);
    const std::uint64_t now =
        clock_start_ms_ == 0
            ? sluice::now_ms()
            : clock_start_ms_ + static_cast<std::uint64_t>(duration_cast<milliseconds>(elapsed).count());
    generator_->generate(n, now, batch->records);
    out.emit(std::move(batch));
    emitted_ += n;
    report_progress(static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now() - started_).count()));
    return true;
  }

  // A bounded run's share done: by count, or by (simulated) time.
  void report_progress(std::uint64_t elapsed_ms) {
    double share = -1;
    if (count_ > 0) share = static_cast<double>(emitted_) / static_cast<double>(count_);
    if (duration_.count() > 0)
      share = std::max(share, static_cast<double>(elapsed_ms) / static_cast<double>(duration_.count()));
    if (share >= 0) host_.progress(std::min(share, 1.0));
  }

  std::optional<SimulationConfig> simulated_;
  std::optional<Simulation> simulation_;
  std::optional<FlowGenerator> generator_;
  const std::int64_t count_;
  const milliseconds duration_;
  const std::int64_t batch_size_;
  const double speedup_;
  const std::uint64_t clock_start_ms_;
  sluice::Host& host_;
  steady_clock::time_point started_;
  std::uint64_t emitted_ = 0;
  std::shared_ptr<sluice::Batch> pending_;  // made, no flows yet
  std::size_t last_made_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<Generator>(
    "generator", "synthetic flows: rate, count or duration, seed, profiles, exporters, simulated time", options))
