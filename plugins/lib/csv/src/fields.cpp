#include "sluice/csv/fields.h"

#include <array>

namespace sluice::csv {
namespace {

constexpr std::array<std::string_view, field_count> names = {"first",
                                                             "last",
                                                             "received",
                                                             "duration",
                                                             "src_addr",
                                                             "dst_addr",
                                                             "src_port",
                                                             "dst_port",
                                                             "proto",
                                                             "tcp_flags",
                                                             "tos",
                                                             "dst_tos",
                                                             "packets",
                                                             "bytes",
                                                             "reverse_packets",
                                                             "reverse_bytes",
                                                             "in_if",
                                                             "out_if",
                                                             "src_as",
                                                             "dst_as",
                                                             "src_mask",
                                                             "dst_mask",
                                                             "next_hop",
                                                             "exporter",
                                                             "engine_type",
                                                             "engine_id",
                                                             "observation_domain",
                                                             "sampling_interval",
                                                             "direction",
                                                             "fwd_status",
                                                             "label",
                                                             "src_mac",
                                                             "dst_mac",
                                                             "src_vlan",
                                                             "dst_vlan"};

constexpr auto every_field = [] {
  std::array<Field, names.size()> all{};
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<Field>(i);
  return all;
}();
static_assert(names.back() == "dst_vlan", "one name per Field, in order");

constexpr Field default_columns[] = {
    Field::first,    Field::last,     Field::duration,    Field::src_addr,  Field::dst_addr,         Field::src_port,
    Field::dst_port, Field::proto,    Field::tcp_flags,   Field::tos,       Field::packets,          Field::bytes,
    Field::in_if,    Field::out_if,   Field::src_as,      Field::dst_as,    Field::src_mask,         Field::dst_mask,
    Field::next_hop, Field::exporter, Field::engine_type, Field::engine_id, Field::sampling_interval};

}  // namespace

std::span<const Field> all_fields() noexcept { return every_field; }
std::span<const Field> default_fields() noexcept { return default_columns; }

std::string_view field_name(Field field) noexcept { return names[static_cast<std::size_t>(field)]; }

FieldKind kind_of(Field field) noexcept {
  switch (field) {
    case Field::first:
    case Field::last:
    case Field::received: return FieldKind::time;
    case Field::proto: return FieldKind::protocol;
    case Field::src_addr:
    case Field::dst_addr:
    case Field::next_hop:
    case Field::exporter: return FieldKind::address;
    case Field::src_mac:
    case Field::dst_mac: return FieldKind::mac;
    default: return FieldKind::number;
  }
}

std::optional<Field> parse_field(std::string_view name) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

}  // namespace sluice::csv
