// The decoder on hand-built datagrams: the features real exporters use, and
// one test per class of bad input (each counted, never a crash).
#include <gtest/gtest.h>

#include <random>

#include "datagrams.h"

namespace sluice::netflow::test {
namespace {

std::uint64_t malformed(const ExporterStats& e, Malformed m) { return e.malformed[static_cast<std::size_t>(m)]; }

struct Decoded {
  std::vector<FlowRecord> records;
  std::vector<ExporterStats> exporters;
  std::uint64_t evicted = 0;  // exporters forgotten to make room
};

Decoded decode(const std::vector<Bytes>& datagrams, DecoderLimits limits = {}) {
  Decoder decoder(limits);
  Decoded d;
  d.records = decode_all(decoder, datagrams);
  d.exporters = decoder.exporters();
  d.evicted = decoder.evicted_exporters();
  return d;
}

// An IPFIX template 256: src IPv4, dst IPv4, packets (4 bytes), octets (8 bytes).
Builder& simple_ipfix_template(Builder& b, std::uint16_t id = 256) {
  return b.set(2).u16(id).u16(4).u16(8).u16(4).u16(12).u16(4).u16(2).u16(4).u16(1).u16(8).end_set();
}
Builder& simple_ipfix_record(Builder& b, std::uint32_t src, std::uint32_t packets) {
  return b.u32(src).u32(0x0a000002).u32(packets).u64(packets * 100);
}

// --- features ---------------------------------------------------------------

TEST(Decoder, DataBeforeItsTemplateIsCountedAndDropped) {
  auto data_first = Builder::ipfix(0, 1);
  simple_ipfix_record(data_first.set(256), 0x0a000001, 5).end_set();
  auto with_template = Builder::ipfix(0, 1);
  simple_ipfix_template(with_template);
  simple_ipfix_record(with_template.set(256), 0x0a000001, 5).end_set();
  const auto d = decode({data_first.bytes(), with_template.bytes()});
  ASSERT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.records[0].packets, 5u);
  EXPECT_EQ(d.records[0].bytes, 500u);
  EXPECT_EQ(d.exporters[0].sets_without_template, 1u);
}

TEST(Decoder, IpfixTemplateWithdrawal) {
  auto define = Builder::ipfix(0, 1);
  simple_ipfix_template(define);
  simple_ipfix_template(define, 300);
  auto withdraw_one = Builder::ipfix(0, 1);
  withdraw_one.set(2).u16(256).u16(0).end_set();
  auto use_both = Builder::ipfix(0, 1);
  simple_ipfix_record(use_both.set(256), 1, 1).end_set();
  simple_ipfix_record(use_both.set(300), 2, 2).end_set();
  auto withdraw_all = Builder::ipfix(1, 1);
  withdraw_all.set(2).u16(2).u16(0).end_set();
  const auto d =
      decode({define.bytes(), withdraw_one.bytes(), use_both.bytes(), withdraw_all.bytes(), use_both.bytes()});
  ASSERT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.records[0].packets, 2u);
  EXPECT_EQ(d.exporters[0].sets_without_template, 3u);
  EXPECT_EQ(d.exporters[0].templates, 0u);
}

TEST(Decoder, IpfixOptionsTemplateWithdrawalHasNoScopeCount) {
  auto define = Builder::ipfix(0, 1);
  define.set(3).u16(400).u16(2).u16(1).u16(302).u16(4).u16(305).u16(4).end_set();
  simple_ipfix_template(define);
  // Withdraw options template 400 (id, count 0: four bytes), then 256 in the
  // same kind of record right after it.
  auto withdraw = Builder::ipfix(0, 1);
  withdraw.set(3).u16(400).u16(0).end_set();
  withdraw.set(2).u16(256).u16(0).end_set();
  const auto d = decode({define.bytes(), withdraw.bytes()});
  EXPECT_EQ(d.exporters[0].templates, 0u);
  EXPECT_EQ(d.exporters[0].malformed_total(), 0u);
}

TEST(Decoder, TemplatesAreKeyedByObservationDomain) {
  // Template 256 means different layouts in domains 1 and 2.
  auto one = Builder::ipfix(0, 1);
  simple_ipfix_template(one);
  simple_ipfix_record(one.set(256), 1, 10).end_set();
  auto two = Builder::ipfix(0, 2);
  two.set(2).u16(256).u16(1).u16(2).u16(4).end_set();  // packets only
  two.set(256).u32(77).end_set();
  const auto d = decode({one.bytes(), two.bytes(), one.bytes()});
  ASSERT_EQ(d.records.size(), 3u);
  EXPECT_EQ(d.records[0].packets, 10u);
  EXPECT_EQ(d.records[1].packets, 77u);
  EXPECT_EQ(d.records[1].observation_domain, 2u);
  EXPECT_EQ(d.records[2].packets, 10u);
  EXPECT_EQ(d.exporters.size(), 2u);
}

TEST(Decoder, VariableLengthAndEnterpriseFieldsAreSkippedExactly) {
  auto b = Builder::ipfix(0, 1);
  // src port, interfaceName (variable), a vendor field (PEN 9, 4 bytes),
  // reverse octets (RFC 5103), dst port.
  b.set(2).u16(256).u16(5).u16(7).u16(2).u16(82).u16(0xffff).u16(0x8000 | 1).u16(4).u32(9);
  b.u16(0x8000 | 1).u16(8).u32(29305).u16(11).u16(2).end_set();
  b.set(256);
  b.u16(1111).u8(3).raw({'e', 't', 'h'}).u32(0xdeadbeef).u64(4242).u16(2222);
  b.u16(3333).u8(255).u16(300);
  for (int i = 0; i < 300; ++i) b.u8('x');
  b.u32(0).u64(1).u16(4444);
  b.u8(0).u8(0);  // padding shorter than a record
  b.end_set();
  const auto d = decode({b.bytes()});
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].src_port, 1111);
  EXPECT_EQ(d.records[0].reverse_bytes, 4242u);
  EXPECT_EQ(d.records[0].dst_port, 2222);
  EXPECT_EQ(d.records[1].src_port, 3333);
  EXPECT_EQ(d.records[1].dst_port, 4444);
  EXPECT_EQ(d.exporters[0].malformed_total(), 0u);
}

TEST(Decoder, V9SamplerOptionsApplyPerSamplerId) {
  auto b = Builder::v9(0, 5);
  // Options template 300: scope system (type 1, 4 bytes); sampler id (48, 1
  // byte), sampler mode (49, 1), sampler interval (50, 4).
  b.set(1).u16(300).u16(4).u16(12).u16(1).u16(4).u16(48).u16(1).u16(49).u16(1).u16(50).u16(4).u16(0).end_set();
  b.set(300).u32(0).u8(3).u8(2).u32(512).u16(0).end_set();
  // Data template 256: packets, sampler id.
  b.set(0).u16(256).u16(2).u16(2).u16(4).u16(48).u16(1).end_set();
  b.set(256).u32(10).u8(3).u32(20).u8(9).u16(0).end_set();  // sampler 3, then an unknown sampler 9
  const auto d = decode({b.bytes()});
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].sampling_interval, 512u);
  EXPECT_EQ(d.records[1].sampling_interval, 1u);
  EXPECT_EQ(d.records[0].packets, 10u) << "counters are not scaled";
}

TEST(Decoder, IpfixSelectorOptionsAndSystemInitTime) {
  auto b = Builder::ipfix(0, 1);
  // Options template 400: scope selectorId (302); samplingPacketInterval
  // (305), samplingPacketSpace (306), systemInitTimeMilliseconds (160).
  b.set(3).u16(400).u16(4).u16(1).u16(302).u16(8).u16(305).u16(4).u16(306).u16(4).u16(160).u16(8).end_set();
  b.set(400).u64(1).u32(1).u32(99).u64(1'700'000'000'000).end_set();
  // Data 256: flowStartSysUpTime (22), flowEndSysUpTime (21), selectorId (302).
  b.set(2).u16(256).u16(3).u16(22).u16(4).u16(21).u16(4).u16(302).u16(8).end_set();
  b.set(256).u32(1000).u32(2500).u64(1).end_set();
  const auto d = decode({b.bytes()});
  ASSERT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.records[0].sampling_interval, 100u);
  EXPECT_EQ(d.records[0].first_ms, 1'700'000'001'000u);
  EXPECT_EQ(d.records[0].last_ms, 1'700'000'002'500u);
}

TEST(Decoder, IpfixNtpTimestampsAndDuration) {
  // flowStartMicroseconds (154, NTP) with flowDurationMilliseconds (161);
  // then flowStart/EndNanoseconds (156/157).
  constexpr std::uint64_t ntp_seconds = 1'795'000'000ULL + 2'208'988'800ULL;
  auto b = Builder::ipfix(0, 1);
  b.set(2).u16(256).u16(2).u16(154).u16(8).u16(161).u16(4).u16(257).u16(2).u16(156).u16(8).u16(157).u16(8).end_set();
  b.set(256).u64(ntp_seconds << 32 | 0x8000'0000).u32(1500).end_set();                     // .500 s
  b.set(257).u64(ntp_seconds << 32).u64((ntp_seconds + 2) << 32 | 0x4000'0000).end_set();  // +2.250 s
  const auto d = decode({b.bytes()});
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].first_ms, 1'795'000'000'500u);
  EXPECT_EQ(d.records[0].last_ms, 1'795'000'002'000u);
  EXPECT_EQ(d.records[1].first_ms, 1'795'000'000'000u);
  EXPECT_EQ(d.records[1].last_ms, 1'795'000'002'250u);
}

TEST(Decoder, V5SamplingHeaderField) {
  Builder b;
  b.u16(5).u16(1).u32(5000).u32(1'795'000'000).u32(0).u32(0).u8(1).u8(2).u16(0x4000 | 64);
  b.u32(0x0a000001).u32(0x0a000002).u32(0).u16(1).u16(2).u32(3).u32(300).u32(1000).u32(2000);
  b.u16(80).u16(443).u8(0).u8(0x12).u8(6).u8(0).u16(100).u16(200).u8(24).u8(16).u16(0);
  const auto d = decode({b.bytes()});
  ASSERT_EQ(d.records.size(), 1u);
  const auto& r = d.records[0];
  EXPECT_EQ(r.sampling_interval, 64u);
  EXPECT_EQ(r.first_ms, 1'795'000'000'000u - 5000 + 1000);
  EXPECT_EQ(r.last_ms, 1'795'000'000'000u - 5000 + 2000);
  EXPECT_EQ(r.engine_type, 1);
  EXPECT_EQ(r.engine_id, 2);
  EXPECT_EQ(r.observation_domain, 0x0102u);
  EXPECT_EQ(r.src_as, 100u);
  EXPECT_EQ(r.tcp_flags, 0x12);
}

TEST(Decoder, V1AndV7) {
  // v1: 16-byte header, no sequence; TCP flags at offset 40, no AS or masks.
  Builder v1;
  v1.u16(1).u16(1).u32(5000).u32(1'795'000'000).u32(0);
  v1.u32(0x0a000001).u32(0x0a000002).u32(0).u16(1).u16(2).u32(3).u32(300).u32(1000).u32(2000);
  v1.u16(80).u16(443).u16(0).u8(6).u8(4).u8(0x1b).u8(0).u16(0).u32(0);
  // v7: v5's header without engine and sampling, 52-byte records.
  Builder v7;
  v7.u16(7).u16(1).u32(5000).u32(1'795'000'000).u32(0).u32(0).u32(0);
  v7.u32(0x0a000003).u32(0x0a000004).u32(0).u16(1).u16(2).u32(3).u32(300).u32(1000).u32(2000);
  v7.u16(80).u16(443).u8(0).u8(0x12).u8(17).u8(0).u16(100).u16(200).u8(24).u8(16).u16(0).u32(0x0a0000fe);
  const auto d = decode({v1.bytes(), v7.bytes()});
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].tcp_flags, 0x1b);
  EXPECT_EQ(d.records[0].proto, 6);
  EXPECT_EQ(d.records[0].tos, 4);
  EXPECT_EQ(d.records[0].first_ms, 1'795'000'000'000u - 5000 + 1000);
  EXPECT_EQ(d.records[1].src_addr, IpAddress::v4(0x0a000003));
  EXPECT_EQ(d.records[1].tcp_flags, 0x12);
  EXPECT_EQ(d.records[1].src_as, 100u);
  EXPECT_EQ(d.records[1].dst_mask, 16);
  ASSERT_EQ(d.exporters.size(), 2u);
  EXPECT_EQ(d.exporters[0].version, 1);
  EXPECT_EQ(d.exporters[1].version, 7);
  EXPECT_EQ(d.exporters[0].malformed_total() + d.exporters[1].malformed_total(), 0u);
}

Bytes v5_datagram(std::uint32_t sequence, std::uint16_t count) {
  Builder b;
  b.u16(5).u16(count).u32(5000).u32(1'795'000'000).u32(0).u32(sequence).u16(0).u16(0);
  for (int i = 0; i < count; ++i) b.u64(0).u64(0).u64(0).u64(0).u64(0).u64(0);
  return b.bytes();
}

TEST(Decoder, SequenceTrackingCountsLikeNfcapd) {
  // v5 counts flows: 0 (+30) 30 (+30) then 90: 30 flows lost, one error.
  auto v5 = decode({v5_datagram(0, 30), v5_datagram(30, 30), v5_datagram(90, 10), v5_datagram(100, 1)});
  EXPECT_EQ(v5.exporters[0].sequence_errors, 1u);
  EXPECT_EQ(v5.exporters[0].lost, 30u);
  // v9 counts datagrams: 0 1 3 4: one lost.
  std::vector<Bytes> v9;
  for (std::uint32_t s : {0, 1, 3, 4}) v9.push_back(Builder::v9(s, 1).bytes());
  const auto nine = decode(v9);
  EXPECT_EQ(nine.exporters[0].sequence_errors, 1u);
  EXPECT_EQ(nine.exporters[0].lost, 1u);
  // IPFIX counts data records: template only (0), 1 record (0), 1 record (1),
  // then 5 where 2 was expected.
  auto t = Builder::ipfix(0, 1);
  simple_ipfix_template(t);
  std::vector<Bytes> ipfix{t.bytes()};
  for (std::uint32_t s : {0, 1, 5}) {
    auto b = Builder::ipfix(s, 1);
    simple_ipfix_record(b.set(256), 1, 1).end_set();
    ipfix.push_back(b.bytes());
  }
  const auto ten = decode(ipfix);
  EXPECT_EQ(ten.exporters[0].sequence_errors, 1u);
  EXPECT_EQ(ten.exporters[0].lost, 3u);
}

TEST(Decoder, AFullTableForgetsTheLongestSilentExporter) {
  Decoder decoder({.max_exporters = 2});
  std::vector<FlowRecord> out;
  decoder.decode(IpAddress::v4(1), v5_datagram(0, 1), 1000, out);
  decoder.decode(IpAddress::v4(2), v5_datagram(0, 1), 2000, out);
  decoder.decode(IpAddress::v4(1), v5_datagram(1, 1), 3000, out);
  decoder.decode(IpAddress::v4(3), v5_datagram(0, 1), 4000, out);  // 2 is the longest silent
  EXPECT_EQ(out.size(), 4u);
  const auto exporters = decoder.exporters();
  ASSERT_EQ(exporters.size(), 2u);
  EXPECT_EQ(exporters[0].address, IpAddress::v4(1));
  EXPECT_EQ(exporters[0].datagrams, 2u);
  EXPECT_EQ(exporters[0].first_seen_ms, 1000u);
  EXPECT_EQ(exporters[0].last_seen_ms, 3000u);
  EXPECT_EQ(exporters[1].address, IpAddress::v4(3));
  EXPECT_EQ(decoder.evicted_exporters(), 1u);
}

TEST(Decoder, AnIdleExporterIsForgottenWithItsTemplates) {
  Decoder decoder({.exporter_idle_ms = 60'000});
  auto with_template = Builder::ipfix(0, 1);
  simple_ipfix_template(with_template);
  auto data = Builder::ipfix(0, 1);
  simple_ipfix_record(data.set(256), 0x0a000001, 5).end_set();
  std::vector<FlowRecord> out;
  decoder.decode(IpAddress::v4(1), with_template.bytes(), 1000, out);
  decoder.decode(IpAddress::v4(1), data.bytes(), 60'999, out);
  EXPECT_EQ(out.size(), 1u);
  decoder.forget_idle(120'998);  // silent 59.999 s: kept
  ASSERT_EQ(decoder.exporters().size(), 1u);
  decoder.forget_idle(120'999);
  EXPECT_TRUE(decoder.exporters().empty());
  // Heard from again: a new exporter, without the template it had.
  decoder.decode(IpAddress::v4(1), data.bytes(), 130'000, out);
  EXPECT_EQ(out.size(), 1u);
  ASSERT_EQ(decoder.exporters().size(), 1u);
  EXPECT_EQ(decoder.exporters()[0].sets_without_template, 1u);
  EXPECT_EQ(decoder.exporters()[0].first_seen_ms, 130'000u);
  EXPECT_EQ(decoder.evicted_exporters(), 0u);
}

// --- bad input: one test per class ------------------------------------------

TEST(BadInput, Truncated) {
  auto ipfix = Builder::ipfix(0, 1);
  simple_ipfix_template(ipfix);
  simple_ipfix_record(ipfix.set(256), 1, 1).end_set();
  Bytes cut = ipfix.bytes();
  cut.resize(cut.size() - 3);  // the header's length now overruns the datagram
  Bytes v5 = v5_datagram(0, 2);
  v5.resize(10);
  auto set_past_end = Builder::v9(0, 1);
  set_past_end.set(0).u16(256).u16(1).u16(2).u16(4).end_set();
  Bytes v9 = set_past_end.bytes();
  v9[v9.size() - 9] = 200;  // set length 200 in a shorter datagram
  const auto d = decode({cut, v5, v9, Bytes{0}});
  EXPECT_TRUE(d.records.empty());
  std::uint64_t truncated = 0;
  for (const auto& e : d.exporters) truncated += malformed(e, Malformed::truncated);
  EXPECT_EQ(truncated, 4u);
}

TEST(BadInput, RecordCountOverrunsTheDatagram) {
  Bytes claims_five = v5_datagram(0, 2);
  claims_five[3] = 5;
  Bytes claims_forty = v5_datagram(0, 30);
  claims_forty[3] = 40;
  const auto d = decode({claims_five, claims_forty});
  EXPECT_TRUE(d.records.empty());
  EXPECT_EQ(malformed(d.exporters[0], Malformed::count_overrun), 2u);
}

TEST(BadInput, UnknownVersion) {
  auto b = Builder::v9(0, 1);
  Bytes d8 = b.bytes();
  d8[1] = 8;  // v8 (router aggregation) is not decoded
  const auto d = decode({d8, Bytes{0x12, 0x34, 0x56}});
  EXPECT_TRUE(d.records.empty());
  ASSERT_EQ(d.exporters.size(), 1u);
  EXPECT_EQ(d.exporters[0].version, 0);
  EXPECT_EQ(malformed(d.exporters[0], Malformed::unknown_version), 2u);
}

TEST(BadInput, BadTemplateLengths) {
  auto zero_length = Builder::ipfix(0, 1);
  zero_length.set(2).u16(256).u16(1).u16(8).u16(0).end_set();
  auto fields_past_set = Builder::ipfix(0, 1);
  fields_past_set.set(2).u16(257).u16(50).u16(8).u16(4).end_set();
  auto v9_variable = Builder::v9(0, 1);
  v9_variable.set(0).u16(258).u16(1).u16(82).u16(0xffff).end_set();
  const auto d = decode({zero_length.bytes(), fields_past_set.bytes(), v9_variable.bytes()});
  std::uint64_t bad = 0, templates = 0;
  for (const auto& e : d.exporters) {
    bad += malformed(e, Malformed::bad_template);
    templates += e.templates;
  }
  EXPECT_EQ(bad, 3u);
  EXPECT_EQ(templates, 0u);
}

TEST(BadInput, TemplateIdBelow256) {
  auto b = Builder::ipfix(0, 1);
  b.set(2).u16(255).u16(1).u16(8).u16(4).end_set();
  const auto d = decode({b.bytes()});
  EXPECT_EQ(malformed(d.exporters[0], Malformed::bad_template), 1u);
  EXPECT_EQ(d.exporters[0].templates, 0u);
}

TEST(BadInput, ReservedSetIdOrSetShorterThanItsHeader) {
  auto reserved = Builder::ipfix(0, 1);
  reserved.set(100).u32(0).end_set();
  Bytes short_set = Builder::ipfix(0, 1).set(256).end_set().bytes();
  short_set[19] = 2;  // set length 2
  const auto d = decode({reserved.bytes(), short_set});
  EXPECT_EQ(malformed(d.exporters[0], Malformed::bad_set), 2u);
}

TEST(BadInput, TemplateFloodIsCappedPerExporter) {
  std::vector<Bytes> flood;
  for (std::uint16_t id = 256; id < 256 + 1000; id += 50) {
    auto b = Builder::ipfix(0, 1);
    b.set(2);
    for (std::uint16_t i = id; i < id + 50; ++i) b.u16(i).u16(1).u16(8).u16(4);
    flood.push_back(b.end_set().bytes());
  }
  const auto d = decode(flood, {.max_templates_per_exporter = 100});
  EXPECT_EQ(d.exporters[0].templates, 100u);
  EXPECT_EQ(malformed(d.exporters[0], Malformed::template_limit), 900u);
}

TEST(BadInput, TemplatesAreCappedOverAllExportersAndInFields) {
  std::vector<Bytes> templates;
  for (std::uint32_t domain = 0; domain < 10; ++domain) {
    auto b = Builder::ipfix(0, domain);
    b.set(2);
    for (std::uint16_t id = 256; id < 266; ++id) b.u16(id).u16(1).u16(8).u16(4);
    templates.push_back(b.end_set().bytes());
  }
  auto wide = Builder::ipfix(0, 99);
  wide.set(2).u16(256).u16(600);
  for (int i = 0; i < 600; ++i) wide.u16(8).u16(4);
  templates.push_back(wide.end_set().bytes());
  const auto d = decode(templates, {.max_templates = 35});
  std::uint64_t kept = 0, over_limit = 0, bad = 0;
  for (const auto& e : d.exporters) {
    kept += e.templates;
    over_limit += malformed(e, Malformed::template_limit);
    bad += malformed(e, Malformed::bad_template);
  }
  EXPECT_EQ(kept, 35u);
  EXPECT_EQ(over_limit, 65u);
  EXPECT_EQ(bad, 1u) << "600 fields is more than a template may have";
}

TEST(BadInput, GarbageNeverCrashesAndIsCounted) {
  std::mt19937 rng(1234);
  std::vector<Bytes> garbage;
  for (int i = 0; i < 20'000; ++i) {
    Bytes b(rng() % 300);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    // Give most of them a version we speak, so the parsers behind it run.
    if (b.size() >= 2 && i % 4 != 0) {
      b[0] = 0;
      b[1] = static_cast<std::uint8_t>(i % 4 == 1 ? 5 : i % 4 == 2 ? 9 : 10);
    }
    garbage.push_back(std::move(b));
  }
  const auto d = decode(garbage, {.max_exporters = garbage.size()});
  std::uint64_t datagrams = 0, malformed_total = 0;
  for (const auto& e : d.exporters) {
    datagrams += e.datagrams;
    malformed_total += e.malformed_total();
  }
  EXPECT_EQ(datagrams, garbage.size());
  EXPECT_GT(malformed_total, garbage.size() / 2);
  // Random domains make many exporters: a full table forgets some.
  const auto bounded = decode(garbage, {.max_exporters = 1000});
  EXPECT_EQ(bounded.exporters.size(), 1000u);
  EXPECT_GT(bounded.evicted, 0u);
}

}  // namespace
}  // namespace sluice::netflow::test
