// Internal: the numbers of the NetFlow/IPFIX wire formats (RFC 3954, RFC
// 7011, RFC 5103, Cisco's v5 layout) and IPFIX's variable-width integers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>

#include "sluice/flow_record.h"
#include "sluice/net/byte_order.h"

namespace sluice::netflow::wire {

using namespace net::byte_order;

// An unsigned integer of 1 to 8 bytes (IPFIX reduced-size encoding); longer
// fields keep their last 8 bytes.
inline std::uint64_t load_uint(const std::uint8_t* p, std::size_t length) noexcept {
  switch (length) {  // the common widths without a loop
    case 1: return p[0];
    case 2: return load16(p);
    case 4: return load32(p);
    case 8: return load64(p);
  }
  if (length > 8) {
    p += length - 8;
    length = 8;
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < length; ++i) v = v << 8 | p[i];
  return v;
}

// The same for a field that ends at `end`, without a branch on its length:
// read as the 8 bytes before `end`, which must be readable (a data record
// follows at least its message and set headers, 20 bytes).
inline std::uint64_t load_uint_ending_at(const std::uint8_t* end, std::size_t length) noexcept {
  const std::uint64_t mask = length >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * length)) - 1;
  return load64(end - 8) & mask;
}

// Writes the low `length` bytes of v, saturating at the largest value that fits.
inline void store_uint(std::uint8_t* p, std::size_t length, std::uint64_t v) noexcept {
  switch (length) {  // the common widths without a loop
    case 1: p[0] = static_cast<std::uint8_t>(std::min<std::uint64_t>(v, 0xff)); return;
    case 2: return store16(p, static_cast<std::uint16_t>(std::min<std::uint64_t>(v, 0xffff)));
    case 4: return store32(p, static_cast<std::uint32_t>(std::min<std::uint64_t>(v, 0xffff'ffff)));
    case 8: return store64(p, v);
  }
  if (length < 8) v = std::min<std::uint64_t>(v, (std::uint64_t{1} << (8 * length)) - 1);
  for (std::size_t i = length; i-- > 0; v >>= 8) p[i] = static_cast<std::uint8_t>(v);
}

inline constexpr std::size_t v5_header_size = 24;
inline constexpr std::size_t v5_record_size = 48;
inline constexpr std::size_t v5_max_records = 30;
inline constexpr std::size_t v9_header_size = 20;
inline constexpr std::size_t ipfix_header_size = 16;
inline constexpr std::size_t set_header_size = 4;

inline constexpr std::uint16_t v9_template_set = 0;
inline constexpr std::uint16_t v9_options_template_set = 1;
inline constexpr std::uint16_t ipfix_template_set = 2;
inline constexpr std::uint16_t ipfix_options_template_set = 3;
inline constexpr std::uint16_t first_data_set = 256;

inline constexpr std::uint16_t enterprise_bit = 0x8000;
inline constexpr std::uint16_t variable_length = 0xffff;
inline constexpr std::uint32_t reverse_pen = 29305;  // RFC 5103 biflow reverse elements

inline constexpr std::uint16_t as_trans = 23456;  // RFC 6793: a 4-byte AS in a 2-byte field

constexpr std::uint64_t bits(std::initializer_list<Element> elements) {
  std::uint64_t mask = 0;
  for (const Element e : elements) mask |= FlowRecord::bit(e);
  return mask;
}

// What every record of the fixed-record versions carries (presence bits);
// the collector adds the exporter, the receive time and the domain.
inline constexpr std::uint64_t collector_present =
    bits({Element::exporter, Element::received, Element::observation_domain});
inline constexpr std::uint64_t v1_present =
    collector_present | bits({Element::in_if, Element::out_if, Element::next_hop});
inline constexpr std::uint64_t v7_present =
    v1_present | bits({Element::src_as, Element::dst_as, Element::src_mask, Element::dst_mask});
inline constexpr std::uint64_t v5_present = v7_present | bits({Element::engine, Element::sampling});

inline constexpr std::uint8_t proto_icmp = 1;
inline constexpr std::uint8_t proto_icmpv6 = 58;

// Information element ids (IANA IPFIX registry; 1-127 are the v9 field types).
namespace ie {
enum : std::uint16_t {
  octets = 1,
  packets = 2,
  flows = 3,  // deltaFlowCount: how many flows an aggregating exporter's record stands for
  protocol = 4,
  tos = 5,
  tcp_flags = 6,
  src_port = 7,
  src_ipv4 = 8,
  src_mask = 9,
  input_if = 10,
  dst_port = 11,
  dst_ipv4 = 12,
  dst_mask = 13,
  output_if = 14,
  next_hop_ipv4 = 15,
  src_as = 16,
  dst_as = 17,
  bgp_next_hop_ipv4 = 18,
  last_uptime = 21,
  first_uptime = 22,
  out_octets = 23,
  out_packets = 24,
  src_ipv6 = 27,
  dst_ipv6 = 28,
  src_mask_ipv6 = 29,
  dst_mask_ipv6 = 30,
  icmp_type_code = 32,
  sampling_interval = 34,
  engine_type = 38,
  engine_id = 39,
  sampler_id = 48,
  sampler_random_interval = 50,
  dst_tos = 55,
  direction = 61,
  next_hop_ipv6 = 62,
  bgp_next_hop_ipv6 = 63,
  octets_total = 85,
  packets_total = 86,
  fwd_status = 89,
  flow_end_reason = 136,
  icmp_type_code_ipv6 = 139,
  start_seconds = 150,
  end_seconds = 151,
  start_ms = 152,
  end_ms = 153,
  start_us = 154,  // NTP timestamps
  end_us = 155,
  start_ns = 156,
  end_ns = 157,
  system_init_ms = 160,
  duration_ms = 161,
  icmp_type = 176,
  icmp_code = 177,
  icmp_type_ipv6 = 178,
  icmp_code_ipv6 = 179,
  biflow_direction = 239,
  selector_id = 302,
  sampling_packet_interval = 305,
  sampling_packet_space = 306,
};
}  // namespace ie

}  // namespace sluice::netflow::wire
