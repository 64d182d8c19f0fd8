#include "key.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace sluice::aggregation {
namespace {

// The fields a key may hold: what identifies a flow or where it was seen,
// not its counters or times. The enrichment's names are TextIds of the
// run's one text table, so a key holds the id and the sinks print the name.
constexpr Field key_fields[] = {
    Field::src_addr,
    Field::dst_addr,
    Field::src_port,
    Field::dst_port,
    Field::proto,
    Field::tcp_flags,
    Field::tos,
    Field::dst_tos,
    Field::in_if,
    Field::out_if,
    Field::src_as,
    Field::dst_as,
    Field::src_mask,
    Field::dst_mask,
    Field::next_hop,
    Field::exporter,
    Field::engine_type,
    Field::engine_id,
    Field::observation_domain,
    Field::direction,
    Field::fwd_status,
    Field::bgp_next_hop,
    Field::end_reason,
    Field::biflow_direction,
    Field::export_version,
    Field::src_vlan,
    Field::dst_vlan,
    Field::src_country,
    Field::dst_country,
    Field::src_as_name,
    Field::dst_as_name,
    Field::src_city,
    Field::dst_city,
    Field::src_region,
    Field::dst_region,
    Field::src_net_name,
    Field::src_net_role,
    Field::src_net_site,
    Field::src_net_region,
    Field::src_net_tenant,
    Field::dst_net_name,
    Field::dst_net_role,
    Field::dst_net_site,
    Field::dst_net_region,
    Field::dst_net_tenant,
    Field::exporter_name,
    Field::in_if_name,
    Field::out_if_name,
    Field::in_if_description,
    Field::out_if_description,
    Field::in_if_speed,
    Field::out_if_speed,
    Field::in_if_boundary,
    Field::out_if_boundary,
    Field::in_if_connectivity,
    Field::out_if_connectivity,
};

bool is_key_field(Field field) { return std::ranges::find(key_fields, field) != std::end(key_fields); }

bool is_address(Field field) { return info(field).kind == FieldKind::address; }

unsigned parse_bits(std::string_view text, std::string_view part) {
  unsigned bits = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bits);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || bits > 128)
    throw std::invalid_argument(fmt::format("\"{}\": a prefix length is 0 to 128 bits", part));
  return bits;
}

// The first `bits` bits of 16 bytes set, read as two words in memory order.
void prefix_mask(unsigned bits, std::uint64_t (&mask)[2]) {
  std::uint8_t bytes[16] = {};
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned covered = std::min(8u, bits > i * 8 ? bits - i * 8 : 0u);
    bytes[i] = static_cast<std::uint8_t>(0xff00u >> covered);
  }
  std::memcpy(mask, bytes, sizeof bytes);
}

}  // namespace

std::string key_field_names() {
  std::string names;
  for (const Field field : key_fields) names.append(names.empty() ? "" : ", ").append(name_of(field));
  return names;
}

KeyPart parse_key_part(std::string_view text) {
  const std::string_view name = text.substr(0, text.find('/'));
  const auto field = find_field(name);
  if (!field || !is_key_field(*field))
    throw std::invalid_argument(fmt::format("\"{}\" is not a key field ({})", name, key_field_names()));
  KeyPart part{*field};
  if (name.size() == text.size()) return part;
  if (!is_address(*field))
    throw std::invalid_argument(fmt::format("\"{}\": only addresses take a prefix length", text));
  const std::string_view lengths = text.substr(name.size() + 1);
  const auto slash = lengths.find('/');
  if (slash == std::string_view::npos) {
    const unsigned bits = parse_bits(lengths, text);
    part.ipv4_bits = static_cast<std::uint8_t>(std::min(bits, 32u));
    part.ipv6_bits = static_cast<std::uint8_t>(bits);
    return part;
  }
  const unsigned v4 = parse_bits(lengths.substr(0, slash), text), v6 = parse_bits(lengths.substr(slash + 1), text);
  if (v4 > 32) throw std::invalid_argument(fmt::format("\"{}\": an IPv4 prefix is 0 to 32 bits", text));
  part.ipv4_bits = static_cast<std::uint8_t>(v4);
  part.ipv6_bits = static_cast<std::uint8_t>(v6);
  return part;
}

std::optional<Order> parse_order(std::string_view name) noexcept {
  if (name == "bytes") return Order::bytes;
  if (name == "packets") return Order::packets;
  if (name == "flows") return Order::flows;
  return std::nullopt;
}

namespace detail {

KeyLayout::KeyLayout(const std::vector<KeyPart>& parts) {
  if (parts.empty()) throw std::invalid_argument("the key needs at least one field");
  std::size_t bytes = 0;
  for (const KeyPart& part : parts) {
    if (!is_key_field(part.field))
      throw std::invalid_argument(fmt::format("\"{}\" is not a key field", name_of(part.field)));
    const FieldInfo& field = info(part.field);
    for (const auto& f : fields_)
      if (f.record_offset == field.offset)
        throw std::invalid_argument(fmt::format("\"{}\" is twice in the key", field.name));
    KeyField f{field.offset, bytes, field.width, {}, {}, true};
    if (field.kind == FieldKind::address) {
      prefix_mask(96 + part.ipv4_bits, f.ipv4_mask);  // keeps the ::ffff: of IPv4-mapped addresses
      prefix_mask(part.ipv6_bits, f.ipv6_mask);
      f.whole = part.ipv4_bits == 32 && part.ipv6_bits == 128;
    }
    fields_.push_back(f);
    bytes += field.width;
    if (field.presence != always_present) present_ |= FlowRecord::bit(static_cast<Element>(field.presence));
  }
  words_ = (bytes + 7) / 8;
}

// Field by field over all the flows: the size is known in each loop. The
// stride and offset are read once: stores through bytes could alias them.
template <std::size_t Size>
void KeyLayout::copy(const KeyField& f, const FlowRecord* flows, std::size_t n, std::uint64_t* keys) const noexcept {
  const std::size_t stride = words_ * 8, from = f.record_offset;
  auto* out = reinterpret_cast<unsigned char*>(keys) + f.key_offset;
  for (std::size_t i = 0; i < n; ++i, out += stride)
    std::memcpy(out, reinterpret_cast<const unsigned char*>(flows + i) + from, Size);
}

void KeyLayout::copy_address(const KeyField& f, const FlowRecord* flows, std::size_t n,
                             std::uint64_t* keys) const noexcept {
  // An IPv4-mapped address begins with 80 zero bits and 16 one bits.
  static constexpr unsigned char mapped_bytes[8] = {0, 0, 0xff, 0xff, 0, 0, 0, 0};
  static constexpr unsigned char marker_bytes[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  std::uint64_t mapped, marker;
  std::memcpy(&mapped, mapped_bytes, 8);
  std::memcpy(&marker, marker_bytes, 8);
  const std::size_t stride = words_ * 8, from = f.record_offset;
  const std::uint64_t ipv4_mask[2] = {f.ipv4_mask[0], f.ipv4_mask[1]};
  const std::uint64_t ipv6_mask[2] = {f.ipv6_mask[0], f.ipv6_mask[1]};
  auto* out = reinterpret_cast<unsigned char*>(keys) + f.key_offset;
  for (std::size_t i = 0; i < n; ++i, out += stride) {
    std::uint64_t words[2];
    std::memcpy(words, reinterpret_cast<const unsigned char*>(flows + i) + from, sizeof words);
    const bool v4 = words[0] == 0 && (words[1] & marker) == mapped;
    words[0] &= v4 ? ipv4_mask[0] : ipv6_mask[0];
    words[1] &= v4 ? ipv4_mask[1] : ipv6_mask[1];
    std::memcpy(out, words, sizeof words);
  }
}

void KeyLayout::extract(const FlowRecord* flows, std::size_t n, std::uint64_t* keys) const noexcept {
  std::fill(keys, keys + n * words_, 0);
  for (const KeyField& f : fields_) {
    switch (f.size) {
      case 1: copy<1>(f, flows, n, keys); break;
      case 2: copy<2>(f, flows, n, keys); break;
      case 4: copy<4>(f, flows, n, keys); break;
      default:
        if (f.whole)
          copy<sizeof(IpAddress)>(f, flows, n, keys);
        else
          copy_address(f, flows, n, keys);
    }
  }
}

void KeyLayout::restore(const std::uint64_t* key, FlowRecord& record) const noexcept {
  const auto* in = reinterpret_cast<const unsigned char*>(key);
  auto* out = reinterpret_cast<unsigned char*>(&record);
  for (const KeyField& f : fields_) std::memcpy(out + f.record_offset, in + f.key_offset, f.size);
  record.present |= present_;
}

}  // namespace detail
}  // namespace sluice::aggregation
