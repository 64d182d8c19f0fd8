#include "sluice/sampling/sampling.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace sluice::sampling {

namespace {

constexpr std::pair<std::string_view, Mode> modes[] = {
    {"systematic", Mode::systematic}, {"random", Mode::random}, {"hash", Mode::hash}};

constexpr std::pair<std::string_view, KeyField> key_fields[] = {{"src_addr", KeyField::src_addr},
                                                                {"dst_addr", KeyField::dst_addr},
                                                                {"src_port", KeyField::src_port},
                                                                {"dst_port", KeyField::dst_port},
                                                                {"proto", KeyField::proto},
                                                                {"exporter", KeyField::exporter},
                                                                {"in_if", KeyField::in_if},
                                                                {"out_if", KeyField::out_if},
                                                                {"src_as", KeyField::src_as},
                                                                {"dst_as", KeyField::dst_as},
                                                                {"tos", KeyField::tos}};

// splitmix64's finaliser: a fast 64-bit mix with full avalanche. Stable across
// runs and machines, which is what keeps hash sampling consistent over restarts.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t word(const IpAddress& a, std::size_t half) noexcept {
  std::uint64_t w;
  std::memcpy(&w, a.bytes.data() + 8 * half, 8);
  return w;
}

std::uint64_t saturating_scale(std::uint64_t value, double factor) noexcept {
  const double scaled = std::round(static_cast<double>(value) * factor);
  return scaled >= 1.8446744073709552e19 ? UINT64_MAX : static_cast<std::uint64_t>(scaled);
}

}  // namespace

std::optional<Mode> parse_mode(std::string_view name) {
  for (auto [n, m] : modes)
    if (n == name) return m;
  return std::nullopt;
}

std::optional<KeyField> parse_key_field(std::string_view name) {
  for (auto [n, f] : key_fields)
    if (n == name) return f;
  return std::nullopt;
}

std::string_view key_field_names() {
  return "src_addr, dst_addr, src_port, dst_port, proto, exporter, in_if, out_if, src_as, dst_as, tos";
}

std::vector<KeyField> five_tuple() {
  return {KeyField::src_addr, KeyField::dst_addr, KeyField::src_port, KeyField::dst_port, KeyField::proto};
}

Sampler::Sampler(const Settings& settings)
    : mode_(settings.mode),
      renormalize_(settings.renormalize),
      key_(settings.key),
      seed_(settings.seed),
      random_state_(settings.seed) {
  double p;
  if (settings.ratio) {
    p = *settings.ratio;
    if (!(p > 0 && p <= 1)) throw std::invalid_argument("ratio must be in (0, 1]");
    ratio_ = p;
  } else {
    if (settings.interval == 0) throw std::invalid_argument("rate must be >= 1");
    whole_interval_ = settings.interval;
    p = 1.0 / settings.interval;
  }
  scale_ = settings.ratio ? 1.0 / p : settings.interval;
  interval_multiplier_ = static_cast<std::uint32_t>(std::max(1.0, std::round(scale_)));
  keep_all_ = p >= 1.0;
  threshold_ = keep_all_ ? UINT64_MAX : static_cast<std::uint64_t>(std::ldexp(p, 64));
  if (key_.empty()) key_ = five_tuple();
}

std::uint64_t Sampler::next_random() {
  random_state_ += 0x9e3779b97f4a7c15ULL;
  return mix(random_state_);
}

std::uint64_t hash_key(const FlowRecord& r, std::span<const KeyField> key, std::uint64_t seed) noexcept {
  // Absorb 64-bit words with a cheap bijective step and finish with the full
  // mix; fields narrower than a word are packed together first, so the
  // default 5-tuple costs five steps.
  std::uint64_t h = seed ^ 0x5175696365ULL;
  const auto absorb = [&h](std::uint64_t v) {
    h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 32;
  };
  std::uint64_t packed = 0;
  int packed_bits = 0;
  const auto pack = [&](std::uint64_t v, int bits) {
    if (packed_bits + bits > 64) {
      absorb(packed);
      packed = 0;
      packed_bits = 0;
    }
    packed |= v << packed_bits;
    packed_bits += bits;
  };
  for (KeyField field : key) {
    switch (field) {
      case KeyField::src_addr:
        absorb(word(r.src_addr, 0));
        absorb(word(r.src_addr, 1));
        break;
      case KeyField::dst_addr:
        absorb(word(r.dst_addr, 0));
        absorb(word(r.dst_addr, 1));
        break;
      case KeyField::exporter:
        absorb(word(r.exporter, 0));
        absorb(word(r.exporter, 1));
        break;
      case KeyField::src_port: pack(r.src_port, 16); break;
      case KeyField::dst_port: pack(r.dst_port, 16); break;
      case KeyField::proto: pack(r.proto, 8); break;
      case KeyField::tos: pack(r.tos, 8); break;
      case KeyField::in_if: pack(r.in_if, 32); break;
      case KeyField::out_if: pack(r.out_if, 32); break;
      case KeyField::src_as: pack(r.src_as, 32); break;
      case KeyField::dst_as: pack(r.dst_as, 32); break;
    }
  }
  if (packed_bits > 0) absorb(packed);
  return mix(h);
}

bool Sampler::keep(const FlowRecord& record) {
  switch (mode_) {
    case Mode::systematic:
      if (whole_interval_) {
        // Keep the first of every N, counted across batches.
        if (countdown_ == 0) {
          countdown_ = whole_interval_ - 1;
          return true;
        }
        --countdown_;
        return false;
      }
      accumulated_ += ratio_;
      if (accumulated_ >= 1.0) {
        accumulated_ -= 1.0;
        return true;
      }
      return false;
    case Mode::random: return keep_all_ || next_random() < threshold_;
    case Mode::hash: return keep_all_ || hash_key(record, key_, seed_) < threshold_;
  }
  return false;
}

void Sampler::adjust(FlowRecord& record) const {
  const std::uint64_t interval =
      std::uint64_t{std::max<std::uint32_t>(record.sampling_interval, 1)} * interval_multiplier_;
  record.sampling_interval = interval > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(interval);
  if (!renormalize_) return;
  record.packets = saturating_scale(record.packets, scale_);
  record.bytes = saturating_scale(record.bytes, scale_);
  record.reverse_packets = saturating_scale(record.reverse_packets, scale_);
  record.reverse_bytes = saturating_scale(record.reverse_bytes, scale_);
}

void Sampler::sample(std::span<const FlowRecord> in, std::vector<FlowRecord>& out) {
  for (const FlowRecord& record : in) {
    if (!keep(record)) continue;
    out.push_back(record);
    adjust(out.back());
  }
}

}  // namespace sluice::sampling
