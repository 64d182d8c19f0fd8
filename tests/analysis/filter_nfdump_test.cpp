// The filter against the real nfdump 1.7.1: on the same nfcapd files, each
// expression selects exactly the rows `nfdump -R FILES 'EXPR' -o csv` prints.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "nfdump_archive.h"
#include "sluice/flowfilter/filter.h"
#include "sluice/net/address.h"

namespace sluice::test {
namespace {

// Every primitive, qualifier and comparator sluice supports, on values the
// archive holds: softflowd's capture (10.1.0.N -> 192.0.2.10 TCP on 80/443,
// 10.2.0.N <-> 198.51.100.53 DNS, 2001:db8::N -> 2001:db8:1::10 TCP and NTP,
// pings) and the generator's (10.0.0.0/8 and 2001:db8::/32 hosts, service
// ports, AS numbers, interfaces, next hops 172.31.N.1).
const std::vector<std::string> fixed_expressions = {
    // protocols and families
    "any",
    "proto tcp",
    "proto udp",
    "proto icmp",
    "proto icmp6",
    "proto 6",
    "proto 17 or proto 1",
    "PROTO UDP",
    "not proto tcp",
    "ipv4",
    "ipv6",
    "inet",
    "inet6 and proto udp",
    // addresses
    "ip 192.0.2.10",
    "host 198.51.100.53",
    "src ip 10.1.0.1",
    "dst ip 192.0.2.10",
    "src or dst ip 2001:db8:1::10",
    "dst or src host 2001:db8::1",
    "src and dst net 10.0.0.0/8",
    "net 10.2.0.0/24",
    "src net 10.0.0.0/8",
    "dst net 192.0.2.0/24",
    "net 2001:db8::/32",
    "src net 2001:db8::/64",
    "dst net 2001:db8:1::/48",
    "net 10.0.0.0 255.255.0.0",
    "src net 10.1.0.0 255.255.255.0",
    "net 10.128/9",
    "src net 2001:db8:8000::/33",
    "ip in [192.0.2.10 198.51.100.53]",
    "src ip in [10.1.0.1, 10.1.0.3, 2001:db8::1]",
    "dst ip in [192.0.2.0/24 2001:db8:1::/64]",
    "ip in [10.0.0.0/9]",
    "not ip in [10.0.0.0/8]",
    "src and dst ip in [10.0.0.0/8]",
    "next ip 172.31.0.1",
    "next ip 0.0.0.0",
    "next ip in [172.31.1.1 172.31.0.1]",
    "router ip 127.0.0.1",
    "router ip 10.255.0.1",
    "ip 10.1.0.1 or ip 10.1.0.2 or ip 10.1.0.3",
    // ports and ICMP
    "port 443",
    "dst port 53",
    "src port 53",
    "port > 1024",
    "port < 1024",
    "dst port >= 40000",
    "src port <= 123",
    "port = 80",
    "port == 80",
    "port eq 443",
    "dst port gt 60000",
    "src port lt 1000",
    "port ge 65000",
    "port le 22",
    "port in [22 53 80 123 443]",
    "src port in [53, 123]",
    "dst port in [443]",
    "src and dst port 123",
    "src or dst port 53",
    "port 0",
    "dst port 2048",
    "icmp-type 8",
    "icmp-type 128",
    "icmp-code 0",
    "icmp-type 3",
    // AS numbers, interfaces, masks, engines, direction
    "as 0",
    "src as > 0",
    "dst as < 65000",
    "src and dst as > 100",
    "as > 4200000000",
    "if 1",
    "in if 5",
    "out if 10",
    "in if 0",
    "out if 48",
    "src mask 24",
    "dst mask 0",
    "mask 16",
    "src or dst mask 64",
    "engine-type 0",
    "engine-id 1",
    "engine-id > 0",
    "engine-type < 2",
    "dir 0",
    "flowdir ingress",
    "dir egress",
    // TCP flags
    "flags S",
    "flags A",
    "flags SA",
    "flags AS",
    "flags F",
    "flags R",
    "flags P",
    "flags U",
    "flags X",
    "flags FSPA",
    "flags RA",
    "not flags S",
    "not flags SR",
    "not flags PF",
    "flags S and not flags AFRPU",
    "flags 2",
    "flags > 16",
    "flags < 0x10",
    "flags >= 0x18",
    "not not flags SA",
    "not (proto tcp and flags R)",
    "not (flags S or flags F)",
    // counters, rates, duration
    "packets 1",
    "packets > 10",
    "packets < 3",
    "packets >= 100",
    "in packets <= 2",
    "out packets 0",
    "bytes > 1000",
    "bytes > 1k",
    "bytes > 1M",
    "bytes < 100",
    "bytes >= 1500",
    "in bytes >= 10k",
    "out bytes > 0",
    "bytes > 0x1000",
    "bytes > 1G",
    "flows 1",
    "flows > 1",
    "flows ge 1",
    "flows > 3",
    "not flows 1 and ipv6",
    // elements some files lack (softflowd sends no AS, the aggregate no
    // interfaces): nfdump compares them as 0
    "src as 0 and dst as 0",
    "in if 0 and out if 0",
    "ipv6 and dst as 0",
    "pps > 10",
    "pps < 1",
    "pps >= 1k",
    "bps > 1M",
    "bps > 100k",
    "bps 0",
    "bps <= 1000",
    "bpp > 500",
    "bpp < 100",
    "bpp >= 1000",
    "bpp 60",
    "duration > 1000",
    "duration < 10",
    "duration 0",
    "duration > 10k",
    "duration >= 1M",
    "duration <= 50",
    // ToS
    "tos 0",
    "tos > 0",
    "dst tos 0",
    "src or dst tos 0",
    "src and dst tos 0",
    // logic
    "proto tcp and dst port 443 and bytes > 1k",
    "(proto udp or proto icmp) and not src net 10.0.0.0/8",
    "proto tcp and (port 80 or port 443) and packets > 5",
    "not (ipv6 or proto icmp)",
    "proto tcp && port 443 || proto udp && port 53",
    "! proto tcp",
    "src ip 10.1.0.1 and flags R",
    "proto tcp and not flags A",
    "bytes > 1k and duration < 1000 or pps > 100",
    "PROTO TCP AND DST PORT 443",
    "proto tcp # and this comment",
    "net 10.0.0.0/8 and not net 10.1.0.0/16",
    "proto udp or proto tcp and port 53",
    "(proto udp or proto tcp) and port 53",
    "not proto tcp and not proto udp",
    "not not not ipv4",
};

// Primitives on values picked from generated flows, so that they select a
// few of many rather than none.
std::vector<std::string> expressions_from(const std::vector<FlowRecord>& flows) {
  std::vector<std::string> e;
  for (const std::size_t at : {flows.size() / 3, flows.size() / 2, flows.size() - 7}) {
    const FlowRecord& f = flows.at(at);
    const std::string src = net::to_string(f.src_addr), dst = net::to_string(f.dst_addr);
    const bool v4 = f.src_addr.is_v4();
    e.push_back("src ip " + src);
    e.push_back("dst host " + dst);
    e.push_back("ip " + src + " and dst port " + std::to_string(f.dst_port));
    e.push_back("src net " + src + (v4 ? "/24" : "/64"));
    e.push_back("dst net " + dst + (v4 ? "/16" : "/40"));
    e.push_back(std::string("ip in [").append(src).append(" ").append(dst).append("]"));
    e.push_back("src as " + std::to_string(f.src_as));
    e.push_back("as in [" + std::to_string(f.src_as) + ", " + std::to_string(f.dst_as) + "]");
    e.push_back("in if " + std::to_string(f.in_if) + " and out if " + std::to_string(f.out_if));
    e.push_back("bytes " + std::to_string(f.bytes));
    e.push_back("bytes >= " + std::to_string(f.bytes) + " and packets <= " + std::to_string(f.packets));
    if (!f.next_hop.is_unspecified()) e.push_back("next ip " + net::to_string(f.next_hop));
  }
  return e;
}

::testing::AssertionResult same_rows(const std::vector<std::string>& ours, const std::vector<std::string>& theirs) {
  for (std::size_t i = 0; i < std::min(ours.size(), theirs.size()); ++i)
    if (ours[i] != theirs[i])
      return ::testing::AssertionFailure()
             << "row " << i << " differs:\n  sluice " << ours[i] << "\n  nfdump " << theirs[i];
  if (ours.size() != theirs.size())
    return ::testing::AssertionFailure() << "sluice keeps " << ours.size() << " rows, nfdump " << theirs.size()
                                         << ";\n  first extra: "
                                         << (ours.size() > theirs.size() ? ours[theirs.size()] : theirs[ours.size()]);
  return ::testing::AssertionSuccess();
}

TEST(FilterAgainstNfdump, KeepsTheRowsNfdumpKeeps) {
  const NfdumpArchive& archive = nfdump_archive();
  ASSERT_GT(archive.flows.size(), 3000u);
  std::vector<std::string> expressions = fixed_expressions;
  for (auto& e : expressions_from(archive.flows))
    if (std::find(expressions.begin(), expressions.end(), e) == expressions.end()) expressions.push_back(std::move(e));
  ASSERT_GE(expressions.size(), 100u);

  std::vector<std::vector<std::string>> runs;
  runs.reserve(expressions.size());
  for (const auto& expression : expressions) runs.push_back({"-o", "csv", expression});
  const auto outputs = nfdump_lines(runs);

  std::size_t partial = 0;  // expressions that keep some rows but not all
  std::vector<std::uint8_t> marks(archive.flows.size());
  for (std::size_t e = 0; e < expressions.size(); ++e) {
    const std::string& expression = expressions[e];
    const flowfilter::Filter filter(expression);
    filter.evaluate(archive.flows, marks.data());
    std::vector<std::string> ours;
    for (std::size_t i = 0; i < marks.size(); ++i)
      if (marks[i]) ours.push_back(archive.rows[i]);
    const std::vector<std::string>& theirs = outputs[e];
    EXPECT_TRUE(same_rows(ours, theirs)) << "for '" << expression << "'";
    partial += !ours.empty() && ours.size() < archive.flows.size();
  }
  // Expressions that keep nothing or everything would prove little.
  EXPECT_GT(partial, expressions.size() * 8 / 10);
}

}  // namespace
}  // namespace sluice::test
