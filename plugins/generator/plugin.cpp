// generator: synthetic flows at a steady rate (see flow_generator.h for what
// they look like). Paces itself against the clock: after t seconds it has
// emitted rate * t flows, whatever the batch sizes and sleeps.
#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "sluice/flowgen/flow_generator.h"

namespace {

using namespace std::chrono;
using sluice::flowgen::FlowGenerator;
using sluice::flowgen::GeneratorConfig;
using sluice::flowgen::Profile;

constexpr sluice::OptionSpec options[] = {
    {.name = "rate",
     .type = sluice::OptionType::integer,
     .default_value = "0",
     .help = "flows per second; 0: as fast as the pipeline takes them"},
    {.name = "count",
     .type = sluice::OptionType::integer,
     .default_value = "0",
     .help = "stop after this many flows; 0: no limit"},
    {.name = "duration",
     .type = sluice::OptionType::duration,
     .default_value = "\"0s\"",
     .help = "stop after this long; 0s: no limit"},
    {.name = "seed", .type = sluice::OptionType::integer, .default_value = "1", .help = "same seed, same flows"},
    {.name = "profile",
     .type = sluice::OptionType::string,
     .default_value = "\"realistic\"",
     .help = "realistic: Zipf hosts, heavy tails, IPv4/IPv6; nflow: nflow-generator's application mix",
     .choices = "realistic|nflow"},
    {.name = "exporters",
     .type = sluice::OptionType::integer,
     .default_value = "1",
     .help = "simulated exporters (1-256), each with its own address 10.255.0.N and engine id"},
    {.name = "ipv6_ratio",
     .type = sluice::OptionType::number,
     .default_value = "0.2",
     .help = "realistic: share of IPv6 flows"},
    {.name = "subnets",
     .type = sluice::OptionType::string_list,
     .default_value = "[\"10.0.0.0/8\", \"2001:db8::/32\"]",
     .help = "realistic: the prefixes hosts live in"},
    {.name = "clock_start",
     .type = sluice::OptionType::string,
     .default_value = "\"\"",
     .help = "simulated clock start, \"YYYY-MM-DDTHH:MM:SSZ\" (UTC), for flows of another day; empty: now"},
    {.name = "batch_size",
     .type = sluice::OptionType::integer,
     .default_value = "1024",
     .help = "flows per batch at most"},
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

GeneratorConfig config_from(const sluice::Options& options) {
  GeneratorConfig c;
  c.profile = options.string("profile") == "nflow" ? Profile::nflow : Profile::realistic;
  c.seed = static_cast<std::uint64_t>(options.integer("seed"));
  const auto exporters = options.integer("exporters");
  if (exporters < 1 || exporters > 256) throw sluice::OptionError("exporters", "must be 1 to 256");
  c.exporters = static_cast<std::uint32_t>(exporters);
  c.ipv6_ratio = options.number("ipv6_ratio");
  if (!(c.ipv6_ratio >= 0 && c.ipv6_ratio <= 1)) throw sluice::OptionError("ipv6_ratio", "must be 0 to 1");
  for (const auto& text : options.strings("subnets")) {
    try {
      c.subnets.push_back(sluice::netflow::parse_prefix(text));
    } catch (const std::invalid_argument& e) {
      throw sluice::OptionError("subnets", e.what());
    }
  }
  return c;
}

FlowGenerator make_generator(const sluice::Options& options) {
  try {
    return FlowGenerator(config_from(options));
  } catch (const std::invalid_argument& e) {
    throw sluice::OptionError("subnets", e.what());  // the only combination left to fail: families vs ipv6_ratio
  }
}

class Generator {
 public:
  Generator(const sluice::Options& options, sluice::Host& host)
      : generator_(make_generator(options)),
        rate_(options.integer("rate")),
        count_(options.integer("count")),
        duration_(options.duration("duration")),
        batch_size_(options.integer("batch_size")),
        clock_start_ms_(options.string("clock_start").empty() ? 0 : parse_utc(options.string("clock_start"))),
        host_(host) {
    if (rate_ < 0) throw sluice::OptionError("rate", "must be >= 0");
    if (count_ < 0) throw sluice::OptionError("count", "must be >= 0");
    if (duration_.count() < 0) throw sluice::OptionError("duration", "must be >= 0");
    if (batch_size_ < 1) throw sluice::OptionError("batch_size", "must be >= 1");
  }

  void start() { started_ = steady_clock::now(); }

  bool poll(sluice::Emitter& out) {
    const auto elapsed = steady_clock::now() - started_;
    if (finished(elapsed)) return false;
    // Flow k is due at k / rate seconds: the first at once.
    std::uint64_t due =
        rate_ == 0 ? emitted_ + static_cast<std::uint64_t>(batch_size_)
                   : static_cast<std::uint64_t>(duration<double>(elapsed).count() * static_cast<double>(rate_)) + 1;
    if (count_ > 0) due = std::min(due, static_cast<std::uint64_t>(count_));
    const std::uint64_t n = std::min(due - std::min(due, emitted_), static_cast<std::uint64_t>(batch_size_));
    if (n == 0) {
      // Sleep until the next flow is due, but never past the stop checks.
      const auto next = started_ + duration_cast<steady_clock::duration>(
                                       duration<double>(static_cast<double>(emitted_) / static_cast<double>(rate_)));
      std::this_thread::sleep_until(std::min(next, steady_clock::now() + milliseconds(100)));
      return true;
    }
    auto batch = sluice::make_batch(n);
    generator_.generate(n, now_ms(elapsed), batch->records);
    out.emit(std::move(batch));
    emitted_ += n;
    report_progress(steady_clock::now() - started_);
    return !finished(steady_clock::now() - started_);
  }

  std::string report() const { return fmt::format("  generated {} flows\n", emitted_); }

 private:
  bool finished(steady_clock::duration elapsed) const {
    return host_.stopping() || (count_ > 0 && emitted_ >= static_cast<std::uint64_t>(count_)) ||
           (duration_.count() > 0 && elapsed >= duration_);
  }

  // A bounded run's share done: by count, or by duration.
  void report_progress(steady_clock::duration elapsed) {
    double share = -1;
    if (count_ > 0) share = static_cast<double>(emitted_) / static_cast<double>(count_);
    if (duration_.count() > 0) share = std::max(share, duration<double>(elapsed) / duration<double>(duration_));
    if (share >= 0) host_.progress(std::min(share, 1.0));
  }

  std::uint64_t now_ms(steady_clock::duration elapsed) const {
    if (clock_start_ms_ == 0) return sluice::now_ms();
    return clock_start_ms_ + static_cast<std::uint64_t>(duration_cast<milliseconds>(elapsed).count());
  }

  FlowGenerator generator_;
  const std::int64_t rate_;
  const std::int64_t count_;
  const milliseconds duration_;
  const std::int64_t batch_size_;
  const std::uint64_t clock_start_ms_;
  sluice::Host& host_;
  steady_clock::time_point started_;
  std::uint64_t emitted_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<Generator>("generator",
                                        "synthetic flows: rate, count or duration, seed, profiles, exporters", options))
