#include "key.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace sluice::aggregation {
namespace {

struct FieldPlace {
  csv::Field field;
  std::size_t offset;
  std::size_t size;
};

#define SLUICE_PLACE(name) \
  FieldPlace { csv::Field::name, offsetof(FlowRecord, name), sizeof(FlowRecord::name) }

// The fields a key may hold: what identifies a flow or where it was seen,
// not its counters or times.
constexpr FieldPlace key_fields[] = {
    SLUICE_PLACE(src_addr),
    SLUICE_PLACE(dst_addr),
    SLUICE_PLACE(src_port),
    SLUICE_PLACE(dst_port),
    SLUICE_PLACE(proto),
    SLUICE_PLACE(tcp_flags),
    SLUICE_PLACE(tos),
    SLUICE_PLACE(dst_tos),
    SLUICE_PLACE(in_if),
    SLUICE_PLACE(out_if),
    SLUICE_PLACE(src_as),
    SLUICE_PLACE(dst_as),
    SLUICE_PLACE(src_mask),
    SLUICE_PLACE(dst_mask),
    SLUICE_PLACE(next_hop),
    SLUICE_PLACE(exporter),
    SLUICE_PLACE(engine_type),
    SLUICE_PLACE(engine_id),
    SLUICE_PLACE(observation_domain),
    SLUICE_PLACE(direction),
    SLUICE_PLACE(fwd_status),
};
#undef SLUICE_PLACE

const FieldPlace* place_of(csv::Field field) {
  for (const auto& place : key_fields)
    if (place.field == field) return &place;
  return nullptr;
}

bool is_address(const FieldPlace& place) { return place.size == sizeof(IpAddress); }

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

std::string_view key_field_names() noexcept {
  return "src_addr, dst_addr, src_port, dst_port, proto, tcp_flags, tos, dst_tos, in_if, out_if, src_as, dst_as, "
         "src_mask, dst_mask, next_hop, exporter, engine_type, engine_id, observation_domain, direction, fwd_status";
}

KeyPart parse_key_part(std::string_view text) {
  const std::string_view name = text.substr(0, text.find('/'));
  const auto field = csv::parse_field(name);
  const FieldPlace* place = field ? place_of(*field) : nullptr;
  if (!place) throw std::invalid_argument(fmt::format("\"{}\" is not a key field ({})", name, key_field_names()));
  KeyPart part{*field};
  if (name.size() == text.size()) return part;
  if (!is_address(*place))
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
    const FieldPlace* place = place_of(part.field);
    if (!place) throw std::invalid_argument(fmt::format("\"{}\" is not a key field", csv::field_name(part.field)));
    for (const auto& f : fields_)
      if (f.record_offset == place->offset)
        throw std::invalid_argument(fmt::format("\"{}\" is twice in the key", csv::field_name(part.field)));
    Field f{place->offset, bytes, place->size, {}, {}, true};
    if (is_address(*place)) {
      prefix_mask(96 + part.ipv4_bits, f.ipv4_mask);  // keeps the ::ffff: of IPv4-mapped addresses
      prefix_mask(part.ipv6_bits, f.ipv6_mask);
      f.whole = part.ipv4_bits == 32 && part.ipv6_bits == 128;
    }
    fields_.push_back(f);
    bytes += place->size;
  }
  words_ = (bytes + 7) / 8;
}

// Field by field over all the flows: the size is known in each loop. The
// stride and offset are read once: stores through bytes could alias them.
template <std::size_t Size>
void KeyLayout::copy(const Field& f, const FlowRecord* flows, std::size_t n, std::uint64_t* keys) const noexcept {
  const std::size_t stride = words_ * 8, from = f.record_offset;
  auto* out = reinterpret_cast<unsigned char*>(keys) + f.key_offset;
  for (std::size_t i = 0; i < n; ++i, out += stride)
    std::memcpy(out, reinterpret_cast<const unsigned char*>(flows + i) + from, Size);
}

void KeyLayout::copy_address(const Field& f, const FlowRecord* flows, std::size_t n,
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
  for (const Field& f : fields_) {
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
  for (const Field& f : fields_) std::memcpy(out + f.record_offset, in + f.key_offset, f.size);
}

}  // namespace detail
}  // namespace sluice::aggregation
