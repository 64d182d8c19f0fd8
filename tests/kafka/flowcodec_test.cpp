// The bus formats: each reads back what it writes, protoc reads our
// FlowMessages with GoFlow2's own flow.proto and we read protoc's, and bad
// messages are refused without losing the good flows beside them.
#include <gtest/gtest.h>

#include "sluice/fields.h"
#include "sluice/flowcodec/format.h"
#include "support.h"

namespace sluice::flowcodec {
namespace {

// The run's texts: what the sample flows' TextIds name, and where decoders intern.
InternedTexts& texts() {
  static InternedTexts table;
  return table;
}

std::vector<FlowRecord> kafka_sample_flows(std::size_t count) { return test::kafka_sample_flows(count, texts()); }

std::unique_ptr<Encoder> make_encoder(Format format, csv::TimeFormat time_format = csv::TimeFormat::iso) {
  return flowcodec::make_encoder(format, texts(), time_format);
}

std::string encode_all(Encoder& encoder, std::span<const FlowRecord> flows, bool one_message = false) {
  csv::Buffer out;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    if (one_message && i > 0) out.append(encoder.separator());
    encoder.encode(flows[i], out);
  }
  return std::string(out.view());
}

// What csv carries of a flow: its default columns.
FlowRecord csv_part(const FlowRecord& f) {
  FlowRecord kept;
  for (const Field field : csv::default_fields()) {
    switch (field) {
      case Field::first: kept.first_ms = f.first_ms; break;
      case Field::last: kept.last_ms = f.last_ms; break;
      case Field::src_addr: kept.src_addr = f.src_addr; break;
      case Field::dst_addr: kept.dst_addr = f.dst_addr; break;
      case Field::src_port: kept.src_port = f.src_port; break;
      case Field::dst_port: kept.dst_port = f.dst_port; break;
      case Field::proto: kept.proto = f.proto; break;
      case Field::tcp_flags: kept.tcp_flags = f.tcp_flags; break;
      case Field::tos: kept.tos = f.tos; break;
      case Field::packets: kept.packets = f.packets; break;
      case Field::bytes: kept.bytes = f.bytes; break;
      case Field::in_if: kept.in_if = f.in_if; break;
      case Field::out_if: kept.out_if = f.out_if; break;
      case Field::src_as: kept.src_as = f.src_as; break;
      case Field::dst_as: kept.dst_as = f.dst_as; break;
      case Field::src_mask: kept.src_mask = f.src_mask; break;
      case Field::dst_mask: kept.dst_mask = f.dst_mask; break;
      case Field::next_hop:  // csv_writer writes 0.0.0.0 as none
        if (!f.next_hop.is_v4() || f.next_hop.v4_value() != 0) kept.next_hop = f.next_hop;
        break;
      case Field::exporter: kept.exporter = f.exporter; break;
      case Field::engine_type: kept.engine_type = f.engine_type; break;
      case Field::engine_id: kept.engine_id = f.engine_id; break;
      case Field::sampling_interval: kept.sampling_interval = f.sampling_interval; break;
      default: break;  // duration: from first and last
    }
    // What a column reads marks its element present; an empty address does not.
    const FieldInfo& info = sluice::info(field);
    const bool empty_address = info.kind == FieldKind::address && address_value(kept, info).is_unspecified();
    if (info.presence != always_present && !empty_address) kept.set_present(static_cast<Element>(info.presence));
  }
  return kept;
}

// What FlowMessage and our fields beyond it carry: not the reverse counters,
// dst_tos, engine, direction or label, nor NetFlow v1 (GoFlow2's FlowType
// has none); a present zero (proto3 leaves zeros out) only for addresses.
FlowRecord protobuf_part(FlowRecord f) {
  f.reverse_packets = f.reverse_bytes = 0;
  if (f.export_version == 1) f.export_version = 0;
  f.dst_tos = f.engine_type = f.engine_id = f.direction = 0;
  f.label = 0;
  for (const Element e :
       {Element::reverse_counters, Element::dst_tos, Element::engine, Element::direction, Element::label})
    f.set_absent(e);
  for (const FieldInfo& field : fields()) {
    if (field.presence == always_present || field.kind == FieldKind::address) continue;
    const bool zero =
        field.kind == FieldKind::mac ? mac_value(f, field).is_unspecified() : unsigned_value(f, field) == 0;
    if (zero) f.set_absent(static_cast<Element>(field.presence));
  }
  return f;
}

std::vector<FlowRecord> decode_all(Format format, const std::string& message, bool expect_ok = true) {
  std::vector<FlowRecord> flows;
  EXPECT_EQ(make_decoder(format, texts())->decode(message, flows), expect_ok) << message.substr(0, 200);
  return flows;
}

TEST(Formats, HaveTheirNames) {
  EXPECT_EQ(parse_format("json"), Format::json);
  EXPECT_EQ(parse_format("protobuf"), Format::protobuf);
  EXPECT_EQ(parse_format("csv"), Format::csv);
  EXPECT_EQ(parse_format("bin"), std::nullopt);
}

TEST(Json, ReadsBackEveryFieldOfEveryFlowInBothTimeFormats) {
  const auto flows = kafka_sample_flows(2000);
  for (const auto time_format : {csv::TimeFormat::iso, csv::TimeFormat::epoch_ms}) {
    auto encoder = make_encoder(Format::json, time_format);
    for (const FlowRecord& flow : flows) {
      const std::string message = encode_all(*encoder, std::span(&flow, 1));
      const auto back = decode_all(Format::json, message);
      ASSERT_EQ(back.size(), 1u);
      ASSERT_EQ(back[0], flow) << message;
    }
    EXPECT_EQ(decode_all(Format::json, encode_all(*encoder, flows, true)), flows);
  }
}

TEST(Json, WritesOneFlatObjectWithEveryFieldOfTheRegistry) {
  FlowRecord f;
  f.first_ms = 1'700'000'000'123;
  f.last_ms = 1'700'000'001'623;
  f.src_addr = IpAddress::v4(0x0a000001);
  f.dst_addr = IpAddress::v4(0x0a000002);
  f.proto = 6;
  f.packets = 3;
  f.src_mac.bytes = {0, 0x1b, 0x21, 0x3c, 0x4d, 0x5e};
  f.set_present(Element::src_mac);
  f.in_if = 7;
  f.set_present(Element::in_if);
  f.end_reason = 2;
  f.export_version = 10;
  EXPECT_EQ(encode_all(*make_encoder(Format::json), std::span(&f, 1)),
            R"({"first":"2023-11-14T22:13:20.123Z","last":"2023-11-14T22:13:21.623Z",)"
            R"("received":null,"duration":1.500,"src_addr":"10.0.0.1","dst_addr":"10.0.0.2",)"
            R"("src_port":0,"dst_port":0,"proto":6,"tcp_flags":0,"tos":0,"dst_tos":null,"packets":3,"bytes":0,)"
            R"("reverse_packets":null,"reverse_bytes":null,"in_if":7,"out_if":null,"src_as":null,"dst_as":null,)"
            R"("src_mask":null,"dst_mask":null,"next_hop":null,"exporter":null,"engine_type":null,"engine_id":null,)"
            R"("observation_domain":null,"sampling_interval":null,"direction":null,"fwd_status":0,"label":null,)"
            R"("src_mac":"00:1b:21:3c:4d:5e","dst_mac":null,"src_vlan":null,"dst_vlan":null,"flows":null,)"
            R"("bgp_next_hop":null,"end_reason":2,"biflow_direction":0,"export_version":10,"src_country":null,)"
            R"("dst_country":null,"src_as_name":null,"dst_as_name":null,)"
            R"("src_city":null,"dst_city":null,"src_region":null,"dst_region":null,"src_net_name":null,)"
            R"("src_net_role":null,"src_net_site":null,"src_net_region":null,"src_net_tenant":null,)"
            R"("dst_net_name":null,"dst_net_role":null,"dst_net_site":null,"dst_net_region":null,)"
            R"("dst_net_tenant":null,"exporter_name":null,"in_if_name":null,"out_if_name":null,)"
            R"("in_if_description":null,"out_if_description":null,"in_if_speed":null,"out_if_speed":null,)"
            R"("in_if_boundary":null,"out_if_boundary":null,"in_if_connectivity":null,"out_if_connectivity":null})");
  EXPECT_EQ(encode_all(*make_encoder(Format::json, csv::TimeFormat::epoch_ms), std::span(&f, 1)).substr(0, 45),
            R"({"first":1700000000123,"last":1700000001623,")");
}

TEST(Json, ReadsObjectsAsOtherProducersWriteThem) {
  const auto flows = decode_all(Format::json, R"(
    { "src_addr" : "2001:db8::1", "dst_port": "443", "proto": "UDP", "bytes": 1500,
      "first": "2023-11-14 22:13:20", "tags": {"site": ["a", "b"], "n": -1.5e3}, "ok": true,
      "dst_mac": null, "note": "say \"hi\"\u00e9\n" }
    {"packets":2}{"packets":3}
  )");
  ASSERT_EQ(flows.size(), 3u);
  FlowRecord expected;
  const std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  expected.src_addr = IpAddress::v6(v6);
  expected.dst_port = 443;
  expected.proto = 17;
  expected.bytes = 1500;
  expected.first_ms = 1'700'000'000'000;
  EXPECT_EQ(flows[0], expected);
  EXPECT_EQ(flows[1].packets, 2u);
  EXPECT_EQ(flows[2].packets, 3u);
}

TEST(Json, RefusesWhatIsNotAFlowAndKeepsTheLinesAround) {
  const char* bad[] = {"[1,2]", "{\"packets\":-1}", "{\"packets\":1", "{\"src_addr\":\"10.0.0.300\"}",
                       "{\"first\":\"yesterday\"}", "{\"packets\" 1}", "{\"packets\":1}x", "{\"proto\":true}",
                       "{\"a\":[[[[", "{\"packets\":\"1\\q\"}", "\"text\"",
                       // truncated
                       "{\"packets\":1,\"src_as_name\":\"Exa", "{\"packets\":1,", "{",
                       // invalid UTF-8: a lone continuation byte, a cut sequence, an overlong '/'
                       "{\"src_as_name\":\"a\x80\x62\"}",  // \x62: 'b', which would extend \x80
                       "{\"src_as_name\":\"\xe2\x82\"}", "{\"x\xc0\xaf\":1}",
                       // numbers beyond their field or beyond 64 bits
                       "{\"packets\":18446744073709551616}", "{\"bytes\":1e400}", "{\"proto\":256}",
                       "{\"src_port\":65536}", "{\"in_if\":-1}", "{\"packets\":1.5}",
                       // wrong types
                       "{\"src_addr\":5}", "{\"proto\":[6]}", "{\"flows\":{}}", "{\"src_as_name\":7}",
                       "{\"src_country\":\"DEU\"}", "{\"in_if_boundary\":\"middle\"}", "{\"first\":true}"};
  for (const char* line : bad) {
    const std::string message = std::string("{\"packets\":7}\n") + line + "\n{\"packets\":8}";
    const auto flows = decode_all(Format::json, message, false);
    ASSERT_GE(flows.size(), 2u) << line;
    EXPECT_EQ(flows.front().packets, 7u) << line;
    EXPECT_EQ(flows.back().packets, 8u) << line;
  }
}

TEST(Json, RefusesNestingBeyondItsDepthWithoutCrashing) {
  for (const std::size_t depth : {1'000u, 100'000u}) {
    const std::string deep = "{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
    const std::string open = "{\"a\":" + std::string(depth, '{');
    const auto flows = decode_all(Format::json, "{\"packets\":7}\n" + open + "\n" + deep + "\n{\"packets\":8}", false);
    ASSERT_GE(flows.size(), 2u);
    EXPECT_EQ(flows.front().packets, 7u);
    EXPECT_EQ(flows.back().packets, 8u);
  }
}

TEST(Json, WritesNullForWhatTheFlowLacksAndZeroForWhatItHas) {
  FlowRecord f;
  f.set_present(Element::src_as);  // AS 0, as the exporter sent it
  f.set_present(Element::next_hop);
  const std::uint8_t unspecified[16] = {};
  f.next_hop = IpAddress::v6(unspecified);  // an IPv6 next hop of ::
  f.src_country = {'D', 'E'};
  f.in_if_name = texts().intern("xe-0/0/1 \"uplink\"");
  const std::string json = encode_all(*make_encoder(Format::json), std::span(&f, 1));
  for (const char* member :
       {R"("src_as":0,)", R"("dst_as":null,)", R"("next_hop":"::",)", R"("received":null,)", R"("flows":null,)",
        R"("src_country":"DE",)", R"("dst_country":null,)", R"("in_if_name":"xe-0/0/1 \"uplink\"",)",
        R"("out_if_name":null,)", R"("in_if_boundary":null,)", R"("sampling_interval":null,)"})
    EXPECT_NE(json.find(member), std::string::npos) << member << " in " << json;
  const auto back = decode_all(Format::json, json);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], f);
}

TEST(Json, MarksPresentWhatTheObjectHas) {
  const auto flows =
      decode_all(Format::json, R"({"src_as":0,"dst_as":null,"next_hop":"::","flows":3,)"
                               R"("src_country":"FR","exporter_name":"edge1","out_if_boundary":"internal"})");
  ASSERT_EQ(flows.size(), 1u);
  const FlowRecord& f = flows[0];
  EXPECT_TRUE(f.has(Element::src_as));
  EXPECT_FALSE(f.has(Element::dst_as));
  EXPECT_TRUE(f.has(Element::next_hop));
  EXPECT_TRUE(f.next_hop.is_unspecified());
  EXPECT_FALSE(f.has(Element::in_if));
  EXPECT_EQ(f.flows, 3u);
  EXPECT_TRUE(f.has(Element::flows));
  EXPECT_EQ(country_value(f, info(Field::src_country)), "FR");
  EXPECT_EQ(texts().text(f.exporter_name), "edge1");
  EXPECT_EQ(f.out_if_boundary, Boundary::internal);
  EXPECT_TRUE(f.has(Element::out_if_boundary));
}

TEST(Csv, ReadsBackTheDefaultColumnsOfEveryFlow) {
  const auto flows = kafka_sample_flows(2000);
  for (const auto time_format : {csv::TimeFormat::iso, csv::TimeFormat::epoch_ms}) {
    auto encoder = make_encoder(Format::csv, time_format);
    const auto back = decode_all(Format::csv, encode_all(*encoder, flows, true));
    ASSERT_EQ(back.size(), flows.size());
    for (std::size_t i = 0; i < flows.size(); ++i) ASSERT_EQ(back[i], csv_part(flows[i]));
  }
}

TEST(Csv, WritesCsvWriterDefaultLayoutWithProtocolNumbers) {
  FlowRecord f = kafka_sample_flows(1)[0];
  f.proto = 6;
  const std::string row = encode_all(*make_encoder(Format::csv), std::span(&f, 1));
  EXPECT_EQ(std::count(row.begin(), row.end(), ','), 22);
  EXPECT_EQ(row.find('\n'), std::string::npos);
  EXPECT_NE(row.find(",6,"), std::string::npos) << row;
  EXPECT_EQ(row.find("TCP"), std::string::npos) << row;
}

TEST(Csv, RefusesRowsOfOtherLayoutsAndKeepsTheRest) {
  const std::string good = encode_all(*make_encoder(Format::csv), kafka_sample_flows(1));
  const auto flows =
      decode_all(Format::csv, good + "\r\nfirst,last,duration\n" + good + ",extra\n\n" + good + "\n", false);
  EXPECT_EQ(flows.size(), 2u);
}

TEST(Protobuf, ReadsBackWhatFlowMessageCarries) {
  const auto flows = kafka_sample_flows(3000);
  auto encoder = make_encoder(Format::protobuf);
  const auto back = decode_all(Format::protobuf, encode_all(*encoder, flows, true));
  ASSERT_EQ(back.size(), flows.size());
  for (std::size_t i = 0; i < flows.size(); ++i) ASSERT_EQ(back[i], protobuf_part(flows[i])) << i;
}

TEST(Protobuf, ProtocReadsOurFlowMessagesWithGoflow2sProto) {
  const auto flows = kafka_sample_flows(500);
  const auto messages = test::protoc_decode(encode_all(*make_encoder(Format::protobuf), flows, true));
  ASSERT_EQ(messages.size(), flows.size());
  for (std::size_t i = 0; i < flows.size(); ++i) {
    SCOPED_TRACE(i);
    test::expect_flow_message(messages[i], flows[i], texts());
  }
}

// A FlowMessage as GoFlow2 fills it from NetFlow v9: the ICMP type and code
// in their own fields, nanosecond times, fields sluice has no place for.
TEST(Protobuf, ReadsFlowMessagesProtocWritesAsGoflow2FillsThem) {
  const std::string message = test::protoc_encode(R"(
    type: NETFLOW_V9
    time_received_ns: 1700000002000999999
    sequence_num: 42
    sampling_rate: 0
    sampler_address: "\300\000\002\001"
    time_flow_start_ns: 1700000000123456789
    time_flow_end_ns: 1700000001623000000
    bytes: 84
    packets: 1
    src_addr: "\n\000\000\001"
    dst_addr: "\n\000\000\002"
    etype: 2048
    proto: 1
    icmp_type: 8
    icmp_code: 0
    in_if: 3
    src_as: 65000
    bgp_communities: [1, 2, 3]
    as_path: [65000, 65001]
    layer_stack: [Ethernet, IPv4, ICMP]
    observation_domain_id: 256
    src_mac: 0x001b213c4d5e
  )");
  const auto flows = decode_all(Format::protobuf, test::delimited(message));
  ASSERT_EQ(flows.size(), 1u);
  const FlowRecord& f = flows[0];
  EXPECT_EQ(f.received_ms, 1'700'000'002'000u);
  EXPECT_EQ(f.first_ms, 1'700'000'000'123u);
  EXPECT_EQ(f.last_ms, 1'700'000'001'623u);
  EXPECT_EQ(f.sampling_interval, 1u);
  EXPECT_EQ(f.exporter, IpAddress::v4(0xc0000201));
  EXPECT_EQ(f.src_addr, IpAddress::v4(0x0a000001));
  EXPECT_EQ(f.dst_addr, IpAddress::v4(0x0a000002));
  EXPECT_EQ(f.proto, 1);
  EXPECT_EQ(f.dst_port, 8 << 8);
  EXPECT_EQ(f.bytes, 84u);
  EXPECT_EQ(f.in_if, 3u);
  EXPECT_EQ(f.src_as, 65000u);
  EXPECT_EQ(f.observation_domain, 256u);
  EXPECT_EQ(f.export_version, 9);
  EXPECT_EQ(f.src_mac.bytes, (std::array<std::uint8_t, 6>{0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e}));
  // Present: what the message has; sampling_rate 0 is GoFlow2's "unknown".
  for (const Element e : {Element::received, Element::exporter, Element::in_if, Element::src_as,
                          Element::observation_domain, Element::src_mac})
    EXPECT_TRUE(f.has(e)) << static_cast<int>(e);
  for (const Element e : {Element::sampling, Element::out_if, Element::dst_as, Element::next_hop, Element::bgp_next_hop,
                          Element::dst_mac, Element::flows})
    EXPECT_FALSE(f.has(e)) << static_cast<int>(e);
}

TEST(Protobuf, RefusesBrokenMessagesAndKeepsTheFlowsBefore) {
  auto encoder = make_encoder(Format::protobuf);
  const auto flows = kafka_sample_flows(2);
  const std::string good = encode_all(*encoder, flows, true);
  const std::string one = encode_all(*encoder, std::span(flows.data(), 1));
  const std::string bad[] = {
      one.substr(0, one.size() - 1),  // cut short
      test::delimited("\x08"),        // a varint without its value
      test::delimited("\x0b\x01"),    // wire type 3 (a group)
      test::delimited("\x32\x05"
                      "abcde"),                                         // a 5-byte src_addr
      test::delimited("\xa0\x01\x80\x80\x04"),                          // proto 65536
      test::delimited(std::string(11, '\xff')),                         // a varint of 11 bytes
      test::delimited("\xd8\x01\x80\x80\x80\x80\x80\x80\x80\x01"),      // src_mac of 2^49
      test::delimited("\x48\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02"),  // bytes beyond 2^64
  };
  for (const std::string& b : bad) {
    const auto back = decode_all(Format::protobuf, good + b, false);
    EXPECT_EQ(back.size(), 2u);
  }
  EXPECT_EQ(decode_all(Format::protobuf, "").size(), 0u);
}

}  // namespace
}  // namespace sluice::flowcodec
