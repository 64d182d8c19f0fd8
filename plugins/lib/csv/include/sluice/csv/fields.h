// The columns of the default CSV layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sluice::csv {

enum class Field : std::uint8_t {
  first,
  last,
  received,
  duration,
  src_addr,
  dst_addr,
  src_port,
  dst_port,
  proto,
  tcp_flags,
  tos,
  dst_tos,
  packets,
  bytes,
  reverse_packets,
  reverse_bytes,
  in_if,
  out_if,
  src_as,
  dst_as,
  src_mask,
  dst_mask,
  next_hop,
  exporter,
  engine_type,
  engine_id,
  observation_domain,
  sampling_interval,
  direction,
  fwd_status,
  label,  // ground truth of generated flows: 0 background, else the scenario's label
  src_mac,
  dst_mac,
  src_vlan,
  dst_vlan,
};

inline constexpr std::size_t field_count = static_cast<std::size_t>(Field::dst_vlan) + 1;

// What a field's text is: what a JSON writer quotes and a reader expects.
enum class FieldKind : std::uint8_t {
  time,      // ISO 8601 or epoch (TimeFormat)
  number,    // an unsigned integer; duration: seconds with three decimals
  protocol,  // a name (TCP) or a number
  address,   // dotted IPv4 or IPv6; empty when unset
  mac,       // 00:1b:21:3c:4d:5e; empty when unset
};
FieldKind kind_of(Field field) noexcept;

// Every field, in the order above.
std::span<const Field> all_fields() noexcept;
// The columns written when `fields` is not set.
std::span<const Field> default_fields() noexcept;

// The name a field has in `fields` and in the header row.
std::string_view field_name(Field field) noexcept;
std::optional<Field> parse_field(std::string_view name) noexcept;

}  // namespace sluice::csv
