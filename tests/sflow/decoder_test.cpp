// The sFlow decoder on datagrams built byte by byte: every structure it
// reads, the headers it parses, sequence tracking, and each kind of bad
// input counted under the right agent without losing the good parts.
#include <gtest/gtest.h>

#include <array>

#include "datagrams.h"
#include "flows.h"
#include "sluice/fields.h"

namespace sluice::sflow::test {
namespace {

struct Decoded {
  std::vector<FlowRecord> flows;
  std::vector<InterfaceCounters> interfaces;
};

Decoded decode(Decoder& decoder, const std::vector<Bytes>& datagrams) {
  Decoded d;
  d.flows = decode_all(decoder, datagrams, &d.interfaces);
  return d;
}

Decoded decode(const std::vector<Bytes>& datagrams) {
  Decoder decoder;
  return decode(decoder, datagrams);
}

// The one flow a datagram with one sample of `frame` decodes to.
FlowRecord decode_frame(const Bytes& frame) {
  const auto d = decode({Datagram().ethernet_sample(1, frame).bytes()});
  EXPECT_EQ(d.flows.size(), 1u);
  return d.flows.empty() ? FlowRecord{} : d.flows[0];
}

AgentStats only_agent(const Decoder& decoder) {
  const auto agents = decoder.agents();
  EXPECT_EQ(agents.size(), 1u);
  return agents.empty() ? AgentStats{} : agents[0];
}

std::uint64_t malformed(const AgentStats& a, Malformed m) { return a.malformed[static_cast<std::size_t>(m)]; }

const Bytes tcp_frame = Packet().ethernet(0x0800).ipv4(0x0a000001, 0x0a000002, 6, 0x28).tcp(40000, 443, 0x12).bytes();

TEST(Decoder, FlowSampleWithEthernetHeader) {
  const auto d = decode({Datagram(test_agent, 9).ethernet_sample(1, tcp_frame, 512).bytes()});
  ASSERT_EQ(d.flows.size(), 1u);
  FlowRecord want;
  want.first_ms = want.last_ms = want.received_ms = test_now_ms;
  want.packets = 1;
  want.bytes = tcp_frame.size() + 4;  // the frame length, FCS included
  want.src_addr = IpAddress::v4(0x0a000001);
  want.dst_addr = IpAddress::v4(0x0a000002);
  want.exporter = test_agent;
  want.in_if = 3;
  want.out_if = 7;
  want.sampling_interval = 512;
  want.observation_domain = 9;  // the sub-agent
  want.src_port = 40000;
  want.dst_port = 443;
  want.proto = 6;
  want.tcp_flags = 0x12;
  want.tos = 0x28;
  want.dst_mac.bytes = {0x02, 0, 0, 0, 0, 0x02};
  want.src_mac.bytes = {0x02, 0, 0, 0, 0, 0x01};
  want.export_version = sflow_5_export_version;
  for (const Element e : {Element::exporter, Element::observation_domain, Element::received, Element::sampling,
                          Element::in_if, Element::out_if, Element::src_mac, Element::dst_mac})
    want.set_present(e);
  EXPECT_EQ(d.flows[0], want);
}

TEST(Decoder, VlanTagsOfEveryKindTheOuterOneTheVlan) {
  const std::uint16_t outer_types[] = {0x8100, 0x88a8, 0x9100};
  for (const std::uint16_t outer : outer_types) {
    const auto f = decode_frame(Packet()
                                    .ethernet(outer)
                                    .tag(200, 0x8100)
                                    .tag(300, 0x0800)
                                    .ipv4(0x0a000001, 0x0a000002, 17)
                                    .udp(53, 5353)
                                    .bytes());
    EXPECT_EQ(f.src_addr, IpAddress::v4(0x0a000001)) << std::hex << outer;
    EXPECT_EQ(f.dst_port, 5353) << std::hex << outer;
    EXPECT_EQ(f.src_vlan, 200) << std::hex << outer;
    EXPECT_EQ(f.dst_vlan, 0) << std::hex << outer;
  }
  // The priority and DEI bits above the VLAN id are not part of it.
  const auto single =
      decode_frame(Packet().ethernet(0x8100).tag(0xb000 | 100, 0x86dd).ipv6(v6(1), v6(2), 17).udp(1, 2).bytes());
  EXPECT_EQ(single.dst_addr, v6(2));
  EXPECT_EQ(single.src_port, 1);
  EXPECT_EQ(single.src_vlan, 100);
  EXPECT_EQ(decode_frame(tcp_frame).src_vlan, 0);
}

TEST(Decoder, MplsLabelStacksLeadToTheirIpPayload) {
  const auto v4 = decode_frame(
      Packet().ethernet(0x8847).mpls(16, false).mpls(17, true).ipv4(0x0a000001, 0x0a000002, 6).tcp(1, 2, 0x18).bytes());
  EXPECT_EQ(v4.dst_addr, IpAddress::v4(0x0a000002));
  EXPECT_EQ(v4.tcp_flags, 0x18);
  const auto v6 = decode_frame(
      Packet().ethernet(0x8100).tag(5, 0x8847).mpls(16, true).ipv6(test::v6(1), test::v6(2), 17).udp(3, 4).bytes());
  EXPECT_EQ(v6.src_addr, test::v6(1));
  EXPECT_EQ(v6.dst_port, 4);
  EXPECT_EQ(v6.src_vlan, 5);
  // A pseudowire (a control word, not IP) after the labels: no addresses, no error.
  Decoder decoder;
  const auto pw = decode(
      decoder, {Datagram().ethernet_sample(1, Packet().ethernet(0x8847).mpls(16, true).u32(0).u32(0).bytes()).bytes()});
  ASSERT_EQ(pw.flows.size(), 1u);
  EXPECT_TRUE(pw.flows[0].src_addr.is_unspecified());
  EXPECT_EQ(only_agent(decoder).malformed_total(), 0u);
}

TEST(Decoder, Ipv4OptionsAndFragments) {
  const auto options =
      decode_frame(Packet().ethernet(0x0800).ipv4(0x0a000001, 0x0a000002, 17, 0, 0, 2).udp(7, 8).bytes());
  EXPECT_EQ(options.src_port, 7);
  EXPECT_EQ(options.dst_port, 8);
  const auto first_fragment =
      decode_frame(Packet().ethernet(0x0800).ipv4(0x0a000001, 0x0a000002, 17, 0, 0x2000).udp(9, 10).bytes());
  EXPECT_EQ(first_fragment.dst_port, 10);
  // A later fragment carries no transport header: what follows is data.
  const auto later_fragment =
      decode_frame(Packet().ethernet(0x0800).ipv4(0x0a000001, 0x0a000002, 17, 0, 0x2010).udp(9, 10).bytes());
  EXPECT_EQ(later_fragment.proto, 17);
  EXPECT_EQ(later_fragment.src_port, 0);
  EXPECT_EQ(later_fragment.dst_port, 0);
  EXPECT_EQ(later_fragment.dst_addr, IpAddress::v4(0x0a000002));
}

TEST(Decoder, Ipv6ExtensionHeaderChain) {
  const auto chain = decode_frame(Packet()
                                      .ethernet(0x86dd)
                                      .ipv6(v6(1), v6(2), 0, 0xb8)
                                      .extension(43, 1)  // hop-by-hop, 16 bytes
                                      .extension(60)     // routing
                                      .extension(51)     // destination options
                                      .u8(6)
                                      .u8(1)  // AH: 12 bytes
                                      .u16(0)
                                      .u32(0)
                                      .u32(0)
                                      .tcp(9, 10, 0x02)
                                      .bytes());
  EXPECT_EQ(chain.proto, 6);
  EXPECT_EQ(chain.src_port, 9);
  EXPECT_EQ(chain.tcp_flags, 0x02);
  EXPECT_EQ(chain.tos, 0xb8);
  const auto first_fragment =
      decode_frame(Packet().ethernet(0x86dd).ipv6(v6(1), v6(2), 44).fragment(17, 0, true).udp(11, 12).bytes());
  EXPECT_EQ(first_fragment.proto, 17);
  EXPECT_EQ(first_fragment.dst_port, 12);
  const auto later_fragment =
      decode_frame(Packet().ethernet(0x86dd).ipv6(v6(1), v6(2), 44).fragment(17, 185, false).udp(11, 12).bytes());
  EXPECT_EQ(later_fragment.proto, 17);
  EXPECT_EQ(later_fragment.dst_port, 0);
  // A chain longer than the sampled bytes: the last header known is the protocol.
  const auto cut = decode_frame(Packet().ethernet(0x86dd).ipv6(v6(1), v6(2), 0).extension(60, 20).bytes());
  EXPECT_EQ(cut.proto, 60);
  EXPECT_EQ(cut.src_addr, v6(1));
}

TEST(Decoder, IcmpTypeAndCodeInTheDestinationPort) {
  const auto icmp = decode_frame(Packet().ethernet(0x0800).ipv4(0x0a000001, 0x0a000002, 1).icmp(3, 13).bytes());
  EXPECT_EQ(icmp.dst_port, 0x030d);
  EXPECT_EQ(icmp.src_port, 0);
  const auto icmpv6 = decode_frame(Packet().ethernet(0x86dd).ipv6(v6(1), v6(2), 58).icmp(128, 0).bytes());
  EXPECT_EQ(icmpv6.dst_port, 0x8000);
}

TEST(Decoder, HeaderProtocolsIpv4AndIpv6) {
  const Bytes v4 = Packet().ipv4(0x0a000001, 0x0a000002, 17).udp(1, 2).bytes();
  const Bytes v6 = Packet().ipv6(test::v6(1), test::v6(2), 6).tcp(3, 4, 0x10).bytes();
  const auto d = decode({Datagram()
                             .flow_sample(1, 1, 10, 1, 2, 1)
                             .header(11, 1000, v4)
                             .end()
                             .flow_sample(2, 1, 10, 1, 2, 1)
                             .header(12, 1500, v6)
                             .end()
                             .bytes()});
  ASSERT_EQ(d.flows.size(), 2u);
  EXPECT_EQ(d.flows[0].dst_port, 2);
  EXPECT_EQ(d.flows[0].bytes, 1000u);
  EXPECT_EQ(d.flows[1].src_addr, test::v6(1));
  EXPECT_EQ(d.flows[1].tcp_flags, 0x10);
}

TEST(Decoder, HeadersCutShortKeepWhatTheyReach) {
  const Bytes whole = Packet().ethernet(0x0800).ipv4(0x0a000001, 0x0a000002, 6).tcp(1, 2, 0x02).bytes();
  const auto before_addresses = decode_frame(Bytes(whole.begin(), whole.begin() + 14 + 10));
  EXPECT_TRUE(before_addresses.src_addr.is_unspecified());
  const auto before_flags = decode_frame(Bytes(whole.begin(), whole.begin() + 14 + 20 + 4));
  EXPECT_EQ(before_flags.dst_addr, IpAddress::v4(0x0a000002));
  EXPECT_EQ(before_flags.dst_port, 2);
  EXPECT_EQ(before_flags.tcp_flags, 0);
}

TEST(Decoder, SampledIpRecordsAndEthernetLength) {
  const auto d = decode({Datagram()
                             .flow_sample(1, 1, 10, 1, 2, 2)
                             .begin(2)  // sampled Ethernet: length, MACs padded to 8, type
                             .u32(1518)
                             .raw({2, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0})
                             .u32(0x0800)
                             .end()
                             .begin(3)  // sampled IPv4
                             .u32(1500)
                             .u32(6)
                             .u32(0x0a000001)
                             .u32(0x0a000002)
                             .u32(80)
                             .u32(40000)
                             .u32(0x11)
                             .u32(0x20)
                             .end()
                             .end()
                             .flow_sample(2, 1, 10, 1, 2, 1)
                             .begin(4)  // sampled IPv6, without a frame length
                             .u32(1280)
                             .u32(17)
                             .raw(v6(1).bytes)
                             .raw(v6(2).bytes)
                             .u32(53)
                             .u32(5353)
                             .u32(0)
                             .u32(0x48)
                             .end()
                             .end()
                             .bytes()});
  ASSERT_EQ(d.flows.size(), 2u);
  EXPECT_EQ(d.flows[0].bytes, 1518u);  // the frame, not the IP packet
  EXPECT_EQ(d.flows[0].src_mac.bytes, (std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 1}));
  EXPECT_EQ(d.flows[0].dst_mac.bytes, (std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(d.flows[0].src_port, 80);
  EXPECT_EQ(d.flows[0].tcp_flags, 0x11);
  EXPECT_EQ(d.flows[0].tos, 0x20);
  EXPECT_EQ(d.flows[1].bytes, 1280u);
  EXPECT_EQ(d.flows[1].dst_addr, v6(2));
  EXPECT_EQ(d.flows[1].dst_port, 5353);
  EXPECT_EQ(d.flows[1].tos, 0x48);
}

TEST(Decoder, ExtendedSwitchRouterAndGateway) {
  Datagram b;
  b.flow_sample(1, 1, 10, 1, 2, 4);
  b.header(1, 100, tcp_frame);
  b.begin(1001).u32(100).u32(0).u32(200).u32(0).end();                     // switch: VLANs and priorities
  b.begin(1002).address(IpAddress::v4(0xac100001)).u32(24).u32(16).end();  // router: next hop, masks
  b.begin(1003)                                                            // gateway
      .address(IpAddress::v4(0xac100002))
      .u32(65000)  // the router's AS
      .u32(64512)  // source AS
      .u32(64513)  // source peer AS
      .u32(2)      // two path segments
      .u32(2)
      .u32(2)
      .u32(65001)
      .u32(65002)
      .u32(1)
      .u32(1)
      .u32(65003)  // the destination's AS: the last of the path
      .u32(2)      // communities
      .u32(1)
      .u32(2)
      .u32(100)  // local preference
      .end();
  b.end();
  // Without a router record, the gateway's next hop (BGP's) is the one.
  b.flow_sample(2, 1, 10, 1, 2, 1);
  b.begin(1003).address(IpAddress::v4(0xac100002)).u32(65000).u32(0).u32(0).u32(0).u32(0).u32(0).end();
  b.end();
  Decoder decoder;
  const auto d = decode(decoder, {b.bytes()});
  ASSERT_EQ(d.flows.size(), 2u);
  EXPECT_EQ(d.flows[0].src_vlan, 100);
  EXPECT_EQ(d.flows[0].dst_vlan, 200);
  EXPECT_EQ(d.flows[0].next_hop, IpAddress::v4(0xac100001));
  EXPECT_EQ(d.flows[0].src_mask, 24);
  EXPECT_EQ(d.flows[0].dst_mask, 16);
  EXPECT_EQ(d.flows[0].src_as, 64512u);
  EXPECT_EQ(d.flows[0].dst_as, 65003u);
  EXPECT_EQ(d.flows[1].next_hop, IpAddress::v4(0xac100002));
  EXPECT_EQ(d.flows[1].dst_as, 0u);
  EXPECT_EQ(only_agent(decoder).malformed_total(), 0u);
}

TEST(Decoder, TheSwitchRecordsVlansOverTheHeadersTag) {
  const Bytes tagged = Packet().ethernet(0x8100).tag(7, 0x0800).ipv4(1, 2, 17).udp(1, 2).bytes();
  Datagram b;
  b.flow_sample(1, 1, 10, 1, 2, 2).header(1, 100, tagged).begin(1001).u32(30).u32(0).u32(40).u32(0).end().end();
  b.flow_sample(2, 1, 10, 1, 2, 2).header(1, 100, tagged).begin(1001).u32(0).u32(0).u32(0).u32(0).end().end();
  const auto d = decode({b.bytes()});
  ASSERT_EQ(d.flows.size(), 2u);
  EXPECT_EQ(d.flows[0].src_vlan, 30);
  EXPECT_EQ(d.flows[0].dst_vlan, 40);
  EXPECT_EQ(d.flows[1].src_vlan, 7);  // the switch record knows none: the tag's
  EXPECT_EQ(d.flows[1].dst_vlan, 0);
}

TEST(Decoder, ExpandedSamplesAndInterfaceFormats) {
  Datagram b;
  // Expanded: source type and index, interfaces as format and value.
  b.begin(3).u32(1).u32(0).u32(70'000'000).u32(100).u32(100).u32(0);
  b.u32(0).u32(70'000'000).u32(0).u32(80'000'000).u32(1).header(1, 100, tcp_frame).end();
  // Compact: a discard by ACL (258) and several outputs.
  b.flow_sample(1, 5, 100, 5, 1u << 30 | 258, 1).header(1, 100, tcp_frame).end();
  b.flow_sample(2, 5, 100, 5, 2u << 30 | 3, 1).header(1, 100, tcp_frame).end();
  b.flow_sample(3, 5, 100, 0x3fffffff, 0x3fffffff, 1).header(1, 100, tcp_frame).end();
  Decoder decoder;
  const auto d = decode(decoder, {b.bytes()});
  ASSERT_EQ(d.flows.size(), 4u);
  EXPECT_EQ(d.flows[0].in_if, 70'000'000u);
  EXPECT_EQ(d.flows[0].out_if, 80'000'000u);
  EXPECT_EQ(d.flows[0].sampling_interval, 100u);
  EXPECT_EQ(d.flows[1].out_if, 0u);
  EXPECT_EQ(d.flows[1].fwd_status, 129);  // dropped: ACL deny
  EXPECT_EQ(d.flows[2].out_if, 0u);
  EXPECT_EQ(d.flows[2].fwd_status, 0);
  EXPECT_EQ(d.flows[3].in_if, 0u);  // unknown
  EXPECT_EQ(d.flows[3].out_if, 0u);
  EXPECT_EQ(only_agent(decoder).flow_samples, 4u);
}

Datagram& generic_counters(Datagram& b, std::uint32_t if_index, std::uint64_t in_octets) {
  return b.begin(1)
      .u32(if_index)
      .u32(6)               // ethernetCsmacd
      .u64(10'000'000'000)  // 10 Gbit/s
      .u32(1)               // full duplex
      .u32(3)               // up, up
      .u64(in_octets)
      .u32(10)
      .u32(11)
      .u32(12)
      .u32(13)
      .u32(14)
      .u32(15)
      .u64(in_octets * 2)
      .u32(20)
      .u32(21)
      .u32(22)
      .u32(23)
      .u32(24)
      .u32(0)
      .end();
}

TEST(Decoder, CounterSamplesGiveInterfaceCounters) {
  Datagram b(test_agent, 2);
  b.begin(2).u32(1).u32(7).u32(2);  // compact: sequence, source 7, two records
  generic_counters(b, 7, 123456789012);
  b.begin(2).u32(1).u32(2).u32(3).u32(4).u32(5).end();  // ethernet counters: not read, skipped
  b.end();
  b.begin(4).u32(1).u32(0).u32(90'000'000).u32(1);  // expanded
  generic_counters(b, 90'000'000, 5);
  b.end();
  Decoder decoder;
  const auto d = decode(decoder, {b.bytes()});
  EXPECT_TRUE(d.flows.empty());
  ASSERT_EQ(d.interfaces.size(), 2u);
  InterfaceCounters want;
  want.agent = test_agent;
  want.sub_agent = 2;
  want.if_index = 7;
  want.if_type = 6;
  want.if_speed = 10'000'000'000;
  want.if_direction = 1;
  want.if_status = 3;
  want.in_octets = 123456789012;
  want.in_unicast_packets = 10;
  want.in_multicast_packets = 11;
  want.in_broadcast_packets = 12;
  want.in_discards = 13;
  want.in_errors = 14;
  want.in_unknown_protocols = 15;
  want.out_octets = 246913578024;
  want.out_unicast_packets = 20;
  want.out_multicast_packets = 21;
  want.out_broadcast_packets = 22;
  want.out_discards = 23;
  want.out_errors = 24;
  EXPECT_EQ(d.interfaces[0], want);
  EXPECT_EQ(d.interfaces[1].if_index, 90'000'000u);
  EXPECT_EQ(d.interfaces[1].in_octets, 5u);
  const auto agent = only_agent(decoder);
  EXPECT_EQ(agent.counter_samples, 2u);
  EXPECT_EQ(agent.skipped, 1u);
  EXPECT_EQ(agent.malformed_total(), 0u);
}

TEST(Decoder, UnknownFormatsAreSkippedByTheirLength) {
  Datagram b;
  b.begin(7).u32(1).u32(2).u32(3).end();  // a sample format of the future
  b.begin(1, 4413).u32(1).u32(2).end();   // an enterprise's sample
  b.flow_sample(1, 1, 10, 1, 2, 3);
  b.begin(2100).u32(1).u32(2).end();  // an unknown flow record
  b.begin(1, 8800).u32(9).end();      // an enterprise's record
  b.header(1, 100, tcp_frame);
  b.end();
  Decoder decoder;
  const auto d = decode(decoder, {b.bytes()});
  ASSERT_EQ(d.flows.size(), 1u);
  EXPECT_EQ(d.flows[0].dst_port, 443);
  const auto agent = only_agent(decoder);
  EXPECT_EQ(agent.skipped, 4u);
  EXPECT_EQ(agent.malformed_total(), 0u);
}

TEST(Decoder, DatagramSequencePerAgentAndSubAgent) {
  Decoder decoder;
  decode(decoder,
         {Datagram(test_agent, 0, 1).bytes(), Datagram(test_agent, 1, 100).bytes(), Datagram(test_agent, 0, 2).bytes(),
          Datagram(test_agent, 1, 101).bytes(), Datagram(test_agent, 0, 5).bytes(),  // 3 and 4 lost
          Datagram(test_agent, 0, 4).bytes()});                                      // late: an error, no loss
  const auto agents = decoder.agents();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0].sub_agent, 0u);
  EXPECT_EQ(agents[0].datagrams, 4u);
  EXPECT_EQ(agents[0].sequence_errors, 2u);
  EXPECT_EQ(agents[0].lost_datagrams, 2u);
  EXPECT_EQ(agents[1].sequence_errors, 0u);
}

TEST(Decoder, SampleSequencePerDataSource) {
  Datagram b;
  b.ethernet_sample(1, tcp_frame);  // source 3
  b.flow_sample(1, 4, 100, 4, 7, 1).header(1, 100, tcp_frame).end();
  b.ethernet_sample(2, tcp_frame);
  b.flow_sample(5, 4, 100, 4, 7, 1).header(1, 100, tcp_frame).end();  // 3 samples lost on source 4
  b.begin(2).u32(1).u32(3).u32(0).end();  // source 3's counter poller numbers its own samples
  Decoder decoder;
  decode(decoder, {b.bytes()});
  const auto agent = only_agent(decoder);
  EXPECT_EQ(agent.sample_sequence_errors, 1u);
  EXPECT_EQ(agent.lost_samples, 3u);
  EXPECT_EQ(agent.sources, 3u);
}

TEST(Decoder, AgentDropsAreTheLatestOfEachSampler) {
  Datagram b;
  b.flow_sample(1, 1, 10, 1, 2, 0, 5).end();
  b.flow_sample(2, 1, 10, 1, 2, 0, 8).end();
  b.flow_sample(1, 2, 10, 1, 2, 0, 3).end();
  Decoder decoder;
  decode(decoder, {b.bytes()});
  EXPECT_EQ(only_agent(decoder).agent_drops, 11u);
}

TEST(Decoder, Ipv6AgentsAndLimits) {
  Decoder decoder({.max_agents = 2, .max_sources_per_agent = 1});
  const auto d = decode(decoder, {Datagram(v6(9)).ethernet_sample(1, tcp_frame).bytes(),
                                  Datagram(v6(9)).flow_sample(1, 8, 1, 1, 1, 0).end().bytes(),  // untracked source
                                  Datagram(test_agent).bytes()});
  ASSERT_EQ(d.flows.size(), 2u);
  EXPECT_EQ(d.flows[0].exporter, v6(9));
  ASSERT_EQ(decoder.agents().size(), 2u);
  EXPECT_EQ(decoder.agents()[1].address, v6(9));
  EXPECT_EQ(decoder.agents()[1].sources, 1u);
  // A third agent in a full table: the longest silent, v6(9), is forgotten.
  decode(decoder, {Datagram(IpAddress::v4(1)).bytes()});
  ASSERT_EQ(decoder.agents().size(), 2u);
  EXPECT_EQ(decoder.agents()[0].address, IpAddress::v4(1));
  EXPECT_EQ(decoder.agents()[1].address, test_agent);
  EXPECT_EQ(decoder.evicted_agents(), 1u);
}

TEST(Decoder, AnIdleAgentIsForgotten) {
  Decoder decoder({.agent_idle_ms = 1000});
  std::vector<FlowRecord> flows;
  std::vector<InterfaceCounters> interfaces;
  decoder.decode(test_agent, Datagram(test_agent).bytes(), 5000, flows, interfaces);
  decoder.forget_idle(5999);
  ASSERT_EQ(decoder.agents().size(), 1u);
  EXPECT_EQ(decoder.agents()[0].last_seen_ms, 5000u);
  decoder.forget_idle(6000);
  EXPECT_TRUE(decoder.agents().empty());
  EXPECT_EQ(decoder.evicted_agents(), 0u);
}

// One test per kind of bad input: counted under the right agent, and what
// is good around it still decoded.

TEST(Malformed, Truncated) {
  const Bytes whole = Datagram().ethernet_sample(1, tcp_frame).bytes();
  Decoder decoder;
  std::vector<FlowRecord> flows;
  std::vector<InterfaceCounters> interfaces;
  decoder.decode(test_sender, std::span(whole).first(3), 0, flows, interfaces);   // not even a version
  decoder.decode(test_sender, std::span(whole).first(20), 0, flows, interfaces);  // the header cut short
  // A sample shorter than a flow sample's fields.
  decoder.decode(test_sender, Datagram().begin(1).u32(1).u32(2).end().ethernet_sample(2, tcp_frame).bytes(), 0, flows,
                 interfaces);
  EXPECT_EQ(flows.size(), 1u);
  const auto agents = decoder.agents();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0].address, test_sender);  // the header was unreadable
  EXPECT_EQ(malformed(agents[0], Malformed::truncated), 1u);
  EXPECT_EQ(agents[1].address, test_agent);
  EXPECT_EQ(malformed(agents[1], Malformed::truncated), 2u);
  EXPECT_EQ(agents[1].flow_samples, 1u);
}

TEST(Malformed, BadVersion) {
  Bytes v4 = Datagram().ethernet_sample(1, tcp_frame).bytes();
  v4[3] = 4;
  Decoder decoder;
  EXPECT_TRUE(decode(decoder, {v4}).flows.empty());
  const auto agent = only_agent(decoder);
  EXPECT_EQ(agent.address, test_sender);
  EXPECT_EQ(malformed(agent, Malformed::bad_version), 1u);
}

TEST(Malformed, BadAddress) {
  Bytes bad_agent = Datagram().ethernet_sample(1, tcp_frame).bytes();
  bad_agent[7] = 3;  // the agent address type
  Datagram bad_next_hop;
  bad_next_hop.flow_sample(1, 1, 10, 1, 2, 2)
      .header(1, 100, tcp_frame)
      .begin(1002)
      .u32(7)
      .u32(1)
      .u32(2)
      .u32(3)
      .end()
      .end();
  bad_next_hop.ethernet_sample(2, tcp_frame);
  Decoder decoder;
  const auto d = decode(decoder, {bad_agent, bad_next_hop.bytes()});
  ASSERT_EQ(d.flows.size(), 1u);  // the sample after the bad one
  const auto agents = decoder.agents();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(malformed(agents[0], Malformed::bad_address), 1u);  // 127.0.0.1: the sender
  EXPECT_EQ(malformed(agents[1], Malformed::bad_address), 1u);  // 192.0.2.1: the agent
}

TEST(Malformed, LengthOverrun) {
  Datagram two_samples;
  two_samples.ethernet_sample(1, tcp_frame);
  const std::size_t second_length = two_samples.size() + 4;
  Bytes sample_overruns = two_samples.ethernet_sample(2, tcp_frame).bytes();
  sample_overruns[second_length + 2] = 0x10;  // the second sample's length, past the end
  Datagram record_overruns;
  record_overruns.flow_sample(1, 1, 10, 1, 2, 1).begin(1).u32(1).u32(100).u32(4).u32(500).end().end();
  record_overruns.ethernet_sample(2, tcp_frame);
  Decoder decoder;
  const auto d = decode(decoder, {sample_overruns, record_overruns.bytes()});
  EXPECT_EQ(d.flows.size(), 2u);  // the first sample of each datagram
  EXPECT_EQ(malformed(only_agent(decoder), Malformed::length_overrun), 2u);
}

TEST(Malformed, CountOverrun) {
  Bytes absurd_samples = Datagram().ethernet_sample(1, tcp_frame).bytes();
  absurd_samples[24] = 0x40;  // 1 << 30 samples
  Datagram absurd_records;
  absurd_records.flow_sample(1, 1, 10, 1, 2, 1'000'000).end().ethernet_sample(2, tcp_frame);
  Datagram absurd_path;
  absurd_path.flow_sample(3, 1, 10, 1, 2, 1)
      .begin(1003)
      .address(IpAddress::v4(1))
      .u32(1)
      .u32(2)
      .u32(3)
      .u32(1)
      .u32(2)
      .u32(0x7fffffff)
      .u32(0)
      .end()
      .end();
  Decoder decoder;
  const auto d = decode(decoder, {absurd_samples, absurd_records.bytes(), absurd_path.bytes()});
  EXPECT_EQ(d.flows.size(), 1u);
  const auto agent = only_agent(decoder);
  EXPECT_EQ(malformed(agent, Malformed::count_overrun), 3u);
  EXPECT_EQ(agent.datagrams, 3u);
}

TEST(Malformed, HeaderProtocol) {
  Decoder decoder;
  // MPLS (13) as a header protocol: not parsed, the sample kept without addresses.
  const auto d = decode(decoder, {Datagram().flow_sample(1, 1, 10, 1, 2, 1).header(13, 300, tcp_frame).end().bytes()});
  ASSERT_EQ(d.flows.size(), 1u);
  EXPECT_EQ(d.flows[0].bytes, 300u);
  EXPECT_TRUE(d.flows[0].src_addr.is_unspecified());
  EXPECT_EQ(malformed(only_agent(decoder), Malformed::header_protocol), 1u);
}

TEST(Malformed, BadHeader) {
  Bytes wrong_version = tcp_frame;
  wrong_version[14] = 0x65;  // IPv6's version in an IPv4 frame
  Bytes short_ihl = tcp_frame;
  short_ihl[14] = 0x43;  // 12 bytes of IPv4 header
  Decoder decoder;
  const auto d = decode(decoder, {Datagram().ethernet_sample(1, wrong_version).ethernet_sample(2, short_ihl).bytes()});
  ASSERT_EQ(d.flows.size(), 2u);  // kept, with what the Ethernet header gave
  EXPECT_TRUE(d.flows[0].src_addr.is_unspecified());
  EXPECT_EQ(malformed(only_agent(decoder), Malformed::bad_header), 2u);
}

}  // namespace
}  // namespace sluice::sflow::test
