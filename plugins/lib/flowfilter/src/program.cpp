#include "program.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <map>
#include <utility>

namespace sluice::flowfilter::detail {
namespace {

std::uint64_t big_endian_word(const std::uint8_t* bytes) noexcept {
  std::uint64_t word;
  std::memcpy(&word, bytes, sizeof word);
  if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
  return word;
}

template <Value V>
inline std::uint64_t get(const FlowRecord& r) noexcept {
  if constexpr (V == Value::flows) return r.flows;
  if constexpr (V == Value::packets) return r.packets;
  if constexpr (V == Value::bytes) return r.bytes;
  if constexpr (V == Value::reverse_packets) return r.reverse_packets;
  if constexpr (V == Value::reverse_bytes) return r.reverse_bytes;
  if constexpr (V == Value::src_port) return r.src_port;
  if constexpr (V == Value::dst_port) return r.dst_port;
  if constexpr (V == Value::proto) return r.proto;
  if constexpr (V == Value::tcp_flags) return r.tcp_flags;
  if constexpr (V == Value::src_tos) return r.tos;
  if constexpr (V == Value::dst_tos) return r.dst_tos;
  if constexpr (V == Value::in_if) return r.in_if;
  if constexpr (V == Value::out_if) return r.out_if;
  if constexpr (V == Value::src_as) return r.src_as;
  if constexpr (V == Value::dst_as) return r.dst_as;
  if constexpr (V == Value::src_mask) return r.src_mask;
  if constexpr (V == Value::dst_mask) return r.dst_mask;
  if constexpr (V == Value::engine_type) return r.engine_type;
  if constexpr (V == Value::engine_id) return r.engine_id;
  if constexpr (V == Value::direction) return r.direction;
  if constexpr (V == Value::icmp_type) return r.dst_port >> 8;
  if constexpr (V == Value::icmp_code) return r.dst_port & 0xffu;
  // nfdump subtracts without a check: a flow that ends before it starts wraps
  if constexpr (V == Value::duration) return r.last_ms - r.first_ms;
  if constexpr (V == Value::pps) {
    const std::uint64_t ms = r.last_ms - r.first_ms;
    return ms == 0 ? 0 : 1000 * r.packets / ms;
  }
  if constexpr (V == Value::bps) {
    const std::uint64_t ms = r.last_ms - r.first_ms;
    return ms == 0 ? 0 : 8000 * r.bytes / ms;
  }
  if constexpr (V == Value::bpp) return r.packets == 0 ? 0 : r.bytes / r.packets;
}

template <Value V, Comparison C>
void compare_test(const Node& node, const FlowRecord* records, std::size_t count, std::uint8_t* out) {
  const std::uint64_t operand = node.value;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t x = get<V>(records[i]);
    if constexpr (C == Comparison::eq) out[i] = x == operand;
    if constexpr (C == Comparison::lt) out[i] = x < operand;
    if constexpr (C == Comparison::gt) out[i] = x > operand;
    if constexpr (C == Comparison::le) out[i] = x <= operand;
    if constexpr (C == Comparison::ge) out[i] = x >= operand;
  }
}

template <std::size_t V>
constexpr std::array<Node::Test, 5> compare_tests_of() {
  constexpr auto value = static_cast<Value>(V);
  return {&compare_test<value, Comparison::eq>, &compare_test<value, Comparison::lt>,
          &compare_test<value, Comparison::gt>, &compare_test<value, Comparison::le>,
          &compare_test<value, Comparison::ge>};
}

template <std::size_t... V>
constexpr auto make_compare_tests(std::index_sequence<V...>) {
  return std::array<std::array<Node::Test, 5>, sizeof...(V)>{compare_tests_of<V>()...};
}

// [value][comparison]
constexpr auto compare_tests = make_compare_tests(std::make_index_sequence<value_count>());

template <typename Member, Comparison C>
void field_test(const Node& node, const FlowRecord* records, std::size_t count, std::uint8_t* out) {
  const std::uint64_t operand = node.value;
  const std::size_t offset = node.offset;
  for (std::size_t i = 0; i < count; ++i) {
    Member member;
    std::memcpy(&member, reinterpret_cast<const char*>(records + i) + offset, sizeof member);
    const std::uint64_t x = member;
    if constexpr (C == Comparison::eq) out[i] = x == operand;
    if constexpr (C == Comparison::lt) out[i] = x < operand;
    if constexpr (C == Comparison::gt) out[i] = x > operand;
    if constexpr (C == Comparison::le) out[i] = x <= operand;
    if constexpr (C == Comparison::ge) out[i] = x >= operand;
  }
}

template <typename Member>
constexpr std::array<Node::Test, 5> field_tests_of() {
  return {&field_test<Member, Comparison::eq>, &field_test<Member, Comparison::lt>, &field_test<Member, Comparison::gt>,
          &field_test<Member, Comparison::le>, &field_test<Member, Comparison::ge>};
}

template <Value V>
void member_test(const Node& node, const FlowRecord* records, std::size_t count, std::uint8_t* out) {
  const auto& members = node.members;
  for (std::size_t i = 0; i < count; ++i)
    out[i] = std::binary_search(members.begin(), members.end(), get<V>(records[i]));
}

template <AddressField F>
inline const IpAddress& address_of(const FlowRecord& r) noexcept {
  if constexpr (F == AddressField::src) return r.src_addr;
  if constexpr (F == AddressField::dst) return r.dst_addr;
  if constexpr (F == AddressField::next_hop) return r.next_hop;
  if constexpr (F == AddressField::exporter) return r.exporter;
}

template <AddressField F>
void address_test(const Node& node, const FlowRecord* records, std::size_t count, std::uint8_t* out) {
  const Prefix p = node.prefix;
  for (std::size_t i = 0; i < count; ++i) {
    const Words w = nfdump_words(address_of<F>(records[i]));
    out[i] = ((w.hi & p.mask.hi) == p.value.hi) & ((w.lo & p.mask.lo) == p.value.lo);
  }
}

template <AddressField F>
void address_list_test(const Node& node, const FlowRecord* records, std::size_t count, std::uint8_t* out) {
  for (std::size_t i = 0; i < count; ++i) {
    const Words w = nfdump_words(address_of<F>(records[i]));
    bool found = false;
    for (const PrefixSet& set : node.prefix_sets) {
      const Words masked{w.hi & set.mask.hi, w.lo & set.mask.lo};
      if (std::binary_search(set.values.begin(), set.values.end(), masked)) {
        found = true;
        break;
      }
    }
    out[i] = found;
  }
}

template <AddressField F>
constexpr std::pair<Node::Test, Node::Test> address_tests_of() {
  return {&address_test<F>, &address_list_test<F>};
}

constexpr std::array<std::pair<Node::Test, Node::Test>, 4> address_tests = {
    address_tests_of<AddressField::src>(), address_tests_of<AddressField::dst>(),
    address_tests_of<AddressField::next_hop>(), address_tests_of<AddressField::exporter>()};

void constant_test(const Node& node, const FlowRecord*, std::size_t count, std::uint8_t* out) {
  std::memset(out, static_cast<int>(node.value), count);
}

void flags_all_test(const Node& node, const FlowRecord* records, std::size_t count, std::uint8_t* out) {
  const auto bits = static_cast<std::uint8_t>(node.value);
  for (std::size_t i = 0; i < count; ++i) out[i] = (records[i].tcp_flags & bits) == bits;
}

void flags_any_test(const Node& node, const FlowRecord* records, std::size_t count, std::uint8_t* out) {
  const auto bits = static_cast<std::uint8_t>(node.value);
  for (std::size_t i = 0; i < count; ++i) out[i] = (records[i].tcp_flags & bits) != 0;
}

// nfdump keeps a flow as IPv6 when its file record holds IPv6 addresses:
// sluice reads both addresses as IPv4 or both as IPv6.
void ipv6_test(const Node&, const FlowRecord* records, std::size_t count, std::uint8_t* out) {
  for (std::size_t i = 0; i < count; ++i) out[i] = !(records[i].src_addr.is_v4() && records[i].dst_addr.is_v4());
}

Node test_node(Node::Test test) {
  Node n;
  n.test = test;
  return n;
}

Node combine(Node::Kind kind, Node a, Node b) {
  Node n;
  n.kind = kind;
  for (Node* part : {&a, &b}) {
    if (part->kind == kind) {
      for (auto& child : part->children) n.children.push_back(std::move(child));
    } else {
      n.children.push_back(std::move(*part));
    }
  }
  return n;
}

}  // namespace

Words nfdump_words(const IpAddress& address) noexcept {
  Words w{big_endian_word(address.bytes.data()), big_endian_word(address.bytes.data() + 8)};
  if (w.hi == 0 && w.lo >> 32 == 0xffff) w.lo &= 0xffffffff;
  return w;
}

Node constant(bool value) {
  Node n = test_node(&constant_test);
  n.value = value;
  return n;
}

Node compare(Value value, Comparison comparison, std::uint64_t operand) {
  Node n = test_node(compare_tests[static_cast<std::size_t>(value)][static_cast<std::size_t>(comparison)]);
  n.value = operand;
  return n;
}

Node flags_all(std::uint8_t bits) {
  Node n = test_node(&flags_all_test);
  n.value = bits;
  return n;
}

Node flags_any(std::uint8_t bits) {
  Node n = test_node(&flags_any_test);
  n.value = bits;
  return n;
}

Node compare_field(const FieldInfo& field, Comparison comparison, std::uint64_t operand) {
  static constexpr std::array<std::array<Node::Test, 5>, 3> by_width = {
      field_tests_of<std::uint8_t>(), field_tests_of<std::uint16_t>(), field_tests_of<std::uint32_t>()};
  Node n = test_node(by_width[std::countr_zero(unsigned{field.width})][static_cast<std::size_t>(comparison)]);
  n.value = operand;
  n.offset = field.offset;
  return n;
}

Node value_in(Value value, std::vector<std::uint64_t> members) {
  static constexpr std::pair<Value, Node::Test> member_tests[] = {
      {Value::src_port, &member_test<Value::src_port>},
      {Value::dst_port, &member_test<Value::dst_port>},
      {Value::src_as, &member_test<Value::src_as>},
      {Value::dst_as, &member_test<Value::dst_as>},
  };
  Node n;
  for (const auto& [v, test] : member_tests)
    if (v == value) n.test = test;
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  n.members = std::move(members);
  return n;
}

Node address_is(AddressField field, Prefix prefix) {
  Node n = test_node(address_tests[static_cast<std::size_t>(field)].first);
  n.prefix = prefix;
  return n;
}

Node address_in(AddressField field, const std::vector<Prefix>& prefixes) {
  std::map<Words, std::vector<Words>> by_mask;
  for (const Prefix& p : prefixes) by_mask[p.mask].push_back(p.value);
  Node n = test_node(address_tests[static_cast<std::size_t>(field)].second);
  for (auto& [mask, values] : by_mask) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    n.prefix_sets.push_back({mask, std::move(values)});
  }
  return n;
}

Node is_ipv6() { return test_node(&ipv6_test); }

Node all_of(Node a, Node b) { return combine(Node::Kind::all_of, std::move(a), std::move(b)); }
Node any_of(Node a, Node b) { return combine(Node::Kind::any_of, std::move(a), std::move(b)); }

Node negate(Node a) {
  if (a.kind == Node::Kind::negate) return std::move(a.children.front());
  Node n;
  n.kind = Node::Kind::negate;
  n.children.push_back(std::move(a));
  return n;
}

void evaluate(const Node& node, const FlowRecord* records, std::size_t count, std::uint8_t* out) {
  switch (node.kind) {
    case Node::Kind::test: node.test(node, records, count, out); return;
    case Node::Kind::negate:
      evaluate(node.children.front(), records, count, out);
      for (std::size_t i = 0; i < count; ++i) out[i] ^= 1;
      return;
    case Node::Kind::all_of:
    case Node::Kind::any_of: {
      const bool all = node.kind == Node::Kind::all_of;
      evaluate(node.children.front(), records, count, out);
      std::uint8_t other[chunk_size];
      for (std::size_t c = 1; c < node.children.size(); ++c) {
        // The rest of the children cannot change a chunk that is all 0 (and)
        // or all 1 (or).
        std::uint8_t undecided = 0;
        for (std::size_t i = 0; i < count; ++i) undecided |= static_cast<std::uint8_t>(out[i] ^ !all);
        if (!undecided) return;
        evaluate(node.children[c], records, count, other);
        if (all) {
          for (std::size_t i = 0; i < count; ++i) out[i] &= other[i];
        } else {
          for (std::size_t i = 0; i < count; ++i) out[i] |= other[i];
        }
      }
      return;
    }
  }
}

}  // namespace sluice::flowfilter::detail
