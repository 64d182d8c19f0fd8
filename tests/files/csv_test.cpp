// CSV layouts: the default one, and nfdump's compared byte for byte with
// what nfdump 1.7.1 prints.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>

#include "sluice/csv/formatter.h"
#include "sluice/nffile/reader.h"
#include "sluice/nffile/writer.h"
#include "sluice/protocols.h"
#include "support.h"

namespace sluice::csv {
namespace {

std::string format_all(Formatter& formatter, std::span<const FlowRecord> flows) {
  Buffer out;
  formatter.header(out);
  formatter.rows(flows, out);
  formatter.trailer(out);
  return std::string(out.view());
}

// `nfdump -r FILE -o csv` with header and summary, in time zone `tz`.
std::string nfdump_csv(const std::filesystem::path& file, const std::string& tz = "UTC") {
  const auto result = testing::run({"nfdump", "-r", file.string(), "-o", "csv"}, {.cwd = {}, .env = {{"TZ", tz}}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

TEST(NfdumpLayout, EqualsNfdumpByteForByteForTheSameFlows) {
  test::TempDir dir;
  const auto flows = test::sample_flows(20000, 11);
  const auto file = dir / "flows.nf";
  nffile::Writer writer(file);
  writer.write(flows);
  writer.close();

  auto formatter = make_nfdump_formatter(true);
  const std::string ours = format_all(*formatter, flows);
  const std::string theirs = nfdump_csv(file);
  ASSERT_EQ(test::split_lines(ours).size(), flows.size() + 4);
  EXPECT_EQ(ours, theirs);
}

TEST(NfdumpLayout, PrintsLocalTimeAcrossADaylightSavingChangeAsNfdumpDoes) {
  test::TempDir dir;
  auto flows = test::sample_flows(3000, 5);
  // 2023-11-05 05:00 UTC: New York falls back from EDT to EST; flows every 3 s around it.
  for (std::size_t i = 0; i < flows.size(); ++i) {
    flows[i].first_ms = 1'699'160'400'000 - 4'500'000 + i * 3'000;
    flows[i].last_ms = flows[i].first_ms + 1'500;
    flows[i].received_ms = flows[i].last_ms + 250;
  }
  const auto file = dir / "dst.nf";
  nffile::Writer writer(file);
  writer.write(flows);
  writer.close();

  const testing::ScopedEnvironment zone("TZ", "America/New_York");  // nfdump prints local time
  auto formatter = make_nfdump_formatter(false);
  const std::string ours = format_all(*formatter, flows);
  const std::string theirs = nfdump_csv(file, "America/New_York");
  EXPECT_THAT(ours, ::testing::HasSubstr("2023-11-05 01:59:58,"));
  EXPECT_EQ(ours, theirs.substr(0, ours.size()));
}

// nfcapd's option for each compression method.
const std::map<nffile::Compression, std::vector<std::string>> nfcapd_compression_option = {
    {nffile::Compression::none, {}},
    {nffile::Compression::lz4, {"-y"}},
    {nffile::Compression::lzo, {"-z"}},
    {nffile::Compression::bz2, {"-j"}},
};

class RealNfcapdFile : public ::testing::TestWithParam<nffile::Compression> {};

TEST_P(RealNfcapdFile, ReadsAsNfdumpPrintsIt) {
  test::TempDir dir;
  const auto file = test::capture_with_nfcapd(dir.path(), nfcapd_compression_option.at(GetParam()));
  ASSERT_FALSE(file.empty());
  nffile::Reader reader(file);
  ASSERT_EQ(reader.compression(), GetParam());
  std::vector<FlowRecord> flows;
  while (reader.read_block(flows)) {
  }
  ASSERT_GE(flows.size(), 40u);
  auto formatter = make_nfdump_formatter(true);
  EXPECT_EQ(format_all(*formatter, flows), nfdump_csv(file));
}
INSTANTIATE_TEST_SUITE_P(Compression, RealNfcapdFile,
                         ::testing::Values(nffile::Compression::none, nffile::Compression::lz4,
                                           nffile::Compression::lzo, nffile::Compression::bz2),
                         [](const auto& info) { return std::string(nffile::to_string(info.param)); });

TEST(NfdumpLayout, StartsItsNumberingAndTotalsAfreshAfterEachTrailer) {
  const auto flows = test::sample_flows(100, 2);
  auto formatter = make_nfdump_formatter(true);
  const std::string first = format_all(*formatter, flows);
  EXPECT_EQ(format_all(*formatter, flows), first);
}

FlowRecord example_flow() {
  FlowRecord f;
  f.first_ms = 1'700'000'000'123;
  f.last_ms = 1'700'000'001'623;
  f.received_ms = 1'700'000'002'000;
  f.src_addr = IpAddress::v4(0x0a010203);
  const std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  f.dst_addr = IpAddress::v6(v6);
  f.src_port = 40000;
  f.dst_port = 443;
  f.proto = 6;
  f.tcp_flags = 0x12;
  f.packets = 10;
  f.bytes = 5000;
  f.exporter = IpAddress::v4(0x7f000001);
  f.sampling_interval = 10;
  return f;
}

TEST(DefaultLayout, WritesTheDefaultFieldsUnderTheirNames) {
  const FlowRecord flow = example_flow();
  auto formatter = make_default_formatter({});
  EXPECT_EQ(format_all(*formatter, std::span(&flow, 1)),
            "first,last,duration,src_addr,dst_addr,src_port,dst_port,proto,tcp_flags,tos,packets,bytes,in_if,out_if,"
            "src_as,dst_as,src_mask,dst_mask,next_hop,exporter,engine_type,engine_id,sampling_interval\n"
            "2023-11-14T22:13:20.123Z,2023-11-14T22:13:21.623Z,1.500,10.1.2.3,2001:db8::2,40000,443,TCP,18,0,10,5000,"
            "0,0,0,0,0,0,,127.0.0.1,0,0,10\n");
}

TEST(DefaultLayout, WritesChosenFieldsInTheirOrderWithEpochTimesAndProtocolNumbers) {
  const FlowRecord flow = example_flow();
  auto formatter = make_default_formatter({.fields = {Field::proto, Field::first, Field::last, Field::received},
                                           .time_format = TimeFormat::epoch_ms,
                                           .proto_names = false});
  EXPECT_EQ(format_all(*formatter, std::span(&flow, 1)),
            "proto,first,last,received\n6,1700000000123,1700000001623,1700000002000\n");
  auto seconds =
      make_default_formatter({.fields = {Field::first}, .time_format = TimeFormat::epoch_s, .proto_names = true});
  EXPECT_EQ(format_all(*seconds, std::span(&flow, 1)), "first\n1700000000\n");
}

TEST(DefaultLayout, CarriesTheLabelOfGeneratedFlowsWhenAsked) {
  FlowRecord flow = example_flow();
  flow.label = 65535;
  auto formatter = make_default_formatter({.fields = {Field::bytes, Field::label}});
  EXPECT_EQ(format_all(*formatter, std::span(&flow, 1)), "bytes,label\n" + std::to_string(flow.bytes) + ",65535\n");
  EXPECT_EQ(find_field("label"), Field::label);
  EXPECT_EQ(std::count(default_fields().begin(), default_fields().end(), Field::label), 0)
      << "the standard columns stay as they were";
}

TEST(DefaultLayout, NamesEveryFieldAndParsesItBack) {
  for (const FieldInfo& field : fields()) EXPECT_EQ(find_field(field.name), field.field);
  EXPECT_EQ(find_field("src_ip"), std::nullopt);
}

TEST(DefaultLayout, PrintsHowTheFlowWasExportedAsNumbers) {
  FlowRecord flow = example_flow();
  flow.end_reason = 2;  // active timeout
  flow.biflow_direction = 1;
  flow.export_version = sflow_5_export_version;
  auto formatter =
      make_default_formatter({.fields = {Field::end_reason, Field::biflow_direction, Field::export_version}});
  EXPECT_EQ(format_all(*formatter, std::span(&flow, 1)), "end_reason,biflow_direction,export_version\n2,1,133\n");
}

TEST(DefaultLayout, PrintsTextsCountriesAndFlows) {
  InternedTexts texts;
  FlowRecord flow = example_flow();
  flow.src_country = {'D', 'E'};
  flow.src_as_name = texts.intern("Example, Inc. \"EX\"");
  flow.dst_city = texts.intern("Zürich");
  flow.flows = 7;
  flow.in_if_boundary = Boundary::external;
  auto formatter = make_default_formatter(
      {.fields = {Field::src_country, Field::dst_country, Field::src_as_name, Field::dst_city, Field::dst_as_name,
                  Field::flows, Field::in_if_boundary, Field::out_if_boundary},
       .texts = &texts});
  const std::string written = format_all(*formatter, std::span(&flow, 1));
  EXPECT_EQ(written,
            "src_country,dst_country,src_as_name,dst_city,dst_as_name,flows,in_if_boundary,out_if_boundary\n"
            "DE,,\"Example, Inc. \"\"EX\"\"\",Zürich,,7,external,\n");
  FlowRecord back;
  EXPECT_TRUE(parse_field_value(Field::dst_city, "Zürich", back, &texts));
  EXPECT_EQ(back.dst_city, flow.dst_city);
  EXPECT_FALSE(parse_field_value(Field::dst_city, "Zürich", back)) << "no table, no text";
  EXPECT_TRUE(parse_field_value(Field::src_country, "DE", back));
  EXPECT_EQ(back.src_country, flow.src_country);
  EXPECT_FALSE(parse_field_value(Field::src_country, "de", back));
  EXPECT_TRUE(parse_field_value(Field::in_if_boundary, "internal", back));
  EXPECT_TRUE(back.has(Element::in_if_boundary));
  EXPECT_FALSE(parse_field_value(Field::in_if_boundary, "outside", back));
}

TEST(DefaultLayout, PrintsZeroForANumberTheSourceDidNotHave) {
  FlowRecord flow = example_flow();
  flow.src_as = 0;
  flow.set_absent(Element::src_as);
  auto formatter = make_default_formatter({.fields = {Field::src_as, Field::next_hop}});
  EXPECT_EQ(format_all(*formatter, std::span(&flow, 1)), "src_as,next_hop\n0,\n");
  FlowRecord back;
  ASSERT_TRUE(parse_row(std::vector{Field::src_as, Field::next_hop}, "0,", back));
  EXPECT_TRUE(back.has(Element::src_as)) << "a number read is a number the source had";
  EXPECT_FALSE(back.has(Element::next_hop)) << "an empty address is none";
}

TEST(DefaultLayout, WritesIpv6AddressesAsInetNtopDoes) {
  std::mt19937 rng(42);
  auto formatter =
      make_default_formatter({.fields = {Field::src_addr}, .time_format = TimeFormat::iso, .proto_names = true});
  for (int i = 0; i < 20000; ++i) {
    std::uint8_t bytes[16];
    for (auto& b : bytes) b = rng() % 4 == 0 ? static_cast<std::uint8_t>(rng()) : 0;  // many zero runs
    if (i % 7 == 0) bytes[10] = bytes[11] = 0xff, std::fill(bytes, bytes + 10, 0);    // IPv4-mapped
    if (i % 11 == 0) std::fill(bytes, bytes + 12, 0);                                 // IPv4-compatible
    FlowRecord flow;
    flow.src_addr = IpAddress::v6(bytes);
    if (flow.src_addr.is_v4() || flow.src_addr.is_unspecified()) continue;  // written dotted / empty
    char expected[INET6_ADDRSTRLEN];
    ::inet_ntop(AF_INET6, bytes, expected, sizeof expected);
    Buffer out;
    formatter->rows(std::span(&flow, 1), out);
    ASSERT_EQ(out.view(), std::string(expected) + "\n");
  }
}

TEST(DefaultLayout, WritesMacsAndVlans) {
  FlowRecord flow = example_flow();
  flow.src_mac.bytes = {0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e};
  flow.src_vlan = 100;
  flow.dst_vlan = 4094;
  auto formatter =
      make_default_formatter({.fields = {Field::src_mac, Field::dst_mac, Field::src_vlan, Field::dst_vlan}});
  EXPECT_EQ(format_all(*formatter, std::span(&flow, 1)),
            "src_mac,dst_mac,src_vlan,dst_vlan\n00:1b:21:3c:4d:5e,,100,4094\n");
}

// What the default layout writes, in every time format that keeps
// milliseconds and with protocols by name or number, reads back as the same
// flow (duration follows from first and last).
TEST(FieldText, ReadsBackWhatItWritesForEveryField) {
  InternedTexts texts;
  std::vector<Field> every_field;
  for (const FieldInfo& field : fields()) every_field.push_back(field.field);
  auto flows = test::sample_flows(3000, 11);
  for (std::size_t i = 0; i < flows.size(); ++i) {
    FlowRecord& f = flows[i];
    f.label = static_cast<std::uint16_t>(i % 3);
    f.src_vlan = static_cast<std::uint16_t>(i % 4095);
    f.dst_vlan = static_cast<std::uint16_t>(i % 7);
    if (i % 2) f.src_mac.bytes = {0x02, 0x00, 0x5e, static_cast<std::uint8_t>(i), 0xab, 0xCD};
    if (i % 3) f.dst_mac.bytes = {0xff, 0xff, 0xff, 0xff, 0xff, static_cast<std::uint8_t>(i >> 3)};
    f.flows = 1 + i % 5;
    if (i % 4 == 0) f.src_country = {'N', 'L'};
    f.exporter_name = texts.intern(i % 2 ? "edge1" : "edge, \"two\"");
    f.out_if_boundary = static_cast<Boundary>(i % 3);
    f.end_reason = static_cast<std::uint8_t>(i % 6);
    f.biflow_direction = static_cast<std::uint8_t>(i % 4);
    f.export_version = i % 2 ? 10 : sflow_5_export_version;
    // The default layout writes a next hop of 0.0.0.0 as none (empty).
    if (f.next_hop.is_v4() && f.next_hop.v4_value() == 0) f.next_hop = {};
    // Read back, a value present is one written: every number, and the
    // addresses, MACs and boundaries that are set.
    for (const FieldInfo& field : fields()) {
      if (field.presence == always_present) continue;
      const bool set = field.kind == FieldKind::address    ? !address_value(f, field).is_unspecified()
                       : field.kind == FieldKind::mac      ? !mac_value(f, field).is_unspecified()
                       : field.kind == FieldKind::boundary ? unsigned_value(f, field) != 0
                                                           : true;
      if (set)
        f.set_present(static_cast<Element>(field.presence));
      else
        f.set_absent(static_cast<Element>(field.presence));
    }
  }
  for (const TimeFormat time_format : {TimeFormat::iso, TimeFormat::epoch_ms}) {
    for (const bool proto_names : {true, false}) {
      auto formatter = make_default_formatter(
          {.fields = every_field, .time_format = time_format, .proto_names = proto_names, .texts = &texts});
      Buffer out;
      formatter->rows(flows, out);
      const auto rows = test::split_lines(std::string(out.view()));
      ASSERT_EQ(rows.size(), flows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) {
        FlowRecord back;
        ASSERT_TRUE(parse_row(every_field, rows[i], back, &texts)) << rows[i];
        // Protocol 38 shares nfdump's name IDPR with 35; none here.
        ASSERT_EQ(back, flows[i]) << rows[i];
      }
    }
  }
}

TEST(FieldText, ReadsTimesAsPeopleWriteThem) {
  FlowRecord f;
  for (const auto* text : {"2023-11-14T22:13:20.123Z", "2023-11-14 22:13:20.123", "1700000000123"}) {
    ASSERT_TRUE(parse_field_value(Field::first, text, f)) << text;
    EXPECT_EQ(f.first_ms, 1'700'000'000'123u) << text;
  }
  ASSERT_TRUE(parse_field_value(Field::last, "2024-02-29T00:00:00Z", f));
  EXPECT_EQ(f.last_ms, 1'709'164'800'000u);
  for (const auto* bad : {"", "2023-11-14", "2023-13-14T22:13:20Z", "2023-11-14T22:13:20.1Z", "-5",
                          "2023-11-14T22:13:20.123Zx", "1969-12-31T23:59:59Z"})
    EXPECT_FALSE(parse_field_value(Field::first, bad, f)) << bad;
}

TEST(FieldText, RefusesValuesOutOfTheirFieldsRange) {
  FlowRecord f;
  EXPECT_FALSE(parse_field_value(Field::src_port, "65536", f));
  EXPECT_FALSE(parse_field_value(Field::tos, "256", f));
  EXPECT_FALSE(parse_field_value(Field::packets, "-1", f));
  EXPECT_FALSE(parse_field_value(Field::packets, "+1", f));
  EXPECT_FALSE(parse_field_value(Field::packets, "1.5", f));
  EXPECT_FALSE(parse_field_value(Field::src_addr, "10.0.0.256", f));
  EXPECT_FALSE(parse_field_value(Field::src_addr, "10.0.0", f));
  EXPECT_FALSE(parse_field_value(Field::src_addr, "2001:db8::1::2", f));
  EXPECT_FALSE(parse_field_value(Field::src_mac, "00:1b:21:3c:4d", f));
  EXPECT_FALSE(parse_field_value(Field::src_mac, "00-1b-21-3c-4d-5e", f));
  EXPECT_FALSE(parse_field_value(Field::proto, "TCPX", f));
  EXPECT_FALSE(parse_field_value(Field::duration, "1.2345", f));
  EXPECT_TRUE(parse_field_value(Field::duration, "12", f));
  ASSERT_TRUE(parse_field_value(Field::proto, "icmp6", f));
  EXPECT_EQ(f.proto, 58);
}

TEST(FieldText, ReadsRowsOfExactlyTheirColumns) {
  const Field fields[] = {Field::src_addr, Field::dst_port, Field::proto};
  FlowRecord f;
  EXPECT_TRUE(parse_row(fields, "10.0.0.1,443,TCP", f));
  EXPECT_EQ(f.src_addr, IpAddress::v4(0x0a000001));
  EXPECT_EQ(f.dst_port, 443);
  EXPECT_EQ(f.proto, 6);
  EXPECT_TRUE(parse_row(fields, ",0,0", f));
  EXPECT_TRUE(f.src_addr.is_unspecified());
  EXPECT_FALSE(parse_row(fields, "10.0.0.1,443", f));
  EXPECT_FALSE(parse_row(fields, "10.0.0.1,443,TCP,", f));
  EXPECT_FALSE(parse_row(fields, "10.0.0.1,443,TCP,1", f));
}

TEST(ProtocolNames, NumberEveryNameAsNfdumpPrintsIt) {
  for (unsigned p = 0; p < 256; ++p) {
    const auto name = protocol_name(static_cast<std::uint8_t>(p));
    if (name.empty()) continue;
    const auto number = protocol_number(name);
    ASSERT_TRUE(number) << name;
    EXPECT_EQ(protocol_name(*number), name);
  }
  EXPECT_EQ(protocol_number("udp"), 17);
  EXPECT_EQ(protocol_number("IDPR"), 35);  // nfdump names 38 so too
  EXPECT_EQ(protocol_number("nothing"), std::nullopt);
}

}  // namespace
}  // namespace sluice::csv
