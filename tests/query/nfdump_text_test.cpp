// nfdump_text's pieces where the archives of tests/query do not reach:
// numbers in the giga and tera range, days in durations, long IPv6.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "sluice/csv/buffer.h"
#include "sluice/nfdump_text/formatters.h"
#include "sluice/nfdump_text/text.h"

namespace sluice::nfdump_text {
namespace {

IpAddress ipv6(const std::string& text) {
  IpAddress a;
  EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), a.bytes.data()), 1) << text;
  return a;
}

TEST(NfdumpText, ScalesNumbersAsNfdumpPrintsThem) {
  EXPECT_EQ(number(999'999, true, false), "999999");
  EXPECT_EQ(number(42, true, false), "  42");
  EXPECT_EQ(number(1'849'999, true, false), "  1.8 M");
  EXPECT_EQ(number(1'850'001, false, false), "1.9 M");
  EXPECT_EQ(number(2'000'000'000, true, false), "  2.0 G");
  EXPECT_EQ(number(3'140'000'000'000, false, false), "3.1 T");
  EXPECT_EQ(number(3'140'000'000'000, true, true), "3140000000000");
}

TEST(NfdumpText, PrintsDurationsWithDaysFromADayOn) {
  EXPECT_EQ(duration(0.05), "    00:00:00.050");
  EXPECT_EQ(duration(3723.25), "    01:02:03.250");
  EXPECT_EQ(duration(2 * 86400 + 61.5), " 2d 00:01:01.500");
  // A flow ending before it starts: nfdump's fields as its x86 build prints them.
  EXPECT_EQ(duration_of(1000, 999), 18446744073709551.615);
  EXPECT_EQ(duration(duration_of(1000, 999)), "-2147483648d -2147483648:-2147483648:18446744073709552.000");
}

TEST(NfdumpText, ShortensLongIpv6ToItsEnds) {
  const auto long_v6 = ipv6("2001:620:1000:cafe:20e:35ff:fec0:fed5");
  EXPECT_EQ(address(long_v6, true, false), "2001:62..c0:fed5");
  EXPECT_EQ(address(long_v6, true, true), "2001:620:1000:cafe:20e:35ff:fec0:fed5");
  EXPECT_EQ(address(ipv6("2001:db8::1"), true, false), "2001:db8::1");
  EXPECT_EQ(address(IpAddress::v4(0xc0000201), false, false), "192.0.2.1");
  EXPECT_EQ(address(IpAddress::v4(0xc0000201), true, false), "::ffff:192.0.2.1");
}

// nfdump's raw lines of a flow's masks hold both networks whole: with long
// IPv6 ones the element's lines pass 255 bytes, and must still all print.
TEST(NfdumpText, RawRecordsPrintLongIpv6NetworksWhole) {
  FlowRecord f;
  f.src_addr = ipv6("2001:620:1000:cafe:20e:35ff:fec0:fed5");
  f.dst_addr = ipv6("2001:620:1000:cafe:20e:35ff:fec0:fed7");
  f.src_mask = f.dst_mask = 127;
  f.set_present(Element::src_mask);
  f.set_present(Element::dst_mask);
  f.fwd_status = 42;
  const auto raw = make_raw_formatter(false);
  csv::Buffer out;
  raw->rows(std::span(&f, 1), out);
  const std::string text(out.view());
  EXPECT_NE(text.find("  src mask     =               127 2001:620:1000:cafe:20e:35ff:fec0:fed4/127\n"
                      "  dst mask     =               127 2001:620:1000:cafe:20e:35ff:fec0:fed6/127\n"
                      "  fwd status   =                42\n  dst tos"),
            std::string::npos)
      << text;
}

// Several readers hand an aggregate's keys on in any order: rows of equal
// value print in one order all the same, also where only some are kept.
TEST(NfdumpText, RanksRowsOfEqualValueInOneOrderWhateverOrderTheyCameIn) {
  std::vector<FlowRecord> rows;
  for (std::uint32_t i = 0; i < 40; ++i) {
    FlowRecord r;
    r.src_addr = IpAddress::v4(0x0a000000 + i * 7919 % 40);
    r.packets = 2 + i % 3;  // packets and bytes per ms: three values, each shared by many rows
    r.bytes = 100 * r.packets;
    r.first_ms = 1'800'000'000'000;
    r.last_ms = r.first_ms + r.packets;
    rows.push_back(r);
  }
  for (const Order order : {Order::bps, Order::bpp, Order::tstart})
    for (const std::size_t top : {0u, 7u}) {
      const auto table = [&](std::span<const FlowRecord> in) {
        const auto formatter = make_stat_formatter({.order = order, .top = top});
        csv::Buffer out;
        formatter->rows(in, out);
        formatter->trailer(out);
        return std::string(out.view());
      };
      const std::string forward = table(rows);
      std::vector<FlowRecord> reversed(rows.rbegin(), rows.rend());
      EXPECT_EQ(table(reversed), forward) << to_string(order) << " top " << top;
      EXPECT_NE(forward.find("10.0.0."), std::string::npos) << forward;
    }
}

}  // namespace
}  // namespace sluice::nfdump_text
