#include "packet.h"

#include <algorithm>
#include <cstring>

#include "sluice/net/byte_order.h"

namespace sluice::sflow::packet {
namespace {

using namespace net::byte_order;

enum : std::uint16_t {
  ethertype_ipv4 = 0x0800,
  ethertype_ipv6 = 0x86dd,
  ethertype_vlan = 0x8100,      // 802.1Q
  ethertype_qinq = 0x88a8,      // 802.1ad service tag
  ethertype_qinq_old = 0x9100,  // the pre-standard QinQ tag
  ethertype_mpls = 0x8847,
  ethertype_mpls_multicast = 0x8848,
};

enum : std::uint8_t {
  proto_hop_by_hop = 0,
  proto_icmp = 1,
  proto_tcp = 6,
  proto_udp = 17,
  proto_routing = 43,
  proto_fragment = 44,
  proto_ah = 51,
  proto_icmpv6 = 58,
  proto_destination_options = 60,
  proto_sctp = 132,
  proto_udplite = 136,
  proto_mobility = 135,
  proto_hip = 139,
  proto_shim6 = 140,
};

constexpr std::size_t ipv4_header = 20;
constexpr std::size_t ipv6_header = 40;
constexpr std::size_t tcp_header = 20;
constexpr std::size_t udp_header = 8;
constexpr std::size_t icmp_header = 8;

void read_transport(std::uint8_t proto, const std::uint8_t* p, std::size_t size, FlowRecord& r) noexcept {
  switch (proto) {
    case proto_tcp:
      if (size >= 14) r.tcp_flags = p[13];
      [[fallthrough]];
    case proto_udp:
    case proto_sctp:
    case proto_udplite:
      if (size >= 4) {
        r.src_port = load16(p);
        r.dst_port = load16(p + 2);
      }
      break;
    case proto_icmp:
    case proto_icmpv6:
      if (size >= 2) r.dst_port = static_cast<std::uint16_t>(p[0] << 8 | p[1]);
      break;
  }
}

bool is_extension(std::uint8_t next) noexcept {
  switch (next) {
    case proto_hop_by_hop:
    case proto_routing:
    case proto_fragment:
    case proto_ah:
    case proto_destination_options:
    case proto_mobility:
    case proto_hip:
    case proto_shim6: return true;
    default: return false;
  }
}

}  // namespace

bool read_ipv4(const std::uint8_t* p, std::size_t size, FlowRecord& r) noexcept {
  if (size == 0) return true;
  const std::size_t header_length = std::size_t{p[0] & 0x0fu} * 4;
  if (p[0] >> 4 != 4 || header_length < ipv4_header) return false;
  if (size < ipv4_header) return true;
  r.tos = p[1];
  r.proto = p[9];
  r.src_addr = IpAddress::v4(load32(p + 12));
  r.dst_addr = IpAddress::v4(load32(p + 16));
  const bool later_fragment = (load16(p + 6) & 0x1fff) != 0;
  if (!later_fragment && size > header_length) read_transport(r.proto, p + header_length, size - header_length, r);
  return true;
}

bool read_ipv6(const std::uint8_t* p, std::size_t size, FlowRecord& r) noexcept {
  if (size == 0) return true;
  if (p[0] >> 4 != 6) return false;
  if (size < ipv6_header) return true;
  r.tos = static_cast<std::uint8_t>(load16(p) >> 4);  // the traffic class
  std::memcpy(r.src_addr.bytes.data(), p + 8, 16);
  std::memcpy(r.dst_addr.bytes.data(), p + 24, 16);
  // Follow the extension headers to the transport; each is at least 8
  // bytes long, so the walk ends.
  std::uint8_t next = p[6];
  for (std::size_t at = ipv6_header;;) {
    r.proto = next;
    if (at > size) return true;  // the next header lies beyond the sampled bytes
    const std::uint8_t* h = p + at;
    const std::size_t left = size - at;
    if (!is_extension(next)) {
      read_transport(next, h, left, r);
      return true;
    }
    if (left < 8) return true;
    if (next == proto_fragment) {
      if ((load16(h + 2) & 0xfff8) != 0) {  // a later fragment: no transport header
        r.proto = h[0];
        return true;
      }
      at += 8;
    } else {
      at += next == proto_ah ? (std::size_t{h[1]} + 2) * 4 : (std::size_t{h[1]} + 1) * 8;
    }
    next = h[0];
  }
}

bool read_ethernet(const std::uint8_t* p, std::size_t size, FlowRecord& r) noexcept {
  if (size < ethernet_header) return true;
  std::memcpy(r.dst_mac.bytes.data(), p, 6);
  std::memcpy(r.src_mac.bytes.data(), p + 6, 6);
  r.set_present(Element::src_mac);
  r.set_present(Element::dst_mac);
  std::uint16_t type = load16(p + 12);
  std::size_t at = ethernet_header;
  // 802.1Q and QinQ tags: 4 bytes each, the VLAN id in the low 12 bits of
  // the first two, the next type in the last two. The outer tag is the VLAN.
  while ((type == ethertype_vlan || type == ethertype_qinq || type == ethertype_qinq_old) && size - at >= 4) {
    if (at == ethernet_header) {
      r.src_vlan = load16(p + at) & 0x0fff;
      r.set_present(Element::src_vlan);
    }
    type = load16(p + at + 2);
    at += 4;
  }
  if (type == ethertype_mpls || type == ethertype_mpls_multicast) {
    // Labels up to the one with the bottom-of-stack bit; then the payload
    // says what it is by its first nibble.
    bool bottom = false;
    while (!bottom && size - at >= 4) {
      bottom = (load32(p + at) & 0x100) != 0;
      at += 4;
    }
    if (!bottom || at == size) return true;
    switch (p[at] >> 4) {
      case 4: type = ethertype_ipv4; break;
      case 6: type = ethertype_ipv6; break;
      default: return true;  // a pseudowire or something else: no IP to read
    }
  }
  if (type == ethertype_ipv4) return read_ipv4(p + at, size - at, r);
  if (type == ethertype_ipv6) return read_ipv6(p + at, size - at, r);
  return true;  // ARP, LLC and the like carry no flow
}

std::size_t minimum_ip_length(const FlowRecord& flow) noexcept {
  const std::size_t ip = flow.src_addr.is_v4() ? ipv4_header : ipv6_header;
  switch (flow.proto) {
    case proto_tcp: return ip + tcp_header;
    case proto_udp: return ip + udp_header;
    case proto_icmp:
    case proto_icmpv6: return ip + icmp_header;
    default: return ip;
  }
}

std::size_t maximum_ip_length(const FlowRecord& flow) noexcept {
  // IPv4's total length and IPv6's payload length are 16 bits.
  return flow.src_addr.is_v4() ? 0xffff : ipv6_header + 0xffff;
}

std::size_t frame_length(const FlowRecord& flow, std::size_t ip_length) noexcept {
  const std::size_t tag = flow.src_vlan != 0 ? vlan_tag : 0;
  return std::max(ethernet_header + tag + ip_length + ethernet_fcs, ethernet_minimum_frame);
}

namespace {

// The flow's MAC, or a locally administered unicast one made from the last
// bytes of its address.
void write_mac(std::uint8_t* out, const MacAddress& mac, const IpAddress& a) noexcept {
  if (!mac.is_unspecified()) {
    std::memcpy(out, mac.bytes.data(), 6);
    return;
  }
  out[0] = 0x02;
  std::memcpy(out + 1, a.bytes.data() + 11, 5);
}

std::uint16_t ipv4_checksum(const std::uint8_t* header) noexcept {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < ipv4_header; i += 2) sum += load16(header + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::size_t write_transport(const FlowRecord& flow, const Shape& shape, std::size_t ip_header_length,
                            std::uint8_t* out) noexcept {
  switch (flow.proto) {
    case proto_tcp:
      store16(out, flow.src_port);
      store16(out + 2, flow.dst_port);
      out[12] = tcp_header / 4 << 4;  // data offset
      out[13] = shape.tcp_flags;
      store16(out + 14, 0xffff);  // window
      return tcp_header;
    case proto_udp:
      store16(out, flow.src_port);
      store16(out + 2, flow.dst_port);
      store16(out + 4, static_cast<std::uint16_t>(shape.ip_length - ip_header_length));
      return udp_header;
    case proto_icmp:
    case proto_icmpv6:
      out[0] = static_cast<std::uint8_t>(flow.dst_port >> 8);  // type
      out[1] = static_cast<std::uint8_t>(flow.dst_port);       // code
      return icmp_header;
    default: return 0;
  }
}

}  // namespace

void write_ethernet(const FlowRecord& flow, const Shape& shape, std::uint8_t* out, std::size_t size) noexcept {
  std::uint8_t h[ethernet_header + vlan_tag + ipv6_header + tcp_header] = {};
  write_mac(h, flow.dst_mac, flow.dst_addr);
  write_mac(h + 6, flow.src_mac, flow.src_addr);
  std::uint8_t* type = h + 12;
  if (flow.src_vlan != 0) {
    store16(type, ethertype_vlan);
    store16(type + 2, flow.src_vlan & 0x0fff);
    type += vlan_tag;
  }
  std::uint8_t* ip = type + 2;
  std::size_t length = static_cast<std::size_t>(ip - h);
  if (flow.src_addr.is_v4()) {
    store16(type, ethertype_ipv4);
    ip[0] = 0x45;
    ip[1] = flow.tos;
    store16(ip + 2, static_cast<std::uint16_t>(shape.ip_length));
    store16(ip + 4, shape.ip_identification);
    store16(ip + 6, 0x4000);  // don't fragment
    ip[8] = 64;               // TTL
    ip[9] = flow.proto;
    store32(ip + 12, flow.src_addr.v4_value());
    store32(ip + 16, flow.dst_addr.v4_value());
    store16(ip + 10, ipv4_checksum(ip));
    length += ipv4_header + write_transport(flow, shape, ipv4_header, ip + ipv4_header);
  } else {
    store16(type, ethertype_ipv6);
    store32(ip, 6u << 28 | std::uint32_t{flow.tos} << 20);
    store16(ip + 4, static_cast<std::uint16_t>(shape.ip_length - ipv6_header));
    ip[6] = flow.proto;
    ip[7] = 64;  // hop limit
    std::memcpy(ip + 8, flow.src_addr.bytes.data(), 16);
    std::memcpy(ip + 24, flow.dst_addr.bytes.data(), 16);
    length += ipv6_header + write_transport(flow, shape, ipv6_header, ip + ipv6_header);
  }
  const std::size_t copied = std::min(size, length);
  std::memcpy(out, h, copied);
  std::memset(out + copied, 0, size - copied);
}

}  // namespace sluice::sflow::packet
