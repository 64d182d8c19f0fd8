// sampler: keeps a known fraction of the flows (see sampling.h).
#include "sluice/sampling/sampling.h"

#include <sluice/plugin.h>

#include <fmt/format.h>

#include <random>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "mode",
     .type = sluice::OptionType::string,
     .default_value = "\"systematic\"",
     .help = "systematic: 1 of every N; random: each with probability 1/N; hash: by flow key, flows kept whole",
     .choices = "systematic|random|hash"},
    {.name = "rate",
     .type = sluice::OptionType::integer,
     .help = "keep 1 in N; give rate or ratio",
     .min = "1",
     .max = "4294967295"},
    {.name = "ratio",
     .type = sluice::OptionType::number,
     .help = "keep this fraction, more than 0; instead of rate",
     .max = "1"},
    {.name = "renormalize",
     .type = sluice::OptionType::boolean,
     .default_value = "false",
     .help = "multiply packets and bytes of kept flows by N, so sums stay unbiased"},
    {.name = "seed",
     .type = sluice::OptionType::integer,
     .help = "random: the generator's seed (default: a fresh one, logged); hash: mixed into the hash (default 0)"},
    {.name = "key",
     .type = sluice::OptionType::string_list,
     .help = "hash: the flow key fields (default: src_addr, dst_addr, src_port, dst_port, proto)"},
};

sluice::sampling::Settings settings_from(const sluice::Options& options, sluice::Host& host) {
  using namespace sluice::sampling;
  Settings s;
  s.mode = *parse_mode(options.string("mode"));  // the engine checked the choices
  const bool has_rate = options.has("rate"), has_ratio = options.has("ratio");
  if (has_rate && has_ratio) throw sluice::OptionError("ratio", "give rate (1 in N) or ratio (a fraction), not both");
  if (!has_rate && !has_ratio) throw sluice::OptionError("rate", "missing: give rate = N (keep 1 in N) or ratio = p");
  if (has_rate) {
    s.interval = static_cast<std::uint32_t>(options.integer("rate"));
  } else {
    s.ratio = options.number("ratio");
    if (!(s.ratio > 0)) throw sluice::OptionError("ratio", "must be > 0");
  }
  s.renormalize = options.boolean("renormalize");
  if (options.has("seed")) {
    s.seed = static_cast<std::uint64_t>(options.integer("seed"));
  } else if (s.mode == Mode::random) {
    s.seed = std::random_device{}();
    host.log(sluice::LogLevel::info,
             fmt::format("random sampling with seed = {} (set seed to repeat this run)", s.seed));
  }
  if (options.has("key")) {
    if (s.mode != Mode::hash) throw sluice::OptionError("key", "applies to mode = \"hash\" only");
    s.key.clear();
    for (const auto& name : options.strings("key")) {
      auto field = parse_key_field(name);
      if (!field)
        throw sluice::OptionError("key", fmt::format("unknown field \"{}\"; known: {}", name, key_field_names()));
      s.key.push_back(*field);
    }
    if (s.key.empty()) throw sluice::OptionError("key", "needs at least one field");
  }
  return s;
}

class SamplerPlugin {
 public:
  SamplerPlugin(const sluice::Options& options, sluice::Host& host) : sampler_(settings_from(options, host)) {}

  void process(const sluice::BatchPtr& in, sluice::Emitter& out) {
    auto kept = sluice::make_batch(static_cast<std::size_t>(in->records.size() / sampler_.scale()) + 16);
    sluice::visit(
        *in, [&](std::span<const sluice::FlowRecord> records) { sampler_.sample(records, kept->records); },
        [&](const sluice::Event& event) { kept->add_event(event); });
    if (!kept->records.empty() || !kept->events.empty()) out.emit(std::move(kept));
  }

 private:
  sluice::sampling::Sampler sampler_;
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<SamplerPlugin>("sampler", "keeps 1 in N flows: systematic, random or by flow hash",
                                               options))
