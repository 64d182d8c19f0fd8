// Test helpers: sFlow datagrams and sampled packets built by hand, byte by
// byte, and whole runs of flows through the encoder and decoder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "byte_builder.h"
#include "sluice/sflow/decoder.h"
#include "sluice/sflow/encoder.h"

namespace sluice::sflow::test {

using Bytes = std::vector<std::uint8_t>;

inline const IpAddress test_agent = IpAddress::v4(0xc0000201);   // 192.0.2.1
inline const IpAddress test_sender = IpAddress::v4(0x7f000001);  // 127.0.0.1
inline constexpr std::uint64_t test_now_ms = 1'795'000'000'123;

// An sFlow v5 datagram. begin() opens a sample or record (its format, and
// a length that end() fills in); the sample count is filled in by bytes().
class Datagram : public sluice::testing::ByteBuilder<Datagram> {
 public:
  explicit Datagram(const IpAddress& agent = test_agent, std::uint32_t sub_agent = 0, std::uint32_t sequence = 1) {
    u32(5).address(agent).u32(sub_agent).u32(sequence).u32(60'000);  // uptime
    count_at_ = size();
    u32(0);
  }

  Datagram& address(const IpAddress& a) {
    if (a.is_v4()) return u32(1).u32(a.v4_value());
    return u32(2).raw(a.bytes);
  }

  Datagram& begin(std::uint32_t format, std::uint32_t enterprise = 0) {
    if (open_.empty()) ++samples_;
    u32(enterprise << 12 | format);
    open_.push_back(size());
    return u32(0);
  }
  Datagram& end() {
    const std::size_t at = open_.back();
    open_.pop_back();
    patch(at, size() - at - 4, 4);
    return *this;
  }

  // A compact flow sample's fields, up to its record count.
  Datagram& flow_sample(std::uint32_t sequence, std::uint32_t source_id, std::uint32_t rate, std::uint32_t input,
                        std::uint32_t output, std::uint32_t records, std::uint32_t drops = 0) {
    return begin(1)
        .u32(sequence)
        .u32(source_id)
        .u32(rate)
        .u32(std::uint64_t{sequence} * rate)
        .u32(drops)
        .u32(input)
        .u32(output)
        .u32(records);
  }
  // A sampled header record (protocol 1 Ethernet, 11 IPv4, 12 IPv6).
  Datagram& header(std::uint32_t protocol, std::uint32_t frame_length, std::span<const std::uint8_t> packet) {
    begin(1).u32(protocol).u32(frame_length).u32(4).u32(packet.size()).raw(packet);
    for (std::size_t pad = packet.size(); pad % 4 != 0; ++pad) u8(0);
    return end();
  }
  // One flow sample with one Ethernet header: the common case.
  Datagram& ethernet_sample(std::uint32_t sequence, std::span<const std::uint8_t> frame, std::uint32_t rate = 100) {
    return flow_sample(sequence, 3, rate, 3, 7, 1).header(1, static_cast<std::uint32_t>(frame.size() + 4), frame).end();
  }

  Bytes bytes() {
    patch(count_at_, samples_, 4);
    return bytes_;
  }

 private:
  std::size_t count_at_ = 0;
  std::uint32_t samples_ = 0;
  std::vector<std::size_t> open_;
};

// A sampled packet: Ethernet and its tags, IP, transport.
class Packet : public sluice::testing::ByteBuilder<Packet> {
 public:
  Packet& ethernet(std::uint16_t type) { return raw({0x02, 0, 0, 0, 0, 0x02}).raw({0x02, 0, 0, 0, 0, 0x01}).u16(type); }
  Packet& tag(std::uint16_t vlan, std::uint16_t next_type) { return u16(vlan).u16(next_type); }
  Packet& mpls(std::uint32_t label, bool bottom) { return u32(label << 12 | (bottom ? 0x100 : 0) | 64); }
  // An IPv4 header of 5 + option_words words.
  Packet& ipv4(std::uint32_t src, std::uint32_t dst, std::uint8_t proto, std::uint8_t tos = 0,
               std::uint16_t flags_and_offset = 0, unsigned option_words = 0) {
    u8(0x45 + option_words).u8(tos).u16(1500).u16(1).u16(flags_and_offset).u8(64).u8(proto).u16(0).u32(src).u32(dst);
    for (unsigned i = 0; i < option_words; ++i) u32(0x01010101);  // no-operation options
    return *this;
  }
  Packet& ipv6(const IpAddress& src, const IpAddress& dst, std::uint8_t next, std::uint8_t traffic_class = 0) {
    return u32(6u << 28 | std::uint32_t{traffic_class} << 20).u16(1000).u8(next).u8(64).raw(src.bytes).raw(dst.bytes);
  }
  // An extension header of 8 * (1 + length_units) bytes.
  Packet& extension(std::uint8_t next, std::uint8_t length_units = 0) {
    u8(next).u8(length_units);
    for (int i = 0; i < 6 + 8 * length_units; ++i) u8(0);
    return *this;
  }
  Packet& fragment(std::uint8_t next, std::uint16_t offset, bool more) {
    return u8(next).u8(0).u16(static_cast<std::uint16_t>(offset << 3 | (more ? 1 : 0))).u32(0x1234);
  }
  Packet& tcp(std::uint16_t src_port, std::uint16_t dst_port, std::uint8_t flags) {
    return u16(src_port).u16(dst_port).u32(0).u32(0).u8(0x50).u8(flags).u16(1000).u32(0);
  }
  Packet& udp(std::uint16_t src_port, std::uint16_t dst_port) { return u16(src_port).u16(dst_port).u16(8).u16(0); }
  Packet& icmp(std::uint8_t type, std::uint8_t code) { return u8(type).u8(code).u16(0).u32(0); }

  Bytes bytes() const { return bytes_; }
};

inline IpAddress v6(std::uint8_t last) {
  std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
  b[15] = last;
  return IpAddress::v6(b);
}

// Every datagram the encoder makes of `flows`.
inline std::vector<Bytes> encode_all(Encoder& encoder, std::span<const FlowRecord> flows,
                                     std::uint64_t now_ms = test_now_ms) {
  encoder.add(flows);
  std::vector<Bytes> datagrams;
  Bytes buffer(encoder.config().mtu);
  while (const std::size_t size = encoder.next_datagram(now_ms, buffer))
    datagrams.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size));
  return datagrams;
}

// The flows decoded from datagrams sent by test_sender (interface counters
// into `interfaces` when given).
inline std::vector<FlowRecord> decode_all(Decoder& decoder, const std::vector<Bytes>& datagrams,
                                          std::vector<InterfaceCounters>* interfaces = nullptr) {
  std::vector<FlowRecord> flows;
  std::vector<InterfaceCounters> ignored;
  for (const auto& d : datagrams)
    decoder.decode(test_sender, d, test_now_ms, flows, interfaces ? *interfaces : ignored);
  return flows;
}

}  // namespace sluice::sflow::test
