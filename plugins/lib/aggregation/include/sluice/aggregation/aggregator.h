// Flow aggregation in time bins: what `nfdump -A src_addr,dst_port` and
// `nfdump -s srcip/bytes -n 10` compute, on a stream. Flows with the same
// key add up; a bin closes at its end and leaves as one record per key.
#pragma once

#include <sluice/flow_record.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/fields.h"

namespace sluice::aggregation {

// A field of the key, by its name in the field registry; an address cut to a
// prefix.
struct KeyPart {
  Field field;
  std::uint8_t ipv4_bits = 32;  // addresses only
  std::uint8_t ipv6_bits = 128;
};

// "dst_port"; "src_addr/24": the first 24 bits of IPv4 and IPv6 addresses;
// "src_addr/24/64": IPv4 /24, IPv6 /64. A length beyond the family's keeps
// the whole address. Throws std::invalid_argument naming the part.
KeyPart parse_key_part(std::string_view text);
// What parse_key_part accepts as a field, for messages.
std::string key_field_names();

enum class Order { bytes, packets, flows };
std::optional<Order> parse_order(std::string_view name) noexcept;

enum class Clock {
  processing,  // bins by the time flows pass: a bin closes at its end, with or without flows
  event,       // bins by the flows' own time (received, else last packet): for replays
};

struct Settings {
  std::vector<KeyPart> key;
  std::uint64_t interval_ms = 0;  // bins start at multiples of it (1m: :00, :01 ...); 0: one bin for the stream
  Clock clock = Clock::processing;
  std::size_t top = 0;  // keep the `top` largest keys of a bin by `order`, largest first; 0: every key
  Order order = Order::bytes;
  std::size_t max_keys = 1'000'000;  // keys a bin holds; flows of keys beyond are counted, not kept
  // Each flow counted twice: under the key of its source side, and under the
  // key its destination side gives the same fields (dst_addr for src_addr,
  // out_if for in_if ...): nfdump -s ip, port, as, if.
  bool either_side = false;
  // Each bin's rows end with one more: its totals over every key, kept by
  // `top` or not (flows, packets, bytes summed, first the earliest, last the
  // latest; no key: fields 0, addresses 0.0.0.0). What a table's shares are
  // of when only its top rows leave the aggregate.
  bool totals = false;
  // Keyed parallelism: this aggregator keeps only the keys whose partition
  // hash (the same in every aggregator) falls in `partition` of `partitions`,
  // at most max_keys of them. Every partition sees every flow, so their bins
  // close together; each bin's rows end with its totals row on the partition
  // (whatever `totals` says).
  unsigned partition = 0;
  unsigned partitions = 1;
};

// The flow as its destination side sees it: source and destination fields
// (addresses, ports, AS, masks, ToS, VLANs, interfaces) traded.
FlowRecord other_side(FlowRecord flow) noexcept;

// One key of a closed bin.
struct Aggregate {
  // The key's fields (addresses cut to their prefix) and present; packets,
  // bytes and flows summed (flows present), first the earliest, last the
  // latest; the other fields as in a default FlowRecord (0, absent;
  // sampling interval 1).
  FlowRecord record;
  bool totals = false;  // the bin's totals row, its last
};

// Where the rows of closed bins go, one at a time, as they are made: a
// bin of a million keys need not be held twice.
class Rows {
 public:
  virtual void row(const Aggregate& row) = 0;

 protected:
  ~Rows() = default;
};

// Rows kept in a vector.
class RowsInto final : public Rows {
 public:
  explicit RowsInto(std::vector<Aggregate>& rows) : rows_(rows) {}
  void row(const Aggregate& row) override { rows_.push_back(row); }

 private:
  std::vector<Aggregate>& rows_;
};

struct Stats {
  std::uint64_t bins_closed = 0;
  std::uint64_t overflow_flows = 0;  // flows not kept because their bin held max_keys keys (all bins)
  std::uint64_t overflow_bytes = 0;
  std::size_t keys = 0;          // in the open bin
  std::size_t memory_bytes = 0;  // the key table
};

class Aggregator {
 public:
  // Throws std::invalid_argument for an empty key or max_keys of 0.
  explicit Aggregator(Settings settings);
  ~Aggregator();
  Aggregator(Aggregator&&) noexcept;
  Aggregator& operator=(Aggregator&&) noexcept;

  // Adds flows passing at `now_ms` (ms since the epoch; the event clock
  // ignores it). A bin that ended before them closes first, into `out`. With
  // the event clock a flow opens the bin of its own time when that is later
  // than the open bin; a late flow counts in the open bin.
  void add(std::span<const FlowRecord> flows, std::uint64_t now_ms, Rows& out);
  // Processing clock: closes the open bin into `out` if it has ended by `now_ms`.
  void tick(std::uint64_t now_ms, Rows& out);
  // Closes the open bin, ended or not: the end of the stream.
  void finish(Rows& out);
  // The same, into a vector.
  void add(std::span<const FlowRecord> flows, std::uint64_t now_ms, std::vector<Aggregate>& out) {
    RowsInto rows(out);
    add(flows, now_ms, rows);
  }
  void tick(std::uint64_t now_ms, std::vector<Aggregate>& out) {
    RowsInto rows(out);
    tick(now_ms, rows);
  }
  void finish(std::vector<Aggregate>& out) {
    RowsInto rows(out);
    finish(rows);
  }

  Stats stats() const noexcept;

  // With partitions, one bin of theirs as one aggregator of every key would
  // have closed it. The bin's totals over every key, from each partition's
  // totals row:
  Aggregate merged_totals(std::span<const FlowRecord> totals) const;
  // With `top`: the `top` rows of the partitions' (each its top ones),
  // ranked as one aggregator ranks them.
  void merge_top(std::span<const std::span<const FlowRecord>> rows, Rows& out) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::aggregation
