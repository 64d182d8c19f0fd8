// Encoder and decoder against each other: what goes out comes back, headers
// carry what each version defines.
#include <gtest/gtest.h>

#include "../../plugins/lib/netflow/src/wire.h"
#include "datagrams.h"
#include "test_flows.h"

namespace sluice::netflow::test {
namespace {

using wire::load16;
using wire::load32;

std::vector<FlowRecord> expected_after(Version v, const std::vector<FlowRecord>& flows, std::uint64_t received_ms) {
  std::vector<FlowRecord> expected;
  for (const auto& f : flows) {
    if (v == Version::v5 && !f.src_addr.is_v4()) continue;
    FlowRecord c = as_carried_by(v, f);
    c.exporter = test_exporter;
    c.received_ms = received_ms;
    expected.push_back(c);
  }
  return expected;
}

class RoundTrip : public ::testing::TestWithParam<Version> {};

TEST_P(RoundTrip, EveryRecordComesBackAsTheVersionCarriesIt) {
  const auto flows = test_flows(500, 42);
  Encoder encoder({.version = GetParam()});
  Decoder decoder;
  const auto decoded = decode_all(decoder, encode_all(encoder, flows, test_now_ms), 99);
  const auto expected = expected_after(GetParam(), flows, 99);
  ASSERT_EQ(decoded.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(decoded[i], expected[i]) << "record " << i;
  const auto exporters = decoder.exporters();
  ASSERT_EQ(exporters.size(), 1u);
  EXPECT_EQ(exporters[0].sequence_errors, 0u);
  EXPECT_EQ(exporters[0].malformed_total(), 0u);
  EXPECT_EQ(exporters[0].records, expected.size());
}

TEST_P(RoundTrip, DatagramsRespectTheMtu) {
  const auto flows = test_flows(300, 1);
  Encoder encoder({.version = GetParam(), .mtu = 600});
  const auto datagrams = encode_all(encoder, flows, test_now_ms);
  EXPECT_GE(datagrams.size(), 5u) << "300 flows do not fit in a few datagrams of 600 bytes";
  for (const auto& d : datagrams) EXPECT_LE(d.size(), 600u);
}

TEST_P(RoundTrip, DomainsAreSeparateStreamsWithoutSequenceErrors) {
  const auto flows = test_flows(200, 3, 3, 1);
  const auto more = test_flows(200, 4, 3, 2);
  // Interleave two domains in runs of 7 so that streams alternate.
  std::vector<FlowRecord> mixed;
  for (std::size_t i = 0; i < flows.size(); i += 7)
    for (const std::vector<FlowRecord>* src : {&flows, &more})
      for (std::size_t j = i; j < std::min(i + 7, src->size()); ++j) mixed.push_back((*src)[j]);
  Encoder encoder({.version = GetParam()});
  Decoder decoder;
  const auto decoded = decode_all(decoder, encode_all(encoder, mixed, test_now_ms));
  EXPECT_EQ(decoded.size(), expected_after(GetParam(), mixed, 0).size());
  const auto exporters = decoder.exporters();
  ASSERT_EQ(exporters.size(), 2u);
  for (const auto& e : exporters) EXPECT_EQ(e.sequence_errors, 0u) << "domain " << e.domain;
}

TEST_P(RoundTrip, GroupedStreamsFillDatagrams) {
  // Three domains, records interleaved one by one.
  std::vector<FlowRecord> mixed;
  for (std::uint32_t domain = 0; domain < 3; ++domain)
    for (const auto& f : test_flows(300, domain, 0, domain)) mixed.push_back(f);
  for (std::size_t i = 0; i < mixed.size(); ++i) std::swap(mixed[i], mixed[(i * 7919) % mixed.size()]);
  Encoder interleaved({.version = GetParam()});
  const auto many = encode_all(interleaved, mixed, test_now_ms).size();
  Encoder grouped({.version = GetParam()});
  grouped.group_by_stream(mixed);
  const auto few = encode_all(grouped, mixed, test_now_ms).size();
  EXPECT_LT(few * 4, many);
  std::size_t domain_changes = 0;
  for (std::size_t i = 1; i < mixed.size(); ++i)
    domain_changes += mixed[i].observation_domain != mixed[i - 1].observation_domain;
  EXPECT_EQ(domain_changes, 2u) << "each of the three domains is one run";
  // About as few as the same records in one stream need.
  auto one_stream = mixed;
  for (auto& f : one_stream) f.observation_domain = f.engine_type = f.engine_id = 0;
  Encoder single({.version = GetParam()});
  single.group_by_stream(one_stream);
  EXPECT_LE(few, encode_all(single, one_stream, test_now_ms).size() + 6);
}

TEST_P(RoundTrip, FlowsOfAnotherDayOrOfTheFuture) {
  // A replay of last year, and flows dated a month ahead of the clock: v5/v9
  // send them as if exported when they ended, so every time survives.
  for (const std::int64_t shift : {-400LL * 86'400'000, 30LL * 86'400'000}) {
    auto flows = test_flows(300, 13);
    for (auto& f : flows) {
      f.first_ms = static_cast<std::uint64_t>(static_cast<std::int64_t>(f.first_ms) + shift);
      f.last_ms = static_cast<std::uint64_t>(static_cast<std::int64_t>(f.last_ms) + shift);
    }
    Encoder encoder({.version = GetParam()});
    Decoder decoder;
    const auto decoded = decode_all(decoder, encode_all(encoder, flows, test_now_ms));
    const auto expected = expected_after(GetParam(), flows, 0);
    ASSERT_EQ(decoded.size(), expected.size()) << "shift " << shift;
    for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(decoded[i], expected[i]) << "shift " << shift;
    EXPECT_EQ(decoder.exporters()[0].sequence_errors, 0u);
  }
}

TEST_P(RoundTrip, FlowsLongerThanTheUptimeClockAreSkipped) {
  auto flows = test_flows(10, 14, 0);
  flows[4].first_ms = flows[4].last_ms - 60ULL * 86'400'000;  // 60 days
  Encoder encoder({.version = GetParam()});
  Decoder decoder;
  const auto decoded = decode_all(decoder, encode_all(encoder, flows, test_now_ms));
  const bool uptime_based = GetParam() != Version::ipfix;
  EXPECT_EQ(decoded.size(), uptime_based ? 9u : 10u);
  EXPECT_EQ(encoder.stats().skipped_too_long, uptime_based ? 1u : 0u);
}

INSTANTIATE_TEST_SUITE_P(Versions, RoundTrip, ::testing::Values(Version::v5, Version::v9, Version::ipfix),
                         [](const auto& info) { return std::string(version_name(info.param)); });

TEST(V5Encoder, ThirtyRecordsAtMostAndIpv6Skipped) {
  const auto flows = test_flows(100, 5);  // every third is IPv6
  Encoder encoder({.version = Version::v5, .mtu = 1500});
  const auto datagrams = encode_all(encoder, flows, test_now_ms);
  std::size_t records = 0;
  for (const auto& d : datagrams) {
    const std::size_t count = load16(d.data() + 2);
    EXPECT_LE(count, 30u);
    EXPECT_EQ(d.size(), 24 + 48 * count);
    records += count;
  }
  EXPECT_EQ(records, 67u);
  EXPECT_EQ(encoder.stats().skipped_ipv6, 33u);
  ASSERT_EQ(datagrams.size(), 3u) << "IPv6 records in between do not split datagrams";
  EXPECT_EQ(load16(datagrams[0].data() + 2), 30u);
}

TEST(V5Encoder, HeaderClockAndFlowSequence) {
  auto flows = test_flows(90, 6, 0);
  Encoder encoder({.version = Version::v5, .mtu = 1500});
  const auto datagrams = encode_all(encoder, flows, test_now_ms);
  ASSERT_EQ(datagrams.size(), 3u);
  std::uint32_t expected_sequence = 0;
  for (const auto& d : datagrams) {
    EXPECT_EQ(load32(d.data() + 8), test_now_ms / 1000);
    EXPECT_EQ(load32(d.data() + 12), test_now_ms % 1000 * 1'000'000);
    EXPECT_EQ(load32(d.data() + 16), expected_sequence) << "v5 counts flows";
    expected_sequence += load16(d.data() + 2);
    // boot + uptime = now, and the first flow starts after boot.
    const std::uint32_t uptime = load32(d.data() + 4);
    EXPECT_GT(uptime, 0u);
    EXPECT_LE(load32(d.data() + 24 + 28), uptime) << "flows end before the export";
  }
}

TEST(V5Encoder, SamplingIntervalInTheHeader) {
  auto flows = test_flows(10, 7, 0);
  for (auto& f : flows) f.sampling_interval = 100;
  Encoder encoder({.version = Version::v5});
  const auto datagrams = encode_all(encoder, flows, test_now_ms);
  ASSERT_EQ(datagrams.size(), 1u);
  EXPECT_EQ(load16(datagrams[0].data() + 22), 0x4000 | 100);
  Decoder decoder;
  for (const auto& f : decode_all(decoder, datagrams)) EXPECT_EQ(f.sampling_interval, 100u);
}

TEST(V9Encoder, SequenceCountsDatagramsAndTemplatesComeFirst) {
  const auto flows = test_flows(400, 8);
  Encoder encoder({.version = Version::v9, .template_refresh_datagrams = 5});
  const auto datagrams = encode_all(encoder, flows, test_now_ms);
  ASSERT_GT(datagrams.size(), 10u);
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    const auto& d = datagrams[i];
    EXPECT_EQ(load16(d.data()), 9);
    EXPECT_EQ(load32(d.data() + 12), i) << "v9 counts datagrams";
    EXPECT_EQ(load32(d.data() + 16), 7u);
    const bool has_templates = load16(d.data() + 20) == 0;
    EXPECT_EQ(has_templates, i % 5 == 0) << "datagram " << i;
  }
  EXPECT_EQ(encoder.stats().template_sends, (datagrams.size() + 4) / 5);
}

TEST(V9Encoder, TemplatesRefreshedAfterTime) {
  const auto flows = test_flows(20, 9);
  Encoder encoder({.version = Version::v9, .template_refresh_datagrams = 1000, .template_refresh_ms = 10'000});
  Bytes buffer(1400);
  const auto starts_with_templates = [&](std::uint64_t now) {
    encoder.encode(flows, now, buffer);
    return load16(buffer.data() + 20) == 0;
  };
  EXPECT_TRUE(starts_with_templates(test_now_ms));
  EXPECT_FALSE(starts_with_templates(test_now_ms + 9'999));
  EXPECT_TRUE(starts_with_templates(test_now_ms + 10'000));
}

TEST(IpfixEncoder, SequenceCountsDataRecordsAndLengthIsTheDatagram) {
  const auto flows = test_flows(300, 10);
  Encoder encoder({.version = Version::ipfix});
  Decoder decoder;
  std::uint32_t expected_sequence = 0;
  for (const auto& d : encode_all(encoder, flows, test_now_ms)) {
    EXPECT_EQ(load16(d.data() + 2), d.size());
    EXPECT_EQ(load32(d.data() + 4), test_now_ms / 1000);
    EXPECT_EQ(load32(d.data() + 8), expected_sequence);
    std::vector<FlowRecord> out;
    decoder.decode(test_exporter, d, 0, out);
    expected_sequence += static_cast<std::uint32_t>(out.size());
  }
  EXPECT_EQ(expected_sequence, 300u);
}

TEST(Encoder, RejectsAnMtuTooSmallForTemplates) {
  EXPECT_THROW(Encoder({.version = Version::ipfix, .mtu = 100}), std::invalid_argument);
}

}  // namespace
}  // namespace sluice::netflow::test
