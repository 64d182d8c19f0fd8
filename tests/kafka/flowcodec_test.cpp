// The bus formats: each reads back what it writes, protoc reads our
// FlowMessages with GoFlow2's own flow.proto and we read protoc's, and bad
// messages are refused without losing the good flows beside them.
#include <gtest/gtest.h>

#include "sluice/fields.h"
#include "sluice/flowcodec/format.h"
#include "support.h"

namespace sluice::flowcodec {
namespace {

using test::kafka_sample_flows;

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
      case Field::next_hop: kept.next_hop = f.next_hop; break;
      case Field::exporter: kept.exporter = f.exporter; break;
      case Field::engine_type: kept.engine_type = f.engine_type; break;
      case Field::engine_id: kept.engine_id = f.engine_id; break;
      case Field::sampling_interval: kept.sampling_interval = f.sampling_interval; break;
      default: break;  // duration: from first and last
    }
  }
  return kept;
}

// What FlowMessage has fields for.
FlowRecord protobuf_part(FlowRecord f) {
  f.reverse_packets = f.reverse_bytes = 0;
  f.dst_tos = f.engine_type = f.engine_id = f.direction = 0;
  f.label = 0;
  return f;
}

// The flows decoded, presence aside: the text decoders mark what they read,
// the bus formats do not yet say what is absent (see kafka_sample_flows).
std::vector<FlowRecord> decode_all(Format format, const std::string& message, bool expect_ok = true) {
  std::vector<FlowRecord> flows;
  EXPECT_EQ(make_decoder(format)->decode(message, flows), expect_ok) << message.substr(0, 200);
  for (auto& f : flows) f.present = 0;
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

TEST(Json, WritesOneFlatObjectKeyedAsCsvWriterFields) {
  FlowRecord f;
  f.first_ms = 1'700'000'000'123;
  f.last_ms = 1'700'000'001'623;
  f.src_addr = IpAddress::v4(0x0a000001);
  f.dst_addr = IpAddress::v4(0x0a000002);
  f.proto = 6;
  f.packets = 3;
  f.src_mac.bytes = {0, 0x1b, 0x21, 0x3c, 0x4d, 0x5e};
  EXPECT_EQ(encode_all(*make_encoder(Format::json), std::span(&f, 1)),
            R"({"first":"2023-11-14T22:13:20.123Z","last":"2023-11-14T22:13:21.623Z",)"
            R"("received":"1970-01-01T00:00:00.000Z","duration":1.500,"src_addr":"10.0.0.1","dst_addr":"10.0.0.2",)"
            R"("src_port":0,"dst_port":0,"proto":6,"tcp_flags":0,"tos":0,"dst_tos":0,"packets":3,"bytes":0,)"
            R"("reverse_packets":0,"reverse_bytes":0,"in_if":0,"out_if":0,"src_as":0,"dst_as":0,"src_mask":0,)"
            R"("dst_mask":0,"next_hop":null,"exporter":null,"engine_type":0,"engine_id":0,"observation_domain":0,)"
            R"("sampling_interval":1,"direction":0,"fwd_status":0,"label":0,"src_mac":"00:1b:21:3c:4d:5e",)"
            R"("dst_mac":null,"src_vlan":0,"dst_vlan":0})");
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
  const char* bad[] = {"[1,2]",
                       "{\"packets\":-1}",
                       "{\"packets\":1",
                       "{\"src_addr\":\"10.0.0.300\"}",
                       "{\"first\":\"yesterday\"}",
                       "{\"packets\" 1}",
                       "{\"packets\":1}x",
                       "{\"proto\":true}",
                       "{\"a\":[[[[",
                       "{\"packets\":\"1\\q\"}",
                       "\"text\""};
  for (const char* line : bad) {
    const std::string message = std::string("{\"packets\":7}\n") + line + "\n{\"packets\":8}";
    const auto flows = decode_all(Format::json, message, false);
    ASSERT_GE(flows.size(), 2u) << line;
    EXPECT_EQ(flows.front().packets, 7u) << line;
    EXPECT_EQ(flows.back().packets, 8u) << line;
  }
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
    test::expect_flow_message(messages[i], flows[i]);
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
  EXPECT_EQ(f.src_mac.bytes, (std::array<std::uint8_t, 6>{0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e}));
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
