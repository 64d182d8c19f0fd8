// Internal: the headers of one sampled packet (Ethernet with 802.1Q/QinQ
// tags and MPLS labels, IPv4, IPv6 with its extension headers, TCP, UDP,
// SCTP, ICMP, ICMPv6), read into a flow record and written from one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sluice/flow_record.h"

namespace sluice::sflow::packet {

// Read the packet whose first `size` bytes (an sFlow header is usually cut
// at 128) are at `p` into r's addresses, ports, protocol, TCP flags and ToS,
// and for Ethernet its MACs and VLAN (the outer tag) as the source's.
// A header cut short leaves the fields it does not reach; a non-first
// fragment has no ports. ICMP and ICMPv6 put type << 8 | code in the
// destination port, as NetFlow does. They return false when an IP header
// contradicts itself (its version, or a header length below the minimum).
bool read_ethernet(const std::uint8_t* p, std::size_t size, FlowRecord& r) noexcept;
bool read_ipv4(const std::uint8_t* p, std::size_t size, FlowRecord& r) noexcept;
bool read_ipv6(const std::uint8_t* p, std::size_t size, FlowRecord& r) noexcept;

// One packet of a flow as an agent would see it on the wire.
struct Shape {
  std::size_t ip_length = 0;            // the IP packet's length (IPv4 total length, IPv6 40 + payload)
  std::uint8_t tcp_flags = 0;           // this packet's flags
  std::uint16_t ip_identification = 0;  // IPv4
};

inline constexpr std::size_t ethernet_header = 14;
inline constexpr std::size_t vlan_tag = 4;
inline constexpr std::size_t ethernet_fcs = 4;
inline constexpr std::size_t ethernet_minimum_frame = 64;  // with its FCS

// The smallest IP packet that holds the flow's headers (IP and TCP, UDP or
// ICMP), and the largest IP length can express.
std::size_t minimum_ip_length(const FlowRecord& flow) noexcept;
std::size_t maximum_ip_length(const FlowRecord& flow) noexcept;

// The length on the wire of the Ethernet frame carrying an IP packet of
// `ip_length` bytes of `flow`, FCS included, as sFlow's frame_length counts
// it.
std::size_t frame_length(const FlowRecord& flow, std::size_t ip_length) noexcept;

// Writes the first `size` bytes of the Ethernet frame that carries one
// packet of `flow` (headers, then zero payload and padding): tagged with
// its source VLAN if it has one; from its MACs, or where it has none from
// locally administered ones made of the IP addresses.
void write_ethernet(const FlowRecord& flow, const Shape& shape, std::uint8_t* out, std::size_t size) noexcept;

}  // namespace sluice::sflow::packet
