// Flow sampling: systematic, random and flow-hash, with optional
// renormalisation. A plain library: the sampler plugin adapts it, tests and
// benchmarks call it directly.
#pragma once

#include <sluice/flow_record.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::sampling {

enum class Mode {
  systematic,  // exactly one of every N records (or a fraction p, evenly spaced)
  random,      // each record independently with probability p
  hash,        // records whose flow key hashes into a p-sized share: flows stay whole
};

std::optional<Mode> parse_mode(std::string_view name);

// The record fields a hash key can be made of.
enum class KeyField { src_addr, dst_addr, src_port, dst_port, proto, exporter, in_if, out_if, src_as, dst_as, tos };

std::optional<KeyField> parse_key_field(std::string_view name);
// The names parse_key_field accepts, for error messages.
std::string_view key_field_names();
// src_addr, dst_addr, src_port, dst_port, proto.
std::vector<KeyField> five_tuple();

// A 64-bit hash of the record's `key` fields (seeded), stable across runs
// and machines of one byte order: what flow-hash sampling keeps or drops by,
// and what keeps one flow's records together elsewhere (a Kafka partition).
std::uint64_t hash_key(const FlowRecord& record, std::span<const KeyField> key, std::uint64_t seed = 0) noexcept;

struct Settings {
  Mode mode = Mode::systematic;
  // Either a whole interval N (keep 1 in N) or a probability in (0, 1].
  std::uint32_t interval = 1;
  std::optional<double> ratio;
  bool renormalize = false;
  std::uint64_t seed = 0;  // random: the generator's seed; hash: mixed into the hash
  std::vector<KeyField> key = five_tuple();
};

class Sampler {
 public:
  // Throws std::invalid_argument for an interval of 0 or a ratio outside (0, 1].
  explicit Sampler(const Settings& settings);

  // Appends the kept records to `out`, with sampling_interval multiplied by
  // the sampler's interval and, when renormalising, packets and bytes too.
  void sample(std::span<const FlowRecord> in, std::vector<FlowRecord>& out);

  // The factor applied: N, or 1/p.
  double scale() const noexcept { return scale_; }

 private:
  bool keep(const FlowRecord& record);
  std::uint64_t next_random();
  void adjust(FlowRecord& record) const;

  Mode mode_;
  bool renormalize_;
  std::vector<KeyField> key_;
  double scale_;
  std::uint32_t interval_multiplier_;  // what sampling_interval is multiplied by
  std::uint64_t threshold_;            // random and hash: keep when value < threshold (all when keep_all_)
  bool keep_all_;
  std::uint64_t seed_;
  // systematic: whole N counts records; a ratio accumulates p per record.
  std::uint32_t whole_interval_ = 0;
  std::uint32_t countdown_ = 0;
  double ratio_ = 0;
  double accumulated_ = 0;
  std::uint64_t random_state_;
};

}  // namespace sluice::sampling
