// sluice SDK: the flow record every plugin reads and writes.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace sluice {

// An IPv4 or IPv6 address in 16 bytes, network byte order. IPv4 is stored
// IPv4-mapped (::ffff:a.b.c.d) so that one representation serves both
// families and records stay fixed-size.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};

  static constexpr IpAddress v4(std::uint32_t host_order) noexcept {
    IpAddress a;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    a.bytes[12] = static_cast<std::uint8_t>(host_order >> 24);
    a.bytes[13] = static_cast<std::uint8_t>(host_order >> 16);
    a.bytes[14] = static_cast<std::uint8_t>(host_order >> 8);
    a.bytes[15] = static_cast<std::uint8_t>(host_order);
    return a;
  }

  static constexpr IpAddress v6(const std::uint8_t (&network_order)[16]) noexcept {
    IpAddress a;
    for (int i = 0; i < 16; ++i) a.bytes[i] = network_order[i];
    return a;
  }

  // Word by word (std::bit_cast compiles to plain loads): codecs test up to
  // four addresses a record, and a byte loop was a quarter of an encoder's time.
  constexpr bool is_v4() const noexcept {
    constexpr auto mapped = std::bit_cast<std::uint32_t>(std::array<std::uint8_t, 4>{0, 0, 0xff, 0xff});
    const auto words = std::bit_cast<std::array<std::uint32_t, 4>>(bytes);
    return (words[0] | words[1]) == 0 && words[2] == mapped;
  }

  // The IPv4 address in host byte order; meaningful only when is_v4().
  constexpr std::uint32_t v4_value() const noexcept {
    return std::uint32_t{bytes[12]} << 24 | std::uint32_t{bytes[13]} << 16 | std::uint32_t{bytes[14]} << 8 |
           std::uint32_t{bytes[15]};
  }

  constexpr bool is_unspecified() const noexcept {
    const auto halves = std::bit_cast<std::array<std::uint64_t, 2>>(bytes);
    return (halves[0] | halves[1]) == 0;
  }

  friend constexpr bool operator==(const IpAddress&, const IpAddress&) = default;
};

// An Ethernet MAC address, in transmission order.
struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};

  constexpr bool is_unspecified() const noexcept {
    for (auto b : bytes)
      if (b != 0) return false;
    return true;
  }

  friend constexpr bool operator==(const MacAddress&, const MacAddress&) = default;
};

// A name, description or other text a record refers to: an index into the
// process-wide text table (texts.h), so records stay fixed-size. 0 is absent.
using TextId = std::uint32_t;

// The optional elements of a record: a bit in FlowRecord::present says the
// source really had the element, so "absent" and "zero" stay different (an
// IPv6 next hop of ::, an AS of 0), as nfdump's extensions keep them apart.
// Elements every flow has (times, addresses, ports, protocol, flags, ToS,
// counters) have no bit. Text fields need none: their id 0 is absent.
enum class Element : std::uint8_t {
  in_if,
  out_if,
  src_as,
  dst_as,
  src_mask,
  dst_mask,
  dst_tos,
  direction,
  next_hop,
  bgp_next_hop,
  exporter,
  received,
  engine,              // engine_type and engine_id
  observation_domain,  //
  sampling,            // sampling_interval
  reverse_counters,    // reverse_packets, reverse_bytes (biflow)
  flows,               // an aggregate's count of flows (nfdump's aggregated flows)
  src_mac,
  dst_mac,
  src_vlan,
  dst_vlan,
  label,
  src_country,
  dst_country,
  in_if_speed,
  out_if_speed,
  in_if_boundary,
  out_if_boundary,
};

// An interface's place at the network's edge, as Akvorado's classifiers say it.
enum class Boundary : std::uint8_t { undefined, external, internal };

// One flow: what NetFlow v5 carries, IPv6, the common v9/IPFIX elements, and
// what enrichment adds (countries, AS and network names, interface names).
// Fixed layout and trivially copyable, so batches of records move with
// memcpy and the layout is part of the plugin ABI (checked at load time).
// include/sluice/fields.h describes every member: name, kind, presence.
struct FlowRecord {
  std::uint64_t first_ms = 0;     // first packet, ms since the Unix epoch
  std::uint64_t last_ms = 0;      // last packet, ms since the Unix epoch
  std::uint64_t received_ms = 0;  // when the collector received it (0: unknown)
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t reverse_packets = 0;  // biflow (IPFIX reverse) counters
  std::uint64_t reverse_bytes = 0;
  std::uint64_t flows = 1;    // 1 for a flow; an aggregate's count of the flows it sums
  std::uint64_t present = 0;  // one bit per Element the source had: has(), set_present()

  IpAddress src_addr;
  IpAddress dst_addr;
  IpAddress next_hop;
  IpAddress bgp_next_hop;
  IpAddress exporter;  // the device that exported the flow

  std::uint32_t in_if = 0;
  std::uint32_t out_if = 0;
  std::uint32_t src_as = 0;
  std::uint32_t dst_as = 0;
  std::uint32_t sampling_interval = 1;   // 1 in N packets was sampled; 1 = unsampled
  std::uint32_t observation_domain = 0;  // v9 source id / IPFIX observation domain

  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;  // for ICMP: type << 8 | code, as NetFlow does

  std::uint8_t proto = 0;
  std::uint8_t tcp_flags = 0;
  std::uint8_t tos = 0;  // source ToS
  std::uint8_t dst_tos = 0;
  std::uint8_t src_mask = 0;
  std::uint8_t dst_mask = 0;
  std::uint8_t direction = 0;  // 0 ingress, 1 egress
  std::uint8_t fwd_status = 0;
  std::uint8_t engine_type = 0;
  std::uint8_t engine_id = 0;
  std::uint16_t label = 0;  // ground truth of generated flows: 0 background, else the scenario's label

  MacAddress src_mac;  // sFlow headers, IPFIX sourceMacAddress (56)
  MacAddress dst_mac;
  std::uint16_t src_vlan = 0;  // 802.1Q VLAN id (the outer tag of QinQ); 0: untagged
  std::uint16_t dst_vlan = 0;

  // Enrichment: what the enrich transform adds (issue 22). Countries are ISO
  // 3166 alpha-2 codes ("DE"), all zero when unknown.
  std::array<char, 2> src_country{};
  std::array<char, 2> dst_country{};
  Boundary in_if_boundary = Boundary::undefined;
  Boundary out_if_boundary = Boundary::undefined;
  // How the flow ended and which way it points, as IPFIX says them (nfdump's
  // misc element keeps both; they sit in what was padding, so no offset moved).
  // Both and export_version are rows of fields.h (0: the exporter did not say;
  // sflow_5_export_version there names sFlow's export version).
  std::uint8_t end_reason = 0;        // flowEndReason (IE 136): 1 idle timeout, 2 active timeout, 3 end of flow, ...
  std::uint8_t biflow_direction = 0;  // biflowDirection (IE 239): 1 initiator, 2 reverse initiator, 3 perimeter
  std::uint32_t in_if_speed = 0;      // Mbit/s (ifHighSpeed)
  std::uint32_t out_if_speed = 0;
  TextId src_as_name = 0;  // the AS's organisation
  TextId dst_as_name = 0;
  TextId src_city = 0;
  TextId dst_city = 0;
  TextId src_region = 0;
  TextId dst_region = 0;
  TextId src_net_name = 0;  // the most specific network of the networks table
  TextId src_net_role = 0;
  TextId src_net_site = 0;
  TextId src_net_region = 0;
  TextId src_net_tenant = 0;
  TextId dst_net_name = 0;
  TextId dst_net_role = 0;
  TextId dst_net_site = 0;
  TextId dst_net_region = 0;
  TextId dst_net_tenant = 0;
  TextId exporter_name = 0;  // sysName, or a static name
  TextId in_if_name = 0;     // ifName
  TextId out_if_name = 0;
  TextId in_if_description = 0;  // ifAlias
  TextId out_if_description = 0;
  TextId in_if_connectivity = 0;  // "transit", "ix", ... by the classifier's rules
  TextId out_if_connectivity = 0;
  // The protocol the flow was exported with, as nfdump's records say it:
  // the NetFlow version (5, 9; IPFIX 10), 0x80 | 5 for sFlow 5; 0 unknown.
  std::uint8_t export_version = 0;

  std::uint64_t duration_ms() const noexcept { return last_ms >= first_ms ? last_ms - first_ms : 0; }

  static constexpr std::uint64_t bit(Element e) noexcept { return std::uint64_t{1} << static_cast<unsigned>(e); }
  constexpr bool has(Element e) const noexcept { return (present & bit(e)) != 0; }
  constexpr void set_present(Element e) noexcept { present |= bit(e); }
  constexpr void set_absent(Element e) noexcept { present &= ~bit(e); }

  friend bool operator==(const FlowRecord&, const FlowRecord&) = default;
};

static_assert(std::is_trivially_copyable_v<FlowRecord>);
static_assert(std::is_standard_layout_v<FlowRecord>);
static_assert(sizeof(FlowRecord) == 320, "FlowRecord is part of the plugin ABI: bump sluice::abi_version");
// ABI 9 put end_reason, biflow_direction and export_version in padding: the
// members around them kept their offsets.
static_assert(offsetof(FlowRecord, end_reason) == 214 && offsetof(FlowRecord, in_if_speed) == 216 &&
              offsetof(FlowRecord, export_version) == 316);

}  // namespace sluice
