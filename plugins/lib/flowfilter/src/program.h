// A compiled filter: a small tree of tests and and/or/not nodes, evaluated a
// chunk of records at a time. Each test is a loop specialised at compile time
// for its field and comparison, so nothing is interpreted per record; the
// tree is walked once per chunk.
#pragma once

#include <sluice/fields.h>
#include <sluice/flow_record.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::flowfilter::detail {

// Records per evaluation step: the masks of a chunk stay in L1.
constexpr std::size_t chunk_size = 256;

enum class Comparison : std::uint8_t { eq, lt, gt, le, ge };

// The record values a test compares, as unsigned 64-bit numbers computed the
// way nfdump 1.7.1 computes them (duration in ms, pps = 1000 x packets / ms).
enum class Value : std::uint8_t {
  flows,  // 1, or how many flows an aggregate stands for
  packets,
  bytes,
  reverse_packets,
  reverse_bytes,
  src_port,
  dst_port,
  proto,
  tcp_flags,
  src_tos,
  dst_tos,
  in_if,
  out_if,
  src_as,
  dst_as,
  src_mask,
  dst_mask,
  engine_type,
  engine_id,
  direction,
  icmp_type,  // dst_port >> 8
  icmp_code,  // dst_port & 0xff
  duration,
  pps,
  bps,
  bpp,
};
constexpr std::size_t value_count = static_cast<std::size_t>(Value::bpp) + 1;

enum class AddressField : std::uint8_t { src, dst, next_hop, exporter };

// An address as nfdump 1.7 holds it: two 64-bit words, IPv4 as ::a.b.c.d
// (where sluice keeps ::ffff:a.b.c.d).
struct Words {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  friend auto operator<=>(const Words&, const Words&) = default;
};

Words nfdump_words(const IpAddress& address) noexcept;

// Addresses `a` with (a & mask) == value.
struct Prefix {
  Words value;  // already masked
  Words mask;
};

// Values of one mask, sorted: an address list splits into one set per mask.
struct PrefixSet {
  Words mask;
  std::vector<Words> values;
};

struct Node {
  enum class Kind : std::uint8_t { test, all_of, any_of, negate };
  using Test = void (*)(const Node&, const FlowRecord*, std::size_t, std::uint8_t*);

  Kind kind = Kind::test;
  Test test = nullptr;
  std::uint64_t value = 0;             // compared value, flag bits, or a constant 0/1
  std::uint16_t offset = 0;            // a registry field's, in FlowRecord
  Prefix prefix;                       // address tests
  std::vector<std::uint64_t> members;  // value in a list: sorted
  std::vector<PrefixSet> prefix_sets;  // address in a list
  std::vector<Node> children;          // all_of, any_of: two or more; negate: one
};

Node constant(bool value);
Node compare(Value value, Comparison comparison, std::uint64_t operand);
// TCP flags: all the given bits set, or (nfdump under an odd number of "not") any.
Node flags_all(std::uint8_t bits);
Node flags_any(std::uint8_t bits);
// A field of the registry (fields.h) of 1, 2 or 4 bytes, read as an unsigned
// number: a text's TextId, a country's two bytes, a boundary, a speed.
Node compare_field(const FieldInfo& field, Comparison comparison, std::uint64_t operand);
Node value_in(Value value, std::vector<std::uint64_t> members);
Node address_is(AddressField field, Prefix prefix);
Node address_in(AddressField field, const std::vector<Prefix>& prefixes);
Node is_ipv6();
Node all_of(Node a, Node b);
Node any_of(Node a, Node b);
Node negate(Node a);

// out[i] = whether records[i] passes, for count <= chunk_size records.
void evaluate(const Node& node, const FlowRecord* records, std::size_t count, std::uint8_t* out);

}  // namespace sluice::flowfilter::detail
