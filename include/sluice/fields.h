// sluice SDK: the one table of a flow record's fields.
//
// Every field a record has, once: the name users write (csv_writer's column,
// the filter's and aggregate's word, a ClickHouse or Parquet column), where
// it lives in FlowRecord, what kind of value it is, which presence bit says
// the source had it, and nfdump's name for it. Codecs, the filter,
// aggregation keys and schemas read this table; adding a field is a member
// in flow_record.h, a row here, and what its kind does not already cover.
#pragma once

#include <sluice/flow_record.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace sluice {

// The fields in table order. The first 35 keep the order csv_writer's
// columns had before the table existed, so `fields = "all"`-style outputs
// and schemas keep their column order. Later flow fields come next, the
// enrichment's (src_country on) last: encoders pass over that tail in one
// look when a flow has no enrichment.
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
  label,
  src_mac,
  dst_mac,
  src_vlan,
  dst_vlan,
  // record v3
  flows,
  bgp_next_hop,
  end_reason,
  biflow_direction,
  export_version,
  src_country,
  dst_country,
  src_as_name,
  dst_as_name,
  src_city,
  dst_city,
  src_region,
  dst_region,
  src_net_name,
  src_net_role,
  src_net_site,
  src_net_region,
  src_net_tenant,
  dst_net_name,
  dst_net_role,
  dst_net_site,
  dst_net_region,
  dst_net_tenant,
  exporter_name,
  in_if_name,
  out_if_name,
  in_if_description,
  out_if_description,
  in_if_speed,
  out_if_speed,
  in_if_boundary,
  out_if_boundary,
  in_if_connectivity,
  out_if_connectivity,
};

// What a field's value is, which says how every codec reads and writes it.
enum class FieldKind : std::uint8_t {
  time,      // std::uint64_t, ms since the Unix epoch
  duration,  // derived: last - first in ms; no member of its own (offset and width are last_ms's)
  counter,   // std::uint64_t
  number,    // an unsigned integer of 1, 2 or 4 bytes (width says which)
  protocol,  // std::uint8_t IP protocol number; text formats may print its name
  address,   // IpAddress
  mac,       // MacAddress
  country,   // std::array<char, 2>, ISO 3166 alpha-2; zero when unknown
  text,      // TextId into the process's TextTable; 0 when absent
  boundary,  // Boundary: undefined, external, internal
};

// FlowRecord::export_version of an sFlow version 5 flow, as nfdump's sfcapd
// stores it: the sFlow bit 0x80 over the version, apart from NetFlow v5.
inline constexpr std::uint8_t sflow_5_export_version = 0x80 | 5;

// No presence bit: the field is always there (or, for text and country, its
// zero value is the absent one).
inline constexpr std::int8_t always_present = -1;

struct FieldInfo {
  Field field;
  std::string_view name;  // csv_writer's column, the filter's and aggregate's word
  FieldKind kind;
  std::uint16_t offset;     // of the member in FlowRecord
  std::uint8_t width;       // of the member, in bytes
  std::int8_t presence;     // an Element, or always_present
  std::string_view nfdump;  // nfdump's csv column; "" where nfdump has none
  std::string_view help;
};

namespace detail {

template <class Member>
constexpr std::uint8_t width_of = static_cast<std::uint8_t>(sizeof(Member));

constexpr std::int8_t bit(Element e) { return static_cast<std::int8_t>(e); }

}  // namespace detail

// The table; row i describes Field(i).
#define SLUICE_FIELD(F, KIND, MEMBER, PRESENCE, NFDUMP, HELP)                                \
  FieldInfo {                                                                                \
    Field::F, #F, FieldKind::KIND, static_cast<std::uint16_t>(offsetof(FlowRecord, MEMBER)), \
        detail::width_of<decltype(FlowRecord::MEMBER)>, PRESENCE, NFDUMP, HELP               \
  }
inline constexpr FieldInfo field_table[] = {
    SLUICE_FIELD(first, time, first_ms, always_present, "ts", "first packet"),
    SLUICE_FIELD(last, time, last_ms, always_present, "te", "last packet"),
    SLUICE_FIELD(received, time, received_ms, detail::bit(Element::received), "tr",
                 "when the collector received the flow"),
    SLUICE_FIELD(duration, duration, last_ms, always_present, "td", "last - first"),
    SLUICE_FIELD(src_addr, address, src_addr, always_present, "sa", "source address"),
    SLUICE_FIELD(dst_addr, address, dst_addr, always_present, "da", "destination address"),
    SLUICE_FIELD(src_port, number, src_port, always_present, "sp", "source port"),
    SLUICE_FIELD(dst_port, number, dst_port, always_present, "dp", "destination port; ICMP: type << 8 | code"),
    SLUICE_FIELD(proto, protocol, proto, always_present, "pr", "IP protocol"),
    SLUICE_FIELD(tcp_flags, number, tcp_flags, always_present, "flg", "TCP flags, ORed over the flow"),
    SLUICE_FIELD(tos, number, tos, always_present, "stos", "source ToS"),
    SLUICE_FIELD(dst_tos, number, dst_tos, detail::bit(Element::dst_tos), "dtos", "destination ToS"),
    SLUICE_FIELD(packets, counter, packets, always_present, "ipkt", "packets"),
    SLUICE_FIELD(bytes, counter, bytes, always_present, "ibyt", "bytes"),
    SLUICE_FIELD(reverse_packets, counter, reverse_packets, detail::bit(Element::reverse_counters), "opkt",
                 "packets in the reverse direction (biflow)"),
    SLUICE_FIELD(reverse_bytes, counter, reverse_bytes, detail::bit(Element::reverse_counters), "obyt",
                 "bytes in the reverse direction (biflow)"),
    SLUICE_FIELD(in_if, number, in_if, detail::bit(Element::in_if), "in", "input interface (ifIndex)"),
    SLUICE_FIELD(out_if, number, out_if, detail::bit(Element::out_if), "out", "output interface (ifIndex)"),
    SLUICE_FIELD(src_as, number, src_as, detail::bit(Element::src_as), "sas", "source AS"),
    SLUICE_FIELD(dst_as, number, dst_as, detail::bit(Element::dst_as), "das", "destination AS"),
    SLUICE_FIELD(src_mask, number, src_mask, detail::bit(Element::src_mask), "smk", "source prefix length"),
    SLUICE_FIELD(dst_mask, number, dst_mask, detail::bit(Element::dst_mask), "dmk", "destination prefix length"),
    SLUICE_FIELD(next_hop, address, next_hop, detail::bit(Element::next_hop), "nh", "IP next hop"),
    SLUICE_FIELD(exporter, address, exporter, detail::bit(Element::exporter), "ra", "the exporting device"),
    SLUICE_FIELD(engine_type, number, engine_type, detail::bit(Element::engine), "", "engine type"),
    SLUICE_FIELD(engine_id, number, engine_id, detail::bit(Element::engine), "", "engine id"),
    SLUICE_FIELD(observation_domain, number, observation_domain, detail::bit(Element::observation_domain), "",
                 "v9 source id / IPFIX observation domain"),
    SLUICE_FIELD(sampling_interval, number, sampling_interval, detail::bit(Element::sampling), "",
                 "1 in N packets sampled"),
    SLUICE_FIELD(direction, number, direction, detail::bit(Element::direction), "dir", "0 ingress, 1 egress"),
    SLUICE_FIELD(fwd_status, number, fwd_status, always_present, "fwd", "forwarding status"),
    SLUICE_FIELD(label, number, label, detail::bit(Element::label), "",
                 "ground truth of generated flows: 0 background, else the scenario's label"),
    SLUICE_FIELD(src_mac, mac, src_mac, detail::bit(Element::src_mac), "ismc", "source MAC address"),
    SLUICE_FIELD(dst_mac, mac, dst_mac, detail::bit(Element::dst_mac), "odmc", "destination MAC address"),
    SLUICE_FIELD(src_vlan, number, src_vlan, detail::bit(Element::src_vlan), "svln", "source VLAN id"),
    SLUICE_FIELD(dst_vlan, number, dst_vlan, detail::bit(Element::dst_vlan), "dvln", "destination VLAN id"),
    SLUICE_FIELD(flows, counter, flows, detail::bit(Element::flows), "fl",
                 "flows: 1, or how many an aggregate stands for"),
    SLUICE_FIELD(bgp_next_hop, address, bgp_next_hop, detail::bit(Element::bgp_next_hop), "nhb", "BGP next hop"),
    SLUICE_FIELD(end_reason, number, end_reason, always_present, "",
                 "IPFIX flowEndReason: 1 idle timeout, 2 active timeout, 3 end of flow, 4 forced end, "
                 "5 lack of resources; 0 unknown"),
    SLUICE_FIELD(biflow_direction, number, biflow_direction, always_present, "",
                 "IPFIX biflowDirection: 1 initiator, 2 reverse initiator, 3 perimeter; 0 arbitrary or unknown"),
    SLUICE_FIELD(export_version, number, export_version, always_present, "",
                 "the protocol the flow came in: NetFlow 1, 5, 9, IPFIX 10, sFlow 5 as 133 (0x80 | 5); "
                 "0 unknown"),
    SLUICE_FIELD(src_country, country, src_country, always_present, "", "source country (ISO 3166 alpha-2)"),
    SLUICE_FIELD(dst_country, country, dst_country, always_present, "", "destination country (ISO 3166 alpha-2)"),
    SLUICE_FIELD(src_as_name, text, src_as_name, always_present, "", "source AS organisation"),
    SLUICE_FIELD(dst_as_name, text, dst_as_name, always_present, "", "destination AS organisation"),
    SLUICE_FIELD(src_city, text, src_city, always_present, "", "source city"),
    SLUICE_FIELD(dst_city, text, dst_city, always_present, "", "destination city"),
    SLUICE_FIELD(src_region, text, src_region, always_present, "", "source region (subdivision)"),
    SLUICE_FIELD(dst_region, text, dst_region, always_present, "", "destination region (subdivision)"),
    SLUICE_FIELD(src_net_name, text, src_net_name, always_present, "", "source network's name"),
    SLUICE_FIELD(src_net_role, text, src_net_role, always_present, "", "source network's role"),
    SLUICE_FIELD(src_net_site, text, src_net_site, always_present, "", "source network's site"),
    SLUICE_FIELD(src_net_region, text, src_net_region, always_present, "", "source network's region"),
    SLUICE_FIELD(src_net_tenant, text, src_net_tenant, always_present, "", "source network's tenant"),
    SLUICE_FIELD(dst_net_name, text, dst_net_name, always_present, "", "destination network's name"),
    SLUICE_FIELD(dst_net_role, text, dst_net_role, always_present, "", "destination network's role"),
    SLUICE_FIELD(dst_net_site, text, dst_net_site, always_present, "", "destination network's site"),
    SLUICE_FIELD(dst_net_region, text, dst_net_region, always_present, "", "destination network's region"),
    SLUICE_FIELD(dst_net_tenant, text, dst_net_tenant, always_present, "", "destination network's tenant"),
    SLUICE_FIELD(exporter_name, text, exporter_name, always_present, "", "the exporter's name (sysName)"),
    SLUICE_FIELD(in_if_name, text, in_if_name, always_present, "", "input interface's name (ifName)"),
    SLUICE_FIELD(out_if_name, text, out_if_name, always_present, "", "output interface's name (ifName)"),
    SLUICE_FIELD(in_if_description, text, in_if_description, always_present, "",
                 "input interface's description (ifAlias)"),
    SLUICE_FIELD(out_if_description, text, out_if_description, always_present, "",
                 "output interface's description (ifAlias)"),
    SLUICE_FIELD(in_if_speed, number, in_if_speed, detail::bit(Element::in_if_speed), "",
                 "input interface's speed, Mbit/s"),
    SLUICE_FIELD(out_if_speed, number, out_if_speed, detail::bit(Element::out_if_speed), "",
                 "output interface's speed, Mbit/s"),
    SLUICE_FIELD(in_if_boundary, boundary, in_if_boundary, detail::bit(Element::in_if_boundary), "",
                 "input interface: external or internal"),
    SLUICE_FIELD(out_if_boundary, boundary, out_if_boundary, detail::bit(Element::out_if_boundary), "",
                 "output interface: external or internal"),
    SLUICE_FIELD(in_if_connectivity, text, in_if_connectivity, always_present, "",
                 "input interface's connectivity (transit, ix, ...)"),
    SLUICE_FIELD(out_if_connectivity, text, out_if_connectivity, always_present, "",
                 "output interface's connectivity (transit, ix, ...)"),
};
#undef SLUICE_FIELD

inline constexpr std::size_t field_count = std::size(field_table);

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < field_count; ++i)
    if (static_cast<std::size_t>(field_table[i].field) != i) return false;
  return true;
}
static_assert(table_in_enum_order(), "one row per Field, in the enum's order");
static_assert(field_table[field_count - 1].field == Field::out_if_connectivity, "a row for every Field");

// Every field, in table order.
constexpr std::span<const FieldInfo> fields() noexcept { return field_table; }
constexpr const FieldInfo& info(Field field) noexcept { return field_table[static_cast<std::size_t>(field)]; }
constexpr std::string_view name_of(Field field) noexcept { return info(field).name; }

constexpr std::optional<Field> find_field(std::string_view name) noexcept {
  for (const FieldInfo& f : field_table)
    if (f.name == name) return f.field;
  return std::nullopt;
}

// Whether the record's source had the field (see Element).
inline bool is_present(const FlowRecord& record, const FieldInfo& field) noexcept {
  if (field.presence != always_present) return record.has(static_cast<Element>(field.presence));
  const char* at = reinterpret_cast<const char*>(&record) + field.offset;
  if (field.kind == FieldKind::country) return at[0] != 0;
  if (field.kind == FieldKind::text) {
    TextId id = 0;
    std::memcpy(&id, at, sizeof id);
    return id != 0;
  }
  return true;
}

// The value of a time, duration, counter, number, protocol, boundary or text
// field, widened to 64 bits (a TextId is its number).
inline std::uint64_t unsigned_value(const FlowRecord& record, const FieldInfo& field) noexcept {
  if (field.kind == FieldKind::duration) return record.duration_ms();
  const char* at = reinterpret_cast<const char*>(&record) + field.offset;
  switch (field.width) {
    case 1: return static_cast<std::uint8_t>(*at);
    case 2: {
      std::uint16_t v;
      std::memcpy(&v, at, sizeof v);
      return v;
    }
    case 4: {
      std::uint32_t v;
      std::memcpy(&v, at, sizeof v);
      return v;
    }
    default: {
      std::uint64_t v;
      std::memcpy(&v, at, sizeof v);
      return v;
    }
  }
}

// The member an address or MAC field names.
inline const IpAddress& address_value(const FlowRecord& record, const FieldInfo& field) noexcept {
  return *reinterpret_cast<const IpAddress*>(reinterpret_cast<const char*>(&record) + field.offset);
}
inline const MacAddress& mac_value(const FlowRecord& record, const FieldInfo& field) noexcept {
  return *reinterpret_cast<const MacAddress*>(reinterpret_cast<const char*>(&record) + field.offset);
}
inline std::string_view country_value(const FlowRecord& record, const FieldInfo& field) noexcept {
  const char* at = reinterpret_cast<const char*>(&record) + field.offset;
  return at[0] == 0 ? std::string_view{} : std::string_view(at, 2);
}

// Sets a time, counter, number, protocol, boundary or text field (not duration).
inline void set_unsigned_value(FlowRecord& record, const FieldInfo& field, std::uint64_t value) noexcept {
  char* at = reinterpret_cast<char*>(&record) + field.offset;
  switch (field.width) {
    case 1: *at = static_cast<char>(value); break;
    case 2: {
      const auto v = static_cast<std::uint16_t>(value);
      std::memcpy(at, &v, sizeof v);
      break;
    }
    case 4: {
      const auto v = static_cast<std::uint32_t>(value);
      std::memcpy(at, &v, sizeof v);
      break;
    }
    default: std::memcpy(at, &value, sizeof value); break;
  }
  if (field.presence != always_present) record.set_present(static_cast<Element>(field.presence));
}

}  // namespace sluice
