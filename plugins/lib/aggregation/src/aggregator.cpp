#include "sluice/aggregation/aggregator.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

#include "key.h"
#include "table.h"

namespace sluice::aggregation {
namespace {

using detail::KeyTable;

// Flows keyed and hashed together: their table places are fetched from
// memory at once rather than one miss after the other.
constexpr std::size_t chunk = 32;
constexpr std::uint64_t no_bin = ~std::uint64_t{0};

// Which partition a key belongs to: a hash with fixed secrets, the same in
// every aggregator (a table's own is random), scaled to the count.
unsigned partition_of(const std::uint64_t* key, std::size_t words, unsigned partitions) noexcept {
  __extension__ using u128 = unsigned __int128;
  std::uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (std::size_t i = 0; i < words; ++i) {
    const u128 product = static_cast<u128>(h ^ key[i]) * 0xbf58476d1ce4e5b9ULL;
    h = static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
  }
  return static_cast<unsigned>(((h >> 32) * partitions) >> 32);
}

// A bin's ranking: larger measures first, equal ones by key, so that the
// choice is the same every run and on any number of partitions.
bool ranks_before(std::uint64_t measure_a, const std::uint64_t* key_a, std::uint64_t measure_b,
                  const std::uint64_t* key_b, std::size_t words) noexcept {
  if (measure_a != measure_b) return measure_a > measure_b;
  return std::memcmp(key_a, key_b, words * sizeof(std::uint64_t)) < 0;
}

// The time the event clock files a flow under, as the rotator's.
std::uint64_t flow_time(const FlowRecord& f) { return f.received_ms != 0 ? f.received_ms : f.last_ms; }

// Trades the presence bits of two elements.
void trade(FlowRecord& f, Element a, Element b) noexcept {
  const bool had_a = f.has(a), had_b = f.has(b);
  had_b ? f.set_present(a) : f.set_absent(a);
  had_a ? f.set_present(b) : f.set_absent(b);
}

}  // namespace

FlowRecord other_side(FlowRecord f) noexcept {
  std::swap(f.src_addr, f.dst_addr);
  std::swap(f.src_port, f.dst_port);
  std::swap(f.src_as, f.dst_as);
  std::swap(f.src_mask, f.dst_mask);
  std::swap(f.tos, f.dst_tos);
  std::swap(f.src_vlan, f.dst_vlan);
  std::swap(f.in_if, f.out_if);
  trade(f, Element::src_as, Element::dst_as);
  trade(f, Element::src_mask, Element::dst_mask);
  trade(f, Element::src_vlan, Element::dst_vlan);
  trade(f, Element::in_if, Element::out_if);
  return f;
}

struct Aggregator::State {
  Settings settings;
  detail::KeyLayout layout;
  KeyTable table;
  std::vector<std::uint64_t> keys;  // a chunk's keys
  std::uint64_t hashes[chunk];
  std::uint32_t indices[chunk];
  const FlowRecord* kept[chunk];  // a chunk's flows of this partition's keys
  std::uint64_t bin = no_bin;     // start of the open bin
  Stats stats;
  std::vector<FlowRecord> other_sides;  // with either_side: the flows counted, seen from their destination

  explicit State(Settings s)
      : settings(std::move(s)),
        layout(settings.key),
        table(layout.words(), settings.max_keys),
        keys(chunk * layout.words()) {}

  std::uint64_t bin_of(std::uint64_t time_ms) const {
    return settings.interval_ms == 0 ? 0 : time_ms - time_ms % settings.interval_ms;
  }

  void count(const FlowRecord* flows, std::size_t n) {
    count_keys(flows, n);
    if (!settings.either_side) return;
    other_sides.resize(n);
    std::transform(flows, flows + n, other_sides.begin(), other_side);
    count_keys(other_sides.data(), n);
  }

  void count_keys(const FlowRecord* flows, std::size_t n) {
    // The usual keys' widths: src_addr (2 words), src_addr and dst_port (3),
    // both addresses (4), the 5-tuple (5).
    switch (layout.words()) {
      case 1: return count_as<1>(flows, n);
      case 2: return count_as<2>(flows, n);
      case 3: return count_as<3>(flows, n);
      case 4: return count_as<4>(flows, n);
      case 5: return count_as<5>(flows, n);
      default: return count_as<0>(flows, n);
    }
  }

  // `Words`: the key's width when known at compile time (the table's loops
  // over the key unroll), else 0.
  template <std::size_t Words>
  void count_as(const FlowRecord* flows, std::size_t n) {
    const std::size_t words = layout.words();
    for (std::size_t start = 0; start < n; start += chunk) {
      const std::size_t m = std::min(chunk, n - start);
      const FlowRecord* f = flows + start;
      layout.extract(f, m, keys.data());
      const std::size_t own = keep_own(f, m);
      for (std::size_t i = 0; i < own; ++i) {
        hashes[i] = table.hash<Words>(&keys[i * words]);
        table.prefetch_slot(hashes[i]);
      }
      for (std::size_t i = 0; i < own; ++i) {
        indices[i] = table.locate(hashes[i]);
        if (indices[i] != KeyTable::fresh) table.prefetch_entry(indices[i]);
      }
      for (std::size_t i = 0; i < own; ++i) {
        const FlowRecord& flow = *kept[i];
        std::uint64_t* sums = table.sums<Words>(indices[i], &keys[i * words], hashes[i]);
        if (!sums) {
          ++stats.overflow_flows;
          stats.overflow_bytes += flow.bytes;
          continue;
        }
        sums[KeyTable::packets] += flow.packets;
        sums[KeyTable::bytes] += flow.bytes;
        sums[KeyTable::flows] += flow.flows;
        sums[KeyTable::first] = std::min(sums[KeyTable::first], flow.first_ms);
        sums[KeyTable::last] = std::max(sums[KeyTable::last], flow.last_ms);
      }
    }
  }

  // Keeps the flows (and keys) of a chunk whose keys are this partition's,
  // in `kept` and the front of `keys`; returns how many.
  std::size_t keep_own(const FlowRecord* flows, std::size_t n) {
    if (settings.partitions == 1) {
      for (std::size_t i = 0; i < n; ++i) kept[i] = flows + i;
      return n;
    }
    const std::size_t words = layout.words();
    std::size_t own = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t* key = &keys[i * words];
      if (partition_of(key, words, settings.partitions) != settings.partition) continue;
      if (own != i) std::copy(key, key + words, &keys[own * words]);
      kept[own++] = flows + i;
    }
    return own;
  }

  std::size_t measure_sum() const {
    return settings.order == Order::packets ? KeyTable::packets
           : settings.order == Order::flows ? KeyTable::flows
                                            : KeyTable::bytes;
  }

  Aggregate aggregate_of(const std::uint64_t* key, const std::uint64_t* sums) const {
    Aggregate a;
    layout.restore(key, a.record);
    keep_family(a.record);
    a.record.packets = sums[KeyTable::packets];
    a.record.bytes = sums[KeyTable::bytes];
    a.record.first_ms = sums[KeyTable::first];
    a.record.last_ms = sums[KeyTable::last];
    a.record.flows = sums[KeyTable::flows];
    a.record.set_present(Element::flows);
    return a;
  }

  // An address the key leaves out is zero in the family of the one it holds,
  // IPv4 without one: the record stays an IPv4 or IPv6 flow, as nfdump's
  // aggregated records do (an IPv4 source beside "::" would make an IPv6
  // record in an nfcapd file, and filters and nfdump read it as such).
  void keep_family(FlowRecord& r) const {
    const bool src = settings_have(Field::src_addr), dst = settings_have(Field::dst_addr);
    if (src == dst) {
      if (!src) r.src_addr = r.dst_addr = IpAddress::v4(0);
      return;
    }
    const IpAddress& kept = src ? r.src_addr : r.dst_addr;
    (src ? r.dst_addr : r.src_addr) = kept.is_v4() ? IpAddress::v4(0) : IpAddress{};
  }

  bool settings_have(Field field) const {
    return std::any_of(settings.key.begin(), settings.key.end(),
                       [field](const KeyPart& p) { return p.field == field; });
  }

  // Emits the open bin's keys: all, or the top N largest first.
  void close(Rows& out) {
    ++stats.bins_closed;
    emit_rows(out);
    if (settings.totals || settings.partitions > 1) out.row(totals_of_bin());
    table.clear();
  }

  Aggregate totals_of_bin() const {
    Aggregate totals;
    totals.record.src_addr = totals.record.dst_addr = IpAddress::v4(0);
    // A partition's empty bin starts at "never", which merged_totals() takes
    // as no time at all.
    totals.record.first_ms = table.size() != 0 || settings.partitions > 1 ? ~std::uint64_t{0} : 0;
    totals.record.flows = 0;
    for (std::size_t i = 0; i < table.size(); ++i) {
      const std::uint64_t* sums = table.sums_at(i);
      totals.record.packets += sums[KeyTable::packets];
      totals.record.bytes += sums[KeyTable::bytes];
      totals.record.flows += sums[KeyTable::flows];
      totals.record.first_ms = std::min(totals.record.first_ms, sums[KeyTable::first]);
      totals.record.last_ms = std::max(totals.record.last_ms, sums[KeyTable::last]);
    }
    totals.record.set_present(Element::flows);
    totals.totals = true;
    return totals;
  }

  // The bin's rows, or its `top` ones, into `out`.
  void emit_rows(Rows& out) const {
    const std::size_t keys = table.size();
    if (settings.top == 0) {
      for (std::size_t i = 0; i < keys; ++i) out.row(aggregate_of(table.key_at(i), table.sums_at(i)));
      return;
    }
    // The top ones as (measure, index) in a heap whose front ranks last: a
    // key displaces it or is passed over. No array of every key (a million
    // keys' 16 MB of fresh pages) for the ten printed.
    const std::size_t sum = measure_sum(), words = layout.words(), top = std::min(settings.top, keys);
    const auto before = [&](const auto& a, const auto& b) {
      return ranks_before(a.first, table.key_at(a.second), b.first, table.key_at(b.second), words);
    };
    std::vector<std::pair<std::uint64_t, std::uint32_t>> ranked;
    ranked.reserve(top);
    for (std::size_t i = 0; i < keys; ++i) {
      const std::pair<std::uint64_t, std::uint32_t> key{table.sums_at(i)[sum], static_cast<std::uint32_t>(i)};
      if (ranked.size() < top) {
        ranked.push_back(key);
        std::push_heap(ranked.begin(), ranked.end(), before);
      } else if (before(key, ranked.front())) {
        std::pop_heap(ranked.begin(), ranked.end(), before);
        ranked.back() = key;
        std::push_heap(ranked.begin(), ranked.end(), before);
      }
    }
    std::sort_heap(ranked.begin(), ranked.end(), before);
    for (const auto& [measure, index] : ranked) out.row(aggregate_of(table.key_at(index), table.sums_at(index)));
  }
};

Aggregator::Aggregator(Settings settings) {
  if (settings.max_keys == 0 || settings.max_keys > KeyTable::most_keys)
    throw std::invalid_argument("max_keys must be 1 to " + std::to_string(KeyTable::most_keys));
  if (settings.partition >= settings.partitions) throw std::invalid_argument("no such partition");
  state_ = std::make_unique<State>(std::move(settings));
}

Aggregator::~Aggregator() = default;
Aggregator::Aggregator(Aggregator&&) noexcept = default;
Aggregator& Aggregator::operator=(Aggregator&&) noexcept = default;

void Aggregator::add(std::span<const FlowRecord> flows, std::uint64_t now_ms, Rows& out) {
  State& s = *state_;
  if (s.settings.clock == Clock::processing) {
    tick(now_ms, out);
    if (s.bin == no_bin) s.bin = s.bin_of(now_ms);
    s.count(flows.data(), flows.size());
    return;
  }
  // Event clock: a flow of a later bin closes the open one.
  std::size_t counted = 0;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    const std::uint64_t bin = s.bin_of(flow_time(flows[i]));
    if (s.bin != no_bin && bin <= s.bin) continue;
    s.count(flows.data() + counted, i - counted);
    counted = i;
    if (s.bin != no_bin) s.close(out);
    s.bin = bin;
  }
  s.count(flows.data() + counted, flows.size() - counted);
}

void Aggregator::tick(std::uint64_t now_ms, Rows& out) {
  State& s = *state_;
  if (s.settings.clock != Clock::processing || s.bin == no_bin || s.bin_of(now_ms) <= s.bin) return;
  s.close(out);
  s.bin = s.bin_of(now_ms);
}

void Aggregator::finish(Rows& out) {
  State& s = *state_;
  if (s.bin == no_bin) return;
  s.close(out);
  s.bin = no_bin;
}

Aggregate Aggregator::merged_totals(std::span<const FlowRecord> totals) const {
  Aggregate merged;
  merged.totals = true;
  merged.record.src_addr = merged.record.dst_addr = IpAddress::v4(0);
  merged.record.first_ms = ~std::uint64_t{0};
  merged.record.flows = 0;
  merged.record.set_present(Element::flows);
  for (const FlowRecord& part : totals) {
    merged.record.packets += part.packets;
    merged.record.bytes += part.bytes;
    merged.record.flows += part.flows;
    merged.record.first_ms = std::min(merged.record.first_ms, part.first_ms);
    merged.record.last_ms = std::max(merged.record.last_ms, part.last_ms);
  }
  if (merged.record.first_ms == ~std::uint64_t{0}) merged.record.first_ms = 0;  // no keys in any
  return merged;
}

void Aggregator::merge_top(std::span<const std::span<const FlowRecord>> rows, Rows& out) const {
  const State& s = *state_;
  std::vector<const FlowRecord*> all;
  for (const auto& part : rows)
    for (const FlowRecord& row : part) all.push_back(&row);
  const std::size_t words = s.layout.words();
  std::vector<std::uint64_t> keys(all.size() * words);
  for (std::size_t i = 0; i < all.size(); ++i) s.layout.extract(all[i], 1, &keys[i * words]);
  const auto measure = [&](std::size_t i) {
    const FlowRecord& r = *all[i];
    return s.settings.order == Order::packets ? r.packets : s.settings.order == Order::flows ? r.flows : r.bytes;
  };
  std::vector<std::size_t> ranked(all.size());
  std::iota(ranked.begin(), ranked.end(), std::size_t{0});
  const auto top = ranked.begin() + static_cast<std::ptrdiff_t>(std::min(s.settings.top, all.size()));
  std::partial_sort(ranked.begin(), top, ranked.end(), [&](std::size_t a, std::size_t b) {
    return ranks_before(measure(a), &keys[a * words], measure(b), &keys[b * words], words);
  });
  for (auto it = ranked.begin(); it != top; ++it) out.row({*all[*it]});
}

Stats Aggregator::stats() const noexcept {
  Stats s = state_->stats;
  s.keys = state_->table.size();
  s.memory_bytes = state_->table.memory_bytes();
  return s;
}

}  // namespace sluice::aggregation
