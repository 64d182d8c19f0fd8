// Internal: the numbers of the sFlow version 5 wire format (sflow.org's
// sflow_version_5.txt: XDR, every field a multiple of 4 bytes, big-endian).
#pragma once

#include <cstddef>
#include <cstdint>

#include "sluice/net/byte_order.h"

namespace sluice::sflow::wire {

using namespace net::byte_order;

inline constexpr std::uint32_t version = 5;

// An address: a type, then 4 or 16 bytes.
inline constexpr std::uint32_t address_ipv4 = 1;
inline constexpr std::uint32_t address_ipv6 = 2;

// version, agent address type; then the address; then sub-agent id,
// sequence number, uptime, number of samples.
inline constexpr std::size_t header_before_address = 8;
inline constexpr std::size_t header_after_address = 16;

// A sample or record starts with its format (enterprise << 12 | format) and
// its length in bytes.
inline constexpr std::size_t tag_size = 8;
inline constexpr std::uint32_t enterprise_of(std::uint32_t tag) { return tag >> 12; }
inline constexpr std::uint32_t format_of(std::uint32_t tag) { return tag & 0xfff; }

// Sample formats (enterprise 0).
inline constexpr std::uint32_t flow_sample = 1;
inline constexpr std::uint32_t counters_sample = 2;
inline constexpr std::uint32_t flow_sample_expanded = 3;
inline constexpr std::uint32_t counters_sample_expanded = 4;

// Fixed fields before the record count: sequence, source id, sampling rate,
// sample pool, drops, input, output (compact: ids and interfaces in one
// word; expanded: two words each).
inline constexpr std::size_t flow_sample_fields = 28;
inline constexpr std::size_t flow_sample_expanded_fields = 40;
// Sequence and source id (expanded: two words).
inline constexpr std::size_t counters_sample_fields = 8;
inline constexpr std::size_t counters_sample_expanded_fields = 12;

// Interfaces in a compact flow sample: the top two bits say what the low 30 mean.
inline constexpr std::uint32_t interface_format_shift = 30;
inline constexpr std::uint32_t interface_value_mask = 0x3fff'ffff;
inline constexpr std::uint32_t interface_ifindex = 0;
inline constexpr std::uint32_t interface_discarded = 1;  // the value is a reason
inline constexpr std::uint32_t interface_multiple = 2;   // the value is a count (0: unknown)
inline constexpr std::uint32_t interface_unknown = 0x3fff'ffff;
// Compact source ids: the type in the top 8 bits, the index in the low 24.
inline constexpr std::uint32_t source_index_mask = 0x00ff'ffff;

// Flow record formats (enterprise 0).
inline constexpr std::uint32_t sampled_header = 1;
inline constexpr std::uint32_t sampled_ethernet = 2;
inline constexpr std::uint32_t sampled_ipv4 = 3;
inline constexpr std::uint32_t sampled_ipv6 = 4;
inline constexpr std::uint32_t extended_switch = 1001;
inline constexpr std::uint32_t extended_router = 1002;
inline constexpr std::uint32_t extended_gateway = 1003;

// sampled_header: protocol, frame length, stripped, header length, header.
inline constexpr std::size_t sampled_header_fields = 16;
inline constexpr std::uint32_t header_ethernet = 1;
inline constexpr std::uint32_t header_ipv4 = 11;
inline constexpr std::uint32_t header_ipv6 = 12;
// length, source and destination MAC (6 bytes, padded to 8), type.
inline constexpr std::size_t sampled_ethernet_size = 24;
// length, protocol, addresses, ports, TCP flags, ToS (IPv6: priority).
inline constexpr std::size_t sampled_ipv4_size = 32;
inline constexpr std::size_t sampled_ipv6_size = 56;
inline constexpr std::size_t extended_switch_size = 16;

// Counter record formats (enterprise 0).
inline constexpr std::uint32_t generic_interface = 1;
inline constexpr std::size_t generic_interface_size = 88;

// Words in XDR: opaque data is padded to a multiple of 4 bytes.
inline constexpr std::size_t padded(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

}  // namespace sluice::sflow::wire
