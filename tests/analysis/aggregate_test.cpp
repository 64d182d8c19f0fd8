// The aggregation library on hand-made flows: sums per key, prefixes, top N,
// the max_keys bound, and bins on both clocks. filter_nfdump_test.cpp
// compares it with nfdump -A and -s on real files.
#include "sluice/aggregation/aggregator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>

using namespace sluice;
using namespace sluice::aggregation;

namespace {

constexpr std::uint64_t t0 = 1'800'000'000'000;  // a whole minute

FlowRecord flow(std::uint32_t src, std::uint16_t dst_port, std::uint64_t bytes, std::uint64_t first_ms = t0) {
  FlowRecord f;
  f.src_addr = IpAddress::v4(src);
  f.dst_addr = IpAddress::v4(0xc0000201);
  f.src_port = 40000;
  f.dst_port = dst_port;
  f.proto = 6;
  f.packets = bytes / 100 + 1;
  f.bytes = bytes;
  f.first_ms = first_ms;
  f.last_ms = first_ms + 1000;
  f.in_if = 3;
  return f;
}

Settings keyed_by(std::initializer_list<const char*> parts) {
  Settings s;
  for (const char* p : parts) s.key.push_back(parse_key_part(p));
  return s;
}

std::vector<Aggregate> aggregate_all(Settings settings, const std::vector<FlowRecord>& flows,
                                     std::size_t batch = 1000) {
  Aggregator aggregator(std::move(settings));
  std::vector<Aggregate> out;
  for (std::size_t i = 0; i < flows.size(); i += batch)
    aggregator.add(std::span(flows).subspan(i, std::min(batch, flows.size() - i)), t0, out);
  aggregator.finish(out);
  return out;
}

// What a key's row must hold: flows, packets and bytes summed, first and last.
using Sums = std::array<std::uint64_t, 5>;
constexpr Sums no_sums{0, 0, 0, ~std::uint64_t{0}, 0};

void add_flow(Sums& sums, const FlowRecord& f) {
  auto& [flows, packets, bytes, first, last] = sums;
  ++flows;
  packets += f.packets;
  bytes += f.bytes;
  first = std::min(first, f.first_ms);
  last = std::max(last, f.last_ms);
}

Sums sums_of(const Aggregate& a) {
  return {a.record.flows, a.record.packets, a.record.bytes, a.record.first_ms, a.record.last_ms};
}

const Aggregate* find_src(const std::vector<Aggregate>& rows, std::uint32_t src) {
  for (const auto& r : rows)
    if (r.record.src_addr == IpAddress::v4(src)) return &r;
  return nullptr;
}

}  // namespace

TEST(Aggregate, SumsCountersAndSpansTimesPerKey) {
  const std::vector<FlowRecord> flows = {flow(0x0a000001, 443, 1000, t0 + 5000), flow(0x0a000001, 443, 500, t0),
                                         flow(0x0a000001, 80, 200), flow(0x0a000002, 443, 7000, t0 + 100)};
  const auto rows = aggregate_all(keyed_by({"src_addr", "dst_port"}), flows);
  ASSERT_EQ(rows.size(), 3u);
  const auto it = std::find_if(rows.begin(), rows.end(), [](const Aggregate& a) {
    return a.record.src_addr == IpAddress::v4(0x0a000001) && a.record.dst_port == 443;
  });
  ASSERT_NE(it, rows.end());
  EXPECT_EQ(it->record.flows, 2u);
  EXPECT_EQ(it->record.bytes, 1500u);
  EXPECT_EQ(it->record.packets, 11u + 6u);
  EXPECT_EQ(it->record.first_ms, t0);
  EXPECT_EQ(it->record.last_ms, t0 + 6000);
  // Fields outside the key are not kept; the address left out is zero in
  // the family of the key's (an IPv4 record stays one, as in nfdump).
  EXPECT_EQ(it->record.dst_addr, IpAddress::v4(0));
  EXPECT_EQ(it->record.src_port, 0);
  EXPECT_EQ(it->record.proto, 0);
  EXPECT_EQ(it->record.in_if, 0u);
}

// The output says what it has: the key fields and the flow count, nothing of
// what the sums leave out; and aggregates summed again count their flows.
TEST(Aggregate, MarksTheKeyAndTheFlowCountPresentAndCountsTheFlowsOfAggregates) {
  std::vector<FlowRecord> flows = {flow(0x0a000001, 443, 1000), flow(0x0a000001, 443, 500)};
  for (auto& f : flows) f.set_present(Element::in_if);
  const auto once = aggregate_all(keyed_by({"src_addr", "src_as"}), flows);
  ASSERT_EQ(once.size(), 1u);
  const FlowRecord& r = once[0].record;
  EXPECT_EQ(r.flows, 2u);
  EXPECT_TRUE(r.has(Element::flows));
  EXPECT_TRUE(r.has(Element::src_as)) << "a key field is present, even as 0";
  EXPECT_FALSE(r.has(Element::in_if)) << "not a key: not summed, not present";
  EXPECT_EQ(r.in_if, 0u);

  std::vector<FlowRecord> aggregates = {r, r, flow(0x0a000001, 443, 1)};
  const auto twice = aggregate_all(keyed_by({"src_addr"}), aggregates);
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_EQ(twice[0].record.flows, 5u) << "2 + 2 + 1 flows";
}

// either_side: a flow counts under its source's key and its destination's
// (nfdump -s ip, port, if): 10.0.0.1 -> 192.0.2.1 and 192.0.2.1 -> 10.0.0.1
// are two flows under each address; in_if 3 and out_if 3 one key.
TEST(Aggregate, CountsEachFlowUnderEitherSide) {
  FlowRecord reply = other_side(flow(0x0a000001, 443, 500));
  EXPECT_EQ(reply.src_addr, IpAddress::v4(0xc0000201));
  EXPECT_EQ(reply.dst_port, 40000);
  EXPECT_EQ(reply.out_if, 3u);
  std::vector<FlowRecord> flows = {flow(0x0a000001, 443, 1000), reply};
  flows[1].out_if = 0;
  flows[1].in_if = 3;
  Settings by_address = keyed_by({"src_addr"});
  by_address.either_side = true;
  const auto addresses = aggregate_all(by_address, flows);
  ASSERT_EQ(addresses.size(), 2u);
  for (const auto& row : addresses) {
    EXPECT_EQ(row.record.flows, 2u);
    EXPECT_EQ(row.record.bytes, 1500u);
  }
  Settings by_interface = keyed_by({"in_if"});
  by_interface.either_side = true;
  const auto interfaces = aggregate_all(by_interface, flows);
  ASSERT_EQ(interfaces.size(), 2u) << "in_if 3 twice, out_if 0 twice";
  EXPECT_EQ(interfaces[0].record.flows + interfaces[1].record.flows, 4u);
}

// totals: a bin's rows end with its totals over every key, also those top
// leaves out (what nfdump's shares are of).
TEST(Aggregate, EndsEachBinWithItsTotals) {
  const std::vector<FlowRecord> flows = {flow(0x0a000001, 443, 1000, t0 + 5000), flow(0x0a000002, 443, 500, t0),
                                         flow(0x0a000001, 80, 200)};
  Settings settings = keyed_by({"src_addr"});
  settings.top = 1;
  settings.totals = true;
  const auto rows = aggregate_all(settings, flows);
  ASSERT_EQ(rows.size(), 2u) << "the top key, then the totals";
  EXPECT_EQ(rows[0].record.src_addr, IpAddress::v4(0x0a000001));
  EXPECT_EQ(rows[0].record.bytes, 1200u);
  const FlowRecord& totals = rows[1].record;
  EXPECT_EQ(totals.src_addr, IpAddress::v4(0));
  EXPECT_EQ(totals.flows, 3u);
  EXPECT_EQ(totals.bytes, 1700u);
  EXPECT_EQ(totals.packets, 11u + 6u + 3u);
  EXPECT_EQ(totals.first_ms, t0);
  EXPECT_EQ(totals.last_ms, t0 + 6000);
}

// The enrichment's fields as keys: countries by their two letters, names by
// their TextId, boundaries and speeds as numbers.
TEST(Aggregate, KeysByTheEnrichmentsFields) {
  std::vector<FlowRecord> flows;
  const std::pair<std::array<char, 2>, TextId> country_and_interface[] = {
      {{'D', 'E'}, 7}, {{'D', 'E'}, 7}, {{'D', 'E'}, 9}, {{'F', 'R'}, 7}, {{0, 0}, 0}};
  for (const auto& [country, name] : country_and_interface) {
    FlowRecord f = flow(0x0a000001, 443, 100);
    f.src_country = country;
    f.in_if_name = name;
    f.in_if_boundary = name == 7 ? Boundary::external : Boundary::internal;
    f.set_present(Element::in_if_boundary);
    flows.push_back(f);
  }
  const auto rows = aggregate_all(keyed_by({"src_country", "in_if_name", "in_if_boundary"}), flows);
  std::map<std::tuple<std::string, TextId, Boundary>, std::uint64_t> by_key;
  for (const auto& r : rows)
    by_key[{std::string(r.record.src_country.data(), 2), r.record.in_if_name, r.record.in_if_boundary}] +=
        r.record.flows;
  const std::map<std::tuple<std::string, TextId, Boundary>, std::uint64_t> expected = {
      {{"DE", 7, Boundary::external}, 2},
      {{"DE", 9, Boundary::internal}, 1},
      {{"FR", 7, Boundary::external}, 1},
      {{std::string(2, '\0'), 0, Boundary::internal}, 1}};
  EXPECT_EQ(by_key, expected);
  for (const auto& r : rows) EXPECT_TRUE(r.record.has(Element::in_if_boundary));
  EXPECT_EQ(parse_key_part("dst_net_tenant").field, Field::dst_net_tenant);
  EXPECT_EQ(parse_key_part("out_if_speed").field, Field::out_if_speed);
}

TEST(Aggregate, KeysByHowTheFlowsWereExported) {
  std::vector<FlowRecord> flows;
  const std::pair<std::uint8_t, std::uint8_t> version_and_end[] = {{10, 1}, {10, 1}, {10, 2}, {9, 0}, {133, 0}};
  for (const auto& [version, end] : version_and_end) {
    FlowRecord f = flow(0x0a000001, 443, 100);
    f.export_version = version;
    f.end_reason = end;
    f.biflow_direction = 1;
    flows.push_back(f);
  }
  const auto rows = aggregate_all(keyed_by({"export_version", "end_reason"}), flows);
  std::map<std::pair<int, int>, std::uint64_t> by_key;
  for (const auto& r : rows) {
    by_key[{r.record.export_version, r.record.end_reason}] += r.record.flows;
    EXPECT_EQ(r.record.biflow_direction, 0) << "not in the key";
  }
  const std::map<std::pair<int, int>, std::uint64_t> expected = {
      {{10, 1}, 2}, {{10, 2}, 1}, {{9, 0}, 1}, {{133, 0}, 1}};
  EXPECT_EQ(by_key, expected);
  EXPECT_EQ(parse_key_part("biflow_direction").field, Field::biflow_direction);
}

TEST(Aggregate, CutsAddressesToTheirPrefix) {
  std::vector<FlowRecord> flows = {flow(0x0a010203, 1, 100), flow(0x0a0102fe, 1, 100), flow(0x0a010303, 1, 100)};
  const std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x99, 0x99, 0, 0, 0, 0, 0, 0, 0, 2};
  flows.push_back(flows[0]);
  flows.back().src_addr = IpAddress::v6(a);
  flows.push_back(flows[0]);
  flows.back().src_addr = IpAddress::v6(b);

  // One length for both families: /24 of IPv6 too.
  auto rows = aggregate_all(keyed_by({"src_addr/24"}), flows);
  ASSERT_EQ(rows.size(), 3u);
  const Aggregate* net = find_src(rows, 0x0a010200);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->record.flows, 2u);
  const std::uint8_t v6_24[16] = {0x20, 0x01, 0x0d};
  EXPECT_EQ(std::count_if(
                rows.begin(), rows.end(),
                [&](const Aggregate& r) { return r.record.src_addr == IpAddress::v6(v6_24) && r.record.flows == 2; }),
            1);

  // IPv4 /16, IPv6 /48; a length past the family's keeps whole addresses.
  rows = aggregate_all(keyed_by({"src_addr/16/48"}), flows);
  EXPECT_EQ(rows.size(), 2u);
  rows = aggregate_all(keyed_by({"src_addr/64"}), flows);
  EXPECT_EQ(rows.size(), 5u);
}

TEST(Aggregate, KeyPartsAreCheckedAndNamed) {
  EXPECT_EQ(parse_key_part("dst_port").field, Field::dst_port);
  const KeyPart p = parse_key_part("dst_addr/24/64");
  EXPECT_EQ(p.ipv4_bits, 24);
  EXPECT_EQ(p.ipv6_bits, 64);
  EXPECT_EQ(parse_key_part("exporter/120").ipv4_bits, 32);
  for (const auto& [text, message] :
       std::vector<std::pair<const char*, const char*>>{{"source", "\"source\" is not a key field (src_addr, dst_addr"},
                                                        {"bytes", "\"bytes\" is not a key field"},
                                                        {"first", "\"first\" is not a key field"},
                                                        {"dst_port/8", "only addresses take a prefix length"},
                                                        {"src_addr/129", "0 to 128 bits"},
                                                        {"src_addr/", "0 to 128 bits"},
                                                        {"src_addr/x", "0 to 128 bits"},
                                                        {"src_addr/33/64", "an IPv4 prefix is 0 to 32 bits"}}) {
    try {
      parse_key_part(text);
      ADD_FAILURE() << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(message)) << text;
    }
  }
  EXPECT_THROW(Aggregator(Settings{}), std::invalid_argument);
  EXPECT_THROW(Aggregator(keyed_by({"src_addr", "src_addr/24"})), std::invalid_argument);
  Settings no_room = keyed_by({"src_addr"});
  no_room.max_keys = 0;
  EXPECT_THROW(Aggregator{no_room}, std::invalid_argument);
  EXPECT_EQ(parse_order("packets"), Order::packets);
  EXPECT_EQ(parse_order("octets"), std::nullopt);
}

TEST(Aggregate, TopKeepsTheLargestKeysLargestFirst) {
  std::vector<FlowRecord> flows;
  for (std::uint32_t host = 1; host <= 50; ++host) {
    // host h: h flows of (51 - h) * 1000 bytes each
    for (std::uint32_t i = 0; i < host; ++i) flows.push_back(flow(0x0a000000 + host, 443, (51 - host) * 1000));
  }
  auto settings = keyed_by({"src_addr"});
  settings.top = 3;
  settings.order = Order::flows;
  auto rows = aggregate_all(settings, flows);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].record.src_addr, IpAddress::v4(0x0a000032));  // 50 flows
  EXPECT_EQ(rows[1].record.src_addr, IpAddress::v4(0x0a000031));
  EXPECT_EQ(rows[2].record.src_addr, IpAddress::v4(0x0a000030));

  // Bytes: h * (51 - h) * 1000 peaks at h = 25 and 26 (650 kB each), then 24 and 27.
  settings.order = Order::bytes;
  settings.top = 4;
  rows = aggregate_all(settings, flows);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].record.bytes, 650'000u);
  EXPECT_EQ(rows[1].record.bytes, 650'000u);
  EXPECT_LT(rows[0].record.src_addr.v4_value(), rows[1].record.src_addr.v4_value());  // a tie goes by key
  EXPECT_EQ(rows[2].record.bytes, 648'000u);
  EXPECT_EQ(rows[3].record.bytes, 648'000u);

  settings.top = 1000;  // more than there are
  EXPECT_EQ(aggregate_all(settings, flows).size(), 50u);
}

TEST(Aggregate, MaxKeysBoundsTheTableAndCountsWhatDidNotFit) {
  auto settings = keyed_by({"src_addr"});
  settings.max_keys = 100;
  Aggregator aggregator(settings);
  std::vector<FlowRecord> flows;
  for (std::uint32_t host = 0; host < 150; ++host) flows.push_back(flow(0x0a000000 + host, 443, 10));
  flows.push_back(flow(0x0a000000, 443, 10));  // a kept key still adds up
  std::vector<Aggregate> out;
  aggregator.add(flows, t0, out);
  Stats stats = aggregator.stats();
  EXPECT_EQ(stats.keys, 100u);
  EXPECT_EQ(stats.overflow_flows, 50u);
  EXPECT_EQ(stats.overflow_bytes, 500u);
  const std::size_t memory = stats.memory_bytes;
  EXPECT_GT(memory, 0u);
  aggregator.add(flows, t0, out);
  EXPECT_EQ(aggregator.stats().memory_bytes, memory);  // full: no growth
  aggregator.finish(out);
  ASSERT_EQ(out.size(), 100u);
  EXPECT_EQ(find_src(out, 0x0a000000)->record.flows, 4u);
  EXPECT_EQ(aggregator.stats().overflow_flows, 100u);
}

TEST(Aggregate, MatchesAPlainMapWhateverTheBatchSizeAndTableGrowth) {
  std::mt19937 rng(5);
  std::vector<FlowRecord> flows;
  for (int i = 0; i < 50'000; ++i) {
    FlowRecord f = flow(0x0a000000 | (rng() % 20'000), static_cast<std::uint16_t>(rng() % 3), 1 + rng() % 5000,
                        t0 + rng() % 50'000);
    if (rng() % 4 == 0) {
      std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
      v6[15] = static_cast<std::uint8_t>(rng());
      v6[14] = static_cast<std::uint8_t>(rng() % 8);
      f.src_addr = IpAddress::v6(v6);
    }
    flows.push_back(f);
  }
  using Key = std::tuple<std::array<std::uint8_t, 16>, std::uint16_t>;
  std::map<Key, Sums> expected;
  for (const auto& f : flows)
    add_flow(expected.try_emplace(Key{f.src_addr.bytes, f.dst_port}, no_sums).first->second, f);
  for (const std::size_t batch : {1u, 7u, 1024u, 50'000u}) {
    const auto rows = aggregate_all(keyed_by({"src_addr", "dst_port"}), flows, batch);
    ASSERT_EQ(rows.size(), expected.size());
    for (const auto& r : rows) {
      const auto it = expected.find(Key{r.record.src_addr.bytes, r.record.dst_port});
      ASSERT_NE(it, expected.end());
      EXPECT_EQ(sums_of(r), it->second);
    }
  }
}

// Past a few MB the table's entries are mapped pages, which growing moves
// to the larger block (mremap) instead of copying: every key keeps its sums
// through two such growths (200,000 keys: 11 MB of entries), and is found
// again by the flows that come after them.
TEST(Aggregate, KeysKeepTheirSumsAsTheTableGrowsInMappedPages) {
  constexpr std::uint32_t keys = 200'000;
  Aggregator aggregator(keyed_by({"src_addr"}));
  std::vector<FlowRecord> chunk;
  std::vector<Aggregate> before_the_end;  // the one bin closes at finish()
  for (const std::uint64_t pass : {0, 1})
    for (std::uint32_t i = 0; i < keys; ++i) {
      chunk.push_back(flow(0x0a000000 + i, 80, 1000 + i, t0 + pass));
      if (chunk.size() == 4096 || i + 1 == keys) {
        aggregator.add(chunk, t0, before_the_end);
        chunk.clear();
      }
    }
  // Each row checked as the bin yields it, in the order keys came.
  class Check final : public Rows {
   public:
    void row(const Aggregate& a) override {
      const std::uint32_t i = next++;
      if (a.record.src_addr != IpAddress::v4(0x0a000000 + i) ||
          sums_of(a) != Sums{2, 2 * ((1000 + i) / 100 + 1), 2 * (1000 + i), t0, t0 + 1001})
        ++wrong;
    }
    std::uint32_t next = 0, wrong = 0;
  } check;
  aggregator.finish(check);
  EXPECT_TRUE(before_the_end.empty());
  EXPECT_EQ(check.next, keys);
  EXPECT_EQ(check.wrong, 0u);
}

// Keys of 1 to 7 words: the widths the table's hot path is compiled for and
// one it reads at run time.
TEST(Aggregate, MatchesAPlainMapForKeysOfEveryWidth) {
  std::mt19937 rng(9);
  std::vector<FlowRecord> flows;
  for (int i = 0; i < 20'000; ++i) {
    FlowRecord f =
        flow(0x0a000000 | (rng() % 300), static_cast<std::uint16_t>(rng() % 3), 1 + rng() % 5000, t0 + rng() % 50'000);
    f.dst_addr = IpAddress::v4(0xc0000200 | (rng() % 4));
    f.next_hop = IpAddress::v4(0xc0000100 | (rng() % 2));
    f.src_port = static_cast<std::uint16_t>(40000 + rng() % 3);
    f.proto = rng() % 2 ? 6 : 17;
    flows.push_back(f);
  }
  // A flow reduced to the key's fields, as a map key.
  const auto key_of = [](const FlowRecord& f, const std::vector<std::string>& parts) {
    FlowRecord k;
    for (const auto& p : parts) {
      if (p == "src_addr") k.src_addr = f.src_addr;
      if (p == "dst_addr") k.dst_addr = f.dst_addr;
      if (p == "next_hop") k.next_hop = f.next_hop;
      if (p == "src_port") k.src_port = f.src_port;
      if (p == "dst_port") k.dst_port = f.dst_port;
      if (p == "proto") k.proto = f.proto;
    }
    return std::make_tuple(k.src_addr.bytes, k.dst_addr.bytes, k.next_hop.bytes, k.src_port, k.dst_port, k.proto);
  };
  const std::vector<std::vector<std::string>> keys = {
      {"proto"},                                                              // 1 word
      {"src_addr"},                                                           // 2
      {"src_addr", "dst_port"},                                               // 3
      {"src_addr", "dst_addr"},                                               // 4
      {"src_addr", "dst_addr", "src_port", "dst_port", "proto"},              // 5
      {"src_addr", "dst_addr", "next_hop", "src_port", "dst_port", "proto"},  // 7
  };
  for (const auto& parts : keys) {
    SCOPED_TRACE(::testing::PrintToString(parts));
    std::map<decltype(key_of(flows[0], parts)), Sums> expected;
    for (const auto& f : flows) add_flow(expected.try_emplace(key_of(f, parts), no_sums).first->second, f);
    Settings settings;
    for (const auto& p : parts) settings.key.push_back(parse_key_part(p));
    const auto rows = aggregate_all(settings, flows);
    ASSERT_EQ(rows.size(), expected.size());
    for (const auto& r : rows) {
      const auto it = expected.find(key_of(r.record, parts));
      ASSERT_NE(it, expected.end());
      EXPECT_EQ(sums_of(r), it->second);
    }
  }
}

TEST(AggregateBins, CloseOnTheProcessingClockWithOrWithoutFlows) {
  auto settings = keyed_by({"src_addr"});
  settings.interval_ms = 60'000;
  Aggregator aggregator(settings);
  std::vector<Aggregate> out;
  aggregator.tick(t0 + 1000, out);  // nothing open yet
  aggregator.add(std::vector{flow(0x0a000001, 1, 10)}, t0 + 10'000, out);
  aggregator.tick(t0 + 59'999, out);
  EXPECT_TRUE(out.empty());
  aggregator.tick(t0 + 60'000, out);  // the bin ends: out it goes, without another flow
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].record.flows, 1u);
  EXPECT_EQ(aggregator.stats().keys, 0u);

  aggregator.add(std::vector{flow(0x0a000002, 1, 10)}, t0 + 61'000, out);
  // A flow in a later bin closes the earlier one first, even without a tick.
  aggregator.add(std::vector{flow(0x0a000003, 1, 10)}, t0 + 185'000, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].record.src_addr, IpAddress::v4(0x0a000002));
  aggregator.finish(out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].record.src_addr, IpAddress::v4(0x0a000003));
  EXPECT_EQ(aggregator.stats().bins_closed, 3u);
}

TEST(AggregateBins, FollowTheFlowsOwnTimesOnTheEventClock) {
  auto settings = keyed_by({"src_addr"});
  settings.interval_ms = 60'000;
  settings.clock = Clock::event;
  Aggregator aggregator(settings);
  std::vector<Aggregate> out;
  auto at = [](std::uint32_t src, std::uint64_t received) {
    FlowRecord f = flow(src, 1, 10);
    f.received_ms = received;
    return f;
  };
  aggregator.add(std::vector{at(1, t0 + 1000), at(2, t0 + 59'000), at(3, t0 + 60'000), at(4, t0 + 30'000)}, 0, out);
  // Flow 3 opened the second bin and closed the first (1, 2); flow 4 is late: it counts in the open bin.
  ASSERT_EQ(out.size(), 2u);
  aggregator.tick(t0 + 10 * 60'000, out);  // wall time means nothing to the event clock
  EXPECT_EQ(out.size(), 2u);
  aggregator.finish(out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(find_src(std::vector(out.begin() + 2, out.end()), 4)->record.flows, 1u);

  // Without a receive time, the last packet's time files the flow.
  Aggregator by_last(settings);
  std::vector<Aggregate> rows;
  by_last.add(std::vector{flow(1, 1, 10, t0), flow(2, 1, 10, t0 + 60'000)}, 0, rows);
  EXPECT_EQ(rows.size(), 1u);
}

TEST(AggregateBins, ZeroIntervalIsOneBinForTheWholeStream) {
  auto settings = keyed_by({"dst_port"});
  Aggregator aggregator(settings);
  std::vector<Aggregate> out;
  aggregator.add(std::vector{flow(1, 80, 10)}, t0, out);
  aggregator.add(std::vector{flow(2, 80, 10)}, t0 + 86'400'000, out);
  aggregator.tick(t0 + 2 * 86'400'000, out);
  EXPECT_TRUE(out.empty());
  aggregator.finish(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].record.flows, 2u);
  aggregator.finish(out);  // nothing open: nothing more
  EXPECT_EQ(out.size(), 1u);
}
