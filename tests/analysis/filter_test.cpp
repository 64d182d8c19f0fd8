// The filter language on hand-made records: every primitive, qualifier and
// comparator, nfdump's number suffixes and quirks, and errors that point at
// the right column. filter_nfdump_test.cpp checks the same language against
// the real nfdump on real files.
#include "sluice/flowfilter/filter.h"

#include <sluice/texts.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sluice;
using sluice::flowfilter::Filter;
using sluice::flowfilter::SyntaxError;

namespace {

IpAddress v6(std::initializer_list<std::uint8_t> prefix, std::uint8_t last) {
  std::uint8_t bytes[16] = {};
  std::size_t i = 0;
  for (auto b : prefix) bytes[i++] = b;
  bytes[15] = last;
  return IpAddress::v6(bytes);
}

// 10.1.2.3:40000 -> 192.0.2.10:443 TCP, 10 packets, 5000 bytes over 2 s.
FlowRecord web_flow() {
  FlowRecord f;
  f.first_ms = 1'700'000'000'000;
  f.last_ms = f.first_ms + 2000;
  f.src_addr = IpAddress::v4(0x0a010203);
  f.dst_addr = IpAddress::v4(0xc000020a);
  f.src_port = 40000;
  f.dst_port = 443;
  f.proto = 6;
  f.tcp_flags = 0x1b;  // ACK PSH SYN FIN
  f.packets = 10;
  f.bytes = 5000;
  f.reverse_packets = 8;
  f.reverse_bytes = 900;
  f.tos = 32;
  f.dst_tos = 4;
  f.in_if = 3;
  f.out_if = 7;
  f.src_as = 64500;
  f.dst_as = 15169;
  f.src_mask = 24;
  f.dst_mask = 16;
  f.next_hop = IpAddress::v4(0xac100001);
  f.exporter = IpAddress::v4(0x7f000001);
  f.engine_type = 1;
  f.engine_id = 5;
  f.direction = 1;
  return f;
}

FlowRecord icmp6_flow() {
  FlowRecord f = web_flow();
  f.src_addr = v6({0x20, 0x01, 0x0d, 0xb8}, 1);
  f.dst_addr = v6({0x20, 0x01, 0x0d, 0xb8, 0, 1}, 0x10);
  f.next_hop = v6({0xfe, 0x80}, 1);
  f.proto = 58;
  f.src_port = 0;
  f.dst_port = 128 << 8 | 3;  // type 128, code 3
  f.tcp_flags = 0;
  return f;
}

bool keeps(std::string_view expression, const FlowRecord& flow) { return Filter(expression).matches(flow); }

// Every expression in `matching` keeps `flow`; every one in `failing` drops it.
void expect_split(const FlowRecord& flow, std::initializer_list<const char*> matching,
                  std::initializer_list<const char*> failing) {
  for (const char* e : matching) EXPECT_TRUE(keeps(e, flow)) << e;
  for (const char* e : failing) EXPECT_FALSE(keeps(e, flow)) << e;
}

}  // namespace

TEST(FilterPrimitives, Protocol) {
  expect_split(web_flow(), {"proto tcp", "proto TCP", "PROTO Tcp", "proto 6", "proto 0x6", "any"},
               {"proto udp", "proto 17", "proto icmp", "not any"});
  expect_split(icmp6_flow(), {"proto icmp6", "proto 58", "ipv6", "inet6"}, {"proto icmp", "ipv4", "inet"});
  expect_split(web_flow(), {"ipv4", "inet"}, {"ipv6"});
}

TEST(FilterPrimitives, Addresses) {
  expect_split(web_flow(),
               {"ip 10.1.2.3", "host 192.0.2.10", "src ip 10.1.2.3", "dst host 192.0.2.10", "src or dst ip 10.1.2.3",
                "dst or src ip 192.0.2.10", "src and dst net 0.0.0.0/0", "net 10.1.2.0/24", "src net 10.1/16",
                "dst net 192.0.2.0/24", "net 10.1.2.0 255.255.255.0", "src net 10.0.0.0 255.0.0.0",
                "ip in [10.9.9.9 10.1.2.3]", "src ip in [10.0.0.0/8]", "dst ip in [1.1.1.1, 192.0.2.10]",
                "next ip 172.16.0.1", "next ip in [172.16.0.0/16]", "router ip 127.0.0.1"},
               {"ip 10.1.2.4", "dst ip 10.1.2.3", "src ip 192.0.2.10", "src and dst ip 10.1.2.3", "net 10.2.0.0/16",
                "dst net 10.0.0.0/8", "ip in [10.1.2.4, 10.1.2.5]", "ip ::ffff:10.1.2.3", "next ip 172.16.0.2",
                "router ip 127.0.0.2", "net 2001:db8::/32"});
  expect_split(
      icmp6_flow(),
      {"ip 2001:db8::1", "src ip 2001:db8::1", "dst ip 2001:db8:1::10", "net 2001:db8::/32", "src net 2001:db8::/127",
       "dst net 2001:db8:1::/64", "net 2001:db8/32", "ip in [2001:db8::/48]", "next ip fe80::1", "net ::/0"},
      {"ip 2001:db8::2", "dst net 2001:db8:2::/64", "net 10.0.0.0/8", "src and dst ip 2001:db8::1"});
}

TEST(FilterPrimitives, PortsAndIcmp) {
  expect_split(web_flow(),
               {"port 443", "dst port 443", "src port 40000", "port < 444", "src port >= 40000", "dst port <= 443",
                "port in [80 443]", "dst port in [80, 443]", "src and dst port > 400", "src or dst port 40000",
                "port 0x1bb", "port > 39999"},
               {"port 80", "src port 443", "dst port 40000", "port > 40000", "port > 40000 and port < 443",
                "src port in [443]", "src and dst port 443", "icmp-type 128"});
  // ICMP type and code live in the destination port, as nfdump reads them.
  expect_split(icmp6_flow(), {"icmp-type 128", "icmp-code 3", "dst port 32771", "port 32771"},
               {"icmp-type 3", "icmp-code 128", "port 443"});
}

TEST(FilterPrimitives, CountersRatesAndDuration) {
  // 10 packets, 5000 bytes, 2000 ms: 5 pps, 20000 bps, 500 bytes a packet.
  expect_split(web_flow(),
               {"packets 10", "in packets 10", "out packets 8", "bytes 5000", "bytes 5k", "bytes > 4k", "bytes < 5001",
                "out bytes 900", "pps 5", "bps 20000", "bps 20k", "bpp 500", "duration 2000", "duration > 1999",
                "duration < 2001", "flows 1", "flows > 0"},
               {"packets 9", "out packets 10", "bytes > 5k", "bytes 5K and bytes 5001", "pps > 5", "bps < 20k",
                "bpp > 500", "duration > 2k", "flows > 1", "flows 2"});
  FlowRecord instant = web_flow();
  instant.last_ms = instant.first_ms;
  expect_split(instant, {"pps 0", "bps 0", "duration 0"}, {"pps > 0"});
  FlowRecord aggregate = web_flow();  // an aggregate of 12 flows
  aggregate.flows = 12;
  aggregate.set_present(Element::flows);
  expect_split(aggregate, {"flows 12", "flows > 11", "flows >= 12"}, {"flows 1", "flows < 12"});
}

// nfdump 1.7.1 filters on a record whose missing extensions are zero: an
// element the flow lacks compares as 0 (checked against nfdump by
// analysis_nfdump_test on softflowd's files, which have no AS numbers).
TEST(FilterPrimitives, AnElementTheFlowLacksComparesAsZero) {
  FlowRecord f = web_flow();
  f.src_as = f.dst_as = 0;
  f.set_absent(Element::src_as);
  f.set_absent(Element::dst_as);
  expect_split(f, {"src as 0 and dst as 0", "as 0"}, {"as > 0"});
}

TEST(FilterPrimitives, Suffixes) {
  // nfdump scales by 1000, not 1024, and reads the letter in either case.
  FlowRecord f = web_flow();
  for (const auto& [bytes, expression] :
       std::vector<std::pair<std::uint64_t, std::string>>{{1'000, "bytes 1k"},
                                                          {1'000, "bytes 1K"},
                                                          {2'000'000, "bytes 2m"},
                                                          {2'000'000, "bytes 2M"},
                                                          {3'000'000'000, "bytes 3G"},
                                                          {4'000'000'000'000, "bytes 4t"},
                                                          {16, "bytes 0x10"}}) {
    f.bytes = bytes;
    EXPECT_TRUE(keeps(expression, f)) << expression;
    f.bytes = bytes + 1;
    EXPECT_FALSE(keeps(expression, f)) << expression;
  }
}

TEST(FilterPrimitives, EveryComparatorSpelling) {
  FlowRecord f = web_flow();  // 10 packets
  struct Case {
    const char* comparator;
    bool at_9, at_10, at_11;  // the result for packets 9, 10, 11
  };
  for (const Case& c : {Case{"", false, true, false}, Case{"=", false, true, false}, Case{"==", false, true, false},
                        Case{"eq", false, true, false}, Case{">", false, false, true}, Case{"gt", false, false, true},
                        Case{"<", true, false, false}, Case{"lt", true, false, false}, Case{">=", false, true, true},
                        Case{"ge", false, true, true}, Case{"<=", true, true, false}, Case{"le", true, true, false}}) {
    for (const auto& [packets, expected] : {std::pair{9, c.at_9}, {10, c.at_10}, {11, c.at_11}}) {
      const std::string e = std::string("packets ") + c.comparator + " 10";
      f.packets = static_cast<std::uint64_t>(packets);
      EXPECT_EQ(keeps(e, f), expected) << e << " with " << packets << " packets";
    }
  }
}

TEST(FilterPrimitives, InterfacesAsTosMaskEngineDirection) {
  expect_split(web_flow(),
               {"if 3",
                "if 7",
                "in if 3",
                "out if 7",
                "as 64500",
                "src as 64500",
                "dst as 15169",
                "as > 64499",
                "src as < 64501",
                "as in [1 15169]",
                "src as in [64500]",
                "tos 32",
                "src tos 32",
                "dst tos 4",
                "tos > 31",
                "src or dst tos 4",
                "mask 24",
                "src mask 24",
                "dst mask 16",
                "engine-type 1",
                "engine-id 5",
                "engine-id > 4",
                "dir 1",
                "flowdir egress",
                "dir egress"},
               {"if 4", "in if 7", "out if 3", "dst as 64500", "as in [1 2]", "tos 4", "src and dst tos 4",
                "dst mask 24", "engine-type 0", "dir 0", "dir ingress"});
}

TEST(FilterPrimitives, TcpFlags) {
  // 0x1b = ACK PSH SYN FIN
  expect_split(web_flow(),
               {"flags S", "flags A", "flags SA", "flags AS", "flags as", "flags FSPA", "flags 0x1b", "flags > 2",
                "not flags R", "not flags RU"},
               {"flags R", "flags SR", "flags X", "flags 2", "not flags S", "not flags SR"});
  // Flags imply TCP, negated or not.
  FlowRecord udp = web_flow();
  udp.proto = 17;
  expect_split(udp, {"not flags S", "not flags 0"}, {"flags S", "flags 0x1b"});
}

TEST(FilterPrimitives, NotInvertsFlagListsAsNfdumpDoes) {
  // nfdump reads "not flags SR" as "none of S and R", not "not both": a flow
  // with SYN and without RST is dropped, and so with an even count of "not".
  FlowRecord f = web_flow();
  EXPECT_FALSE(keeps("not flags SR", f));
  EXPECT_FALSE(keeps("not (proto tcp and flags SR)", f));
  EXPECT_FALSE(keeps("not not flags SR", f));
  EXPECT_TRUE(keeps("not not flags SA", f));
  f.tcp_flags = 0x10;  // ACK only
  EXPECT_TRUE(keeps("not flags SR", f));
}

// The web flow as the enrich transform leaves it, its names in `texts`.
FlowRecord enriched_flow(TextTable& texts) {
  FlowRecord f = web_flow();
  f.src_country = {'D', 'E'};
  f.dst_country = {'I', 'N'};  // "IN" is a keyword of the scanner too
  f.src_as_name = texts.intern("Example Corp");
  f.dst_as_name = texts.intern("Google LLC");
  f.src_city = texts.intern("Frankfurt am Main");
  f.src_region = texts.intern("Hesse");
  f.src_net_name = texts.intern("office");
  f.src_net_role = texts.intern("users");
  f.src_net_site = texts.intern("fra1");
  f.src_net_region = texts.intern("europe");
  f.src_net_tenant = texts.intern("acme");
  f.dst_net_name = texts.intern("internet");
  f.exporter_name = texts.intern("edge1.fra");
  f.in_if_name = texts.intern("xe-0/0/1");
  f.in_if_description = texts.intern("transit: Cogent");
  f.in_if_connectivity = texts.intern("transit");
  f.in_if_speed = 10'000;
  f.in_if_boundary = Boundary::external;
  f.out_if_name = texts.intern("ge-1/0/0");
  f.out_if_speed = 1'000;
  f.out_if_boundary = Boundary::internal;
  return f;
}

TEST(FilterEnrichment, NamesCountriesSpeedsAndBoundaries) {
  InternedTexts texts;
  const FlowRecord f = enriched_flow(texts);
  const auto split = [&](std::initializer_list<const char*> matching, std::initializer_list<const char*> failing) {
    for (const char* e : matching) EXPECT_TRUE(Filter(e, &texts).matches(f)) << e;
    for (const char* e : failing) EXPECT_FALSE(Filter(e, &texts).matches(f)) << e;
  };
  split({"src country DE",
         "src country de",
         "dst country IN",
         "country IN",
         "src or dst country in",
         "dst country \"in\"",
         "src geo DE",
         "not src country FR",
         "src as name \"Example Corp\"",
         "as name 'Google LLC'",
         "dst as name \"Google LLC\"",
         "src city \"Frankfurt am Main\"",
         "region Hesse",
         "src net name office",
         "net name internet",
         "src net role users",
         "src net site fra1",
         "src net region europe",
         "src net tenant acme",
         "dst city \"\"",
         "exporter name edge1.fra",
         "in if name \"xe-0/0/1\"",
         "if name 'ge-1/0/0'",
         "out if name \"ge-1/0/0\"",
         "in if description \"transit: Cogent\"",
         "in if connectivity transit",
         "in if speed 10000",
         "in if speed >= 10k",
         "out if speed < 10k",
         "if speed 1000",
         "in if boundary external",
         "out if boundary INTERNAL",
         "if boundary internal",
         "src country DE and in if name \"xe-0/0/1\" and proto tcp and dst port 443",
         "src net name office and not dst net name office"},
        {"src country IN",
         "dst country DE",
         "country FR",
         "src and dst country DE",
         "src as name \"Example\"",
         "src as name \"example corp\"",
         "dst as name \"Example Corp\"",
         "dst city \"Frankfurt am Main\"",
         "dst net name office",
         "net name lab",
         "src net role servers",
         "exporter name edge2",
         "in if name \"ge-1/0/0\"",
         "out if name \"xe-0/0/1\"",
         "if name xe-0",
         "out if description \"transit: Cogent\"",
         "out if connectivity transit",
         "in if speed 1000",
         "in if speed > 10000",
         "if speed 40000",
         "in if boundary internal",
         "out if boundary external",
         "dst net region \"europe\""});
  // A name nobody has interned compares as a new id: nothing carries it.
  EXPECT_FALSE(Filter("in if name \"never seen\"", &texts).matches(f));
  // nfdump's words mean what they meant.
  EXPECT_TRUE(Filter("in if 3 and src as 64500 and src net 10.1.2.0/24", &texts).matches(f));
}

TEST(FilterEnrichment, AFlowWithoutEnrichmentMatchesNoNameButTheEmptyOne) {
  InternedTexts texts;
  const FlowRecord f = web_flow();
  for (const char* e : {"src country DE", "src as name x", "in if name \"xe-0/0/1\"", "exporter name edge1",
                        "in if boundary external", "in if speed > 0"})
    EXPECT_FALSE(Filter(e, &texts).matches(f)) << e;
  for (const char* e : {"in if name \"\"", "exporter name ''", "in if speed 0", "not in if boundary external"})
    EXPECT_TRUE(Filter(e, &texts).matches(f)) << e;
}

TEST(FilterEnrichment, ErrorsPointAtTheOperand) {
  InternedTexts texts;
  const std::pair<const char*, std::pair<std::size_t, const char*>> bad[] = {
      {"src country DEU", {13, "two-letter country code"}},
      {"src country 12", {13, "two-letter country code"}},
      {"country", {8, "two-letter country code"}},
      {"in if name", {11, "expected a name after \"if name\""}},
      {"in if name xe-0/0/1", {16, "expected \"and\", \"or\" or the end"}},
      {"in if name \"xe-0/0/1", {12, "no closing \""}},
      {"in if name 'xe-0/0/1", {12, "no closing '"}},
      {"in if boundary outside", {16, "\"external\" or \"internal\""}},
      {"in if speed fast", {13, "expected a number after \"if speed\""}},
      {"exporter edge1", {10, "expected \"name\" after \"exporter\""}},
      {"src exporter name x", {1, "\"src\" does not apply to \"exporter\""}},
      {"in country DE", {1, "\"in\" does not apply to \"country\""}},
      {"src if name x", {1, "does not apply"}},
      {"net name (", {10, "expected a name"}},
  };
  for (const auto& [expression, expected] : bad) {
    try {
      Filter filter(expression, &texts);
      ADD_FAILURE() << expression << " compiled";
    } catch (const SyntaxError& e) {
      EXPECT_EQ(e.column(), expected.first) << expression << ": " << e.what();
      EXPECT_THAT(e.reason(), ::testing::HasSubstr(expected.second)) << expression;
    }
  }
  // Without the run's text table, names cannot be compared; countries can.
  EXPECT_THROW(Filter("in if name x"), SyntaxError);
  EXPECT_NO_THROW(Filter("src country DE"));
}

TEST(FilterLogic, PrecedenceAndGrouping) {
  const FlowRecord f = web_flow();
  // "and" binds tighter than "or"; "not" tighter than both.
  EXPECT_TRUE(keeps("proto udp and port 1 or port 443", f));
  EXPECT_FALSE(keeps("proto udp and (port 1 or port 443)", f));
  EXPECT_TRUE(keeps("not proto udp and port 443", f));
  EXPECT_FALSE(keeps("not (proto tcp and port 443)", f));
  EXPECT_TRUE(keeps("proto tcp && port 443 || proto udp", f));
  EXPECT_TRUE(keeps("!proto udp", f));
  EXPECT_TRUE(keeps("((proto tcp))", f));
  EXPECT_TRUE(keeps("proto tcp # a comment\nand port 443", f));
  EXPECT_TRUE(keeps("not not proto tcp", f));
  EXPECT_FALSE(keeps("proto tcp and port 443 and bytes > 5k", f));
  EXPECT_TRUE(keeps("proto udp or proto icmp or proto tcp", f));
}

TEST(FilterLogic, EvaluatesBatchesOfAnySizeRecordByRecord) {
  std::vector<FlowRecord> flows;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    FlowRecord f = web_flow();
    f.packets = i;
    f.proto = i % 3 == 0 ? 17 : 6;
    flows.push_back(f);
  }
  const Filter filter("proto tcp and (packets < 100 or packets > 900) and not packets 50");
  std::vector<FlowRecord> kept;
  const std::size_t appended = filter.select(flows, kept);
  EXPECT_EQ(appended, kept.size());
  std::size_t expected = 0;
  for (const auto& f : flows) {
    const bool keep = f.proto == 6 && (f.packets < 100 || f.packets > 900) && f.packets != 50;
    expected += keep;
    EXPECT_EQ(filter.matches(f), keep) << f.packets;
  }
  EXPECT_EQ(kept.size(), expected);
  std::vector<std::uint8_t> marks(flows.size());
  filter.evaluate(flows, marks.data());
  for (std::size_t i = 0; i < flows.size(); ++i) EXPECT_EQ(marks[i] != 0, filter.matches(flows[i])) << i;
}

struct BadExpression {
  const char* expression;
  std::size_t column;
  const char* message;  // a part of the reason
};

class FilterErrors : public ::testing::TestWithParam<BadExpression> {};

TEST_P(FilterErrors, PointAtTheColumnWhereTheExpressionGoesWrong) {
  const BadExpression& bad = GetParam();
  try {
    Filter filter(bad.expression);
    FAIL() << "\"" << bad.expression << "\" compiled";
  } catch (const SyntaxError& e) {
    EXPECT_EQ(e.column(), bad.column) << bad.expression << ": " << e.what();
    EXPECT_EQ(e.line(), 1u);
    EXPECT_THAT(e.reason(), ::testing::HasSubstr(bad.message)) << bad.expression;
    EXPECT_EQ(std::string(e.what()), "column " + std::to_string(bad.column) + ": " + e.reason());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Filter, FilterErrors,
    ::testing::Values(
        BadExpression{"", 1, "empty"}, BadExpression{"proto tcp and", 14, "expected a filter primitive"},
        BadExpression{"proto tcp port 80", 11, "expected \"and\", \"or\" or the end"},
        BadExpression{"proto tcpx", 7, "unknown protocol \"tcpx\""}, BadExpression{"proto 256", 7, "out of range"},
        BadExpression{"port 65536", 6, "0 to 65535"}, BadExpression{"port http", 6, "expected a number after \"port\""},
        BadExpression{"port != 80", 6, "expected a number"}, BadExpression{"src port in [80 70000]", 17, "0 to 65535"},
        BadExpression{"ip 10.1", 4, "incomplete IP address"}, BadExpression{"ip 10.1.2.300", 4, "not an IP address"},
        BadExpression{"ip example.com", 4, "does not look up host names"},
        BadExpression{"ip 10", 4, "expected an IP address"}, BadExpression{"net 10.0.0.0/33", 14, "at most 32 bits"},
        BadExpression{"net 10.1/24", 10, "longer than the 16 bits"},
        BadExpression{"net 10/8", 5, "expected an IP address"},
        BadExpression{"net 2001:db8::/64 255.0.0.0", 19, "expected \"and\", \"or\""},
        BadExpression{"net 2001:db8:: ffff::", 16, "IPv4 networks only"},
        BadExpression{"ip in [10.0.0.1", 16, "expected an IP address"},
        BadExpression{"ip in 10.0.0.1", 7, "expected \"[\""},
        BadExpression{"(proto tcp", 11, "expected \")\" to close the \"(\" at column 1"},
        BadExpression{"proto tcp)", 10, "expected \"and\", \"or\""},
        BadExpression{"flags s", 7, "'s' is not a TCP flag"}, BadExpression{"flags SS", 7, "given twice"},
        BadExpression{"flags 64", 7, "0 to 63"}, BadExpression{"flags = S", 9, "expected a number"},
        BadExpression{"src packets 3", 1, "\"src\" does not apply to \"packets\""},
        BadExpression{"in port 3", 1, "\"in\" does not apply to \"port\""},
        BadExpression{"src if 3", 1, "does not apply"},
        BadExpression{"src or port 80", 8, "expected \"dst\" after \"src or\""},
        BadExpression{"proto tcp and vlan 3", 15, "\"vlan\" is not supported"},
        BadExpression{"next as 3", 1, "\"next as\""}, BadExpression{"bytes > 99999999999999999999", 9, "too large"},
        BadExpression{"bytes > 99999999999T", 9, "too large"}, BadExpression{"tos 256", 5, "0 to 255"},
        BadExpression{"as 4294967296", 4, "0 to 4294967295"}, BadExpression{"dir 3", 5, "0 (ingress) or 1 (egress)"},
        BadExpression{"router 1.2.3.4", 8, "expected \"ip\" after \"router\""},
        BadExpression{"proto tcp and @include x", 15, "expected a filter primitive"},
        BadExpression{"'x'", 1, "expected a filter primitive"}));

TEST(FilterErrors, NameTheLineOfAMultiLineExpression) {
  try {
    Filter filter("proto tcp\n  and port 80\n  and bytes >> 3");
    FAIL();
  } catch (const SyntaxError& e) {
    EXPECT_EQ(e.line(), 3u);
    EXPECT_EQ(e.column(), 14u);  // the second '>'
    EXPECT_THAT(e.what(), ::testing::StartsWith("line 3, column 14: expected a number after \"bytes\""));
  }
}

TEST(FilterErrors, RejectExpressionsNestedWithoutEnd) {
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "not (";
  EXPECT_THROW(Filter{deep + "any" + std::string(1000, ')')}, SyntaxError);
}
