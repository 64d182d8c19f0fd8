// The sFlow encoder through our decoder: flows become the samples an agent
// would take of their packets, and those decode back to the packets.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include "datagrams.h"
#include "flows.h"
#include "sluice/fields.h"

namespace sluice::sflow::test {
namespace {

using sluice::testing::same_flows;

constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;

FlowRecord flow(const IpAddress& src, const IpAddress& dst, std::uint8_t proto, std::uint64_t packets,
                std::uint64_t bytes) {
  FlowRecord f;
  f.src_addr = src;
  f.dst_addr = dst;
  f.proto = proto;
  f.packets = packets;
  f.bytes = bytes;
  f.exporter = IpAddress::v4(0x0aff0001);
  f.observation_domain = 3;
  f.in_if = 10;
  f.out_if = 20;
  f.tos = 0x10;
  return f;
}

// A mix of what the encoder has to write: TCP with a handshake and a close,
// UDP, ICMP, ICMPv6, a protocol without ports; next hops, masks and ASes.
std::vector<FlowRecord> mixed_flows() {
  std::vector<FlowRecord> flows;
  FlowRecord tcp = flow(IpAddress::v4(0x0a000001), IpAddress::v4(0xc0000210), 6, 5, 5 * 600 + 3);
  tcp.src_port = 40000;
  tcp.dst_port = 443;
  tcp.tcp_flags = syn | ack | psh | fin;
  tcp.next_hop = IpAddress::v4(0xac100001);
  tcp.src_mask = 24;
  tcp.dst_mask = 28;
  tcp.src_as = 64512;
  tcp.dst_as = 4'200'000'000u;
  flows.push_back(tcp);
  FlowRecord reset = flow(IpAddress::v4(0x0a000002), IpAddress::v4(0xc0000210), 6, 2, 120);
  reset.tcp_flags = syn | rst;
  reset.src_port = 1;
  reset.dst_port = 2;
  flows.push_back(reset);
  FlowRecord udp6 = flow(v6(1), v6(2), 17, 3, 3 * 1200ULL);
  udp6.src_mac.bytes = {0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c};
  udp6.dst_mac.bytes = {0x00, 0x1b, 0x21, 0x0d, 0x0e, 0x0f};
  udp6.src_vlan = 100;
  udp6.dst_vlan = 200;
  udp6.src_port = 53;
  udp6.dst_port = 5353;
  udp6.next_hop = v6(254);
  udp6.src_as = 1;
  flows.push_back(udp6);
  FlowRecord icmp = flow(IpAddress::v4(0x0a000003), IpAddress::v4(0x0a000004), 1, 1, 84);
  icmp.dst_port = 0x0800;
  icmp.dst_vlan = 300;  // routed out to a VLAN from an untagged port
  flows.push_back(icmp);
  FlowRecord icmp6 = flow(v6(3), v6(4), 58, 2, 2 * 104ULL);
  icmp6.dst_port = 0x8000;
  flows.push_back(icmp6);
  flows.push_back(flow(IpAddress::v4(0x0a000005), IpAddress::v4(0x0a000006), 47, 1, 1400));  // GRE
  FlowRecord tiny = flow(IpAddress::v4(0x0a000007), IpAddress::v4(0x0a000008), 17, 1, 10);   // below a UDP header
  flows.push_back(tiny);
  return flows;
}

// What our decoder makes of packet `index` of `f` sampled at 1 in `rate`:
// the packet's headers; its IP length the flow's bytes spread over its
// packets (at least the headers), the frame 18 bytes longer (at least 64);
// TCP's SYN on the first packet, FIN or RST on the last.
FlowRecord sampled_packet(const FlowRecord& f, std::uint64_t index, std::uint32_t rate) {
  FlowRecord p;
  p.first_ms = p.last_ms = p.received_ms = test_now_ms;
  p.packets = 1;
  p.export_version = sflow_5_export_version;
  const std::uint64_t header = (f.src_addr.is_v4() ? 20 : 40) + (f.proto == 6 ? 20 : f.proto == 47 ? 0 : 8);
  const std::uint64_t ip = std::max(f.bytes / f.packets + (index < f.bytes % f.packets ? 1 : 0), header);
  p.bytes = std::max<std::uint64_t>(ip + (f.src_vlan ? 22 : 18), 64);  // Ethernet, its tag and FCS
  // The flow's MACs, or locally administered ones made of its addresses.
  const auto mac = [](const MacAddress& m, const IpAddress& a) {
    return m.is_unspecified() ? MacAddress{{2, a.bytes[11], a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]}} : m;
  };
  p.src_mac = mac(f.src_mac, f.src_addr);
  p.dst_mac = mac(f.dst_mac, f.dst_addr);
  p.src_vlan = f.src_vlan;
  p.dst_vlan = f.dst_vlan;
  p.src_addr = f.src_addr;
  p.dst_addr = f.dst_addr;
  p.next_hop = f.next_hop;
  p.exporter = f.exporter;
  p.in_if = f.in_if;
  p.out_if = f.out_if;
  p.src_as = f.src_as;
  p.dst_as = f.dst_as;
  p.sampling_interval = rate;
  p.observation_domain = f.observation_domain;
  p.src_port = f.src_port;
  p.dst_port = f.dst_port;
  p.proto = f.proto;
  p.tos = f.tos;
  p.src_mask = f.src_mask;
  p.dst_mask = f.dst_mask;
  if (f.packets == 1)
    p.tcp_flags = f.tcp_flags;
  else if (index == 0 && (f.tcp_flags & syn))
    p.tcp_flags = syn;
  else if (index == f.packets - 1 && (f.tcp_flags & (fin | rst)))
    p.tcp_flags = f.tcp_flags & (fin | rst | ack);
  else
    p.tcp_flags = f.tcp_flags & (ack | psh);
  // What the sample said it had: the header's MACs (and tag), the
  // interfaces, the switch, router and gateway records the encoder sent.
  for (const Element e : {Element::exporter, Element::observation_domain, Element::received, Element::sampling,
                          Element::in_if, Element::out_if, Element::src_mac, Element::dst_mac})
    p.set_present(e);
  if (f.src_vlan != 0) p.set_present(Element::src_vlan);
  if (f.dst_vlan != 0) p.set_present(Element::dst_vlan);
  if (!f.next_hop.is_unspecified()) p.set_present(Element::next_hop);
  if (!f.next_hop.is_unspecified() || f.src_mask != 0 || f.dst_mask != 0) {
    p.set_present(Element::src_mask);
    p.set_present(Element::dst_mask);
  }
  if (f.src_as != 0 || f.dst_as != 0) {
    p.set_present(Element::src_as);
    p.set_present(Element::dst_as);
  }
  return p;
}

TEST(Codec, EveryPacketSampledAtRateOneDecodesBack) {
  const auto flows = mixed_flows();
  Encoder encoder({});
  Decoder decoder;
  const auto datagrams = encode_all(encoder, flows);
  const auto got = decode_all(decoder, datagrams);
  std::vector<FlowRecord> want;
  for (const auto& f : flows)
    for (std::uint64_t i = 0; i < f.packets; ++i) want.push_back(sampled_packet(f, i, 1));
  EXPECT_TRUE(same_flows(got, want));
  const auto agents = decoder.agents();
  ASSERT_EQ(agents.size(), 1u);
  EXPECT_EQ(agents[0].malformed_total(), 0u);
  EXPECT_EQ(agents[0].skipped, 0u);
  EXPECT_EQ(encoder.stats().samples, want.size());
  EXPECT_EQ(encoder.queued(), 0u);
}

TEST(Codec, PacketSizesAddUpToTheFlowsBytes) {
  FlowRecord f = flow(IpAddress::v4(1), IpAddress::v4(2), 17, 7, 7 * 1000 + 5);
  Encoder encoder({});
  Decoder decoder;
  std::uint64_t ip_bytes = 0;
  for (const auto& p : decode_all(decoder, encode_all(encoder, std::span(&f, 1)))) ip_bytes += p.bytes - 18;
  EXPECT_EQ(ip_bytes, f.bytes);
}

TEST(Codec, SamplesOneInNOfEachFlowsPackets) {
  constexpr std::uint32_t rate = 10;
  std::mt19937_64 rng(5);
  std::vector<FlowRecord> flows;
  std::uint64_t packets = 0;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    FlowRecord f = flow(IpAddress::v4(0x0b000000 + i), IpAddress::v4(0x0c000001), 17, 1 + rng() % 200, 0);
    f.bytes = f.packets * 500;
    packets += f.packets;
    flows.push_back(f);
  }
  Encoder encoder({.sampling_rate = rate, .seed = 3});
  Decoder decoder;
  const auto samples = decode_all(decoder, encode_all(encoder, flows));
  std::map<std::uint32_t, std::uint64_t> per_flow;  // by source address
  for (const auto& s : samples) {
    ++per_flow[s.src_addr.v4_value()];
    EXPECT_EQ(s.sampling_interval, rate);
  }
  // Each flow gives P / N samples, rounded one way or the other...
  for (const auto& f : flows) {
    const auto n = per_flow[f.src_addr.v4_value()];
    EXPECT_TRUE(n == f.packets / rate || n == (f.packets + rate - 1) / rate) << f.packets << " packets, " << n;
  }
  // ... and P / N on average.
  const double expected = static_cast<double>(packets) / rate;
  EXPECT_NEAR(static_cast<double>(samples.size()), expected, expected * 0.02);
  EXPECT_EQ(encoder.stats().samples, samples.size());
  EXPECT_GT(encoder.stats().unsampled_flows, 0u);
}

TEST(Codec, AgentsNumberDatagramsAndSamplesWithoutGaps) {
  std::vector<FlowRecord> flows;
  for (std::uint32_t i = 0; i < 600; ++i) {
    FlowRecord f = flow(IpAddress::v4(0x0b000000 + i), IpAddress::v4(0x0c000001), 6, 1 + i % 9, 9 * 1500ULL);
    f.exporter = IpAddress::v4(0x0aff0001 + i % 3);  // three agents
    f.observation_domain = i % 2;                    // each with two sub-agents
    f.in_if = i % 5;
    flows.push_back(f);
  }
  Encoder encoder({.mtu = 1400});
  const auto datagrams = encode_all(encoder, flows);
  for (const auto& d : datagrams) EXPECT_LE(d.size(), 1400u);
  Decoder decoder;
  const auto samples = decode_all(decoder, datagrams);
  const auto agents = decoder.agents();
  ASSERT_EQ(agents.size(), 6u);
  std::uint64_t total = 0;
  for (const auto& a : agents) {
    EXPECT_EQ(a.sequence_errors, 0u);
    EXPECT_EQ(a.sample_sequence_errors, 0u);
    EXPECT_EQ(a.sources, 5u);
    EXPECT_EQ(a.malformed_total(), 0u);
    total += a.flow_samples;
  }
  EXPECT_EQ(total, samples.size());
  for (const auto& s : samples) {
    EXPECT_EQ(s.exporter, IpAddress::v4(0x0aff0001 + (s.src_addr.v4_value() - 0x0b000000) % 3));
    EXPECT_EQ(s.observation_domain, (s.src_addr.v4_value() - 0x0b000000) % 2);
  }
}

TEST(Codec, AConfiguredAgentSpeaksForEveryExporter) {
  auto flows = mixed_flows();
  flows[1].exporter = IpAddress::v4(0x0aff0002);
  Encoder encoder({.agent = v6(77)});
  Decoder decoder;
  for (const auto& s : decode_all(decoder, encode_all(encoder, flows))) {
    EXPECT_EQ(s.exporter, v6(77));
    EXPECT_EQ(s.observation_domain, 0u);
  }
  ASSERT_EQ(decoder.agents().size(), 1u);
}

TEST(Codec, LargeInterfaceIndexesTravelInExpandedSamples) {
  FlowRecord f = flow(IpAddress::v4(1), IpAddress::v4(2), 17, 1, 100);
  f.in_if = 1u << 25;
  f.out_if = 0x7fff'ffff;
  Encoder encoder({});
  Decoder decoder;
  const auto got = decode_all(decoder, encode_all(encoder, std::span(&f, 1)));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].in_if, f.in_if);
  EXPECT_EQ(got[0].out_if, f.out_if);
}

TEST(Codec, HeaderBytesBoundWhatIsSampled) {
  const auto flows = mixed_flows();
  Encoder encoder({.header_bytes = 20});
  Decoder decoder;
  const auto got = decode_all(decoder, encode_all(encoder, flows));
  ASSERT_FALSE(got.empty());
  for (const auto& s : got) EXPECT_TRUE(s.src_addr.is_unspecified());  // 14 bytes of Ethernet, 6 of IP
  EXPECT_EQ(decoder.agents()[0].malformed_total(), 0u);
}

TEST(Codec, RejectsUnusableConfigurations) {
  EXPECT_THROW(Encoder({.sampling_rate = 0}), std::invalid_argument);
  EXPECT_THROW(Encoder({.header_bytes = 0}), std::invalid_argument);
  EXPECT_THROW(Encoder({.header_bytes = 257}), std::invalid_argument);
  EXPECT_THROW(Encoder({.mtu = Encoder::minimum_mtu(128) - 1}), std::invalid_argument);
  EXPECT_NO_THROW(Encoder({.mtu = Encoder::minimum_mtu(128)}));
}

}  // namespace
}  // namespace sluice::sflow::test
