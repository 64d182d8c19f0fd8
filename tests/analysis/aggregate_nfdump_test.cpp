// Aggregation against the real nfdump 1.7.1 on the same nfcapd files, with
// one bin for the whole archive: the keys and sums of `nfdump -A KEYS`, and
// the ordered top N of `nfdump -s ELEMENT/ORDER -n N`.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <iterator>
#include <map>
#include <sstream>

#include "nfdump_archive.h"
#include "sluice/aggregation/aggregator.h"
#include "sluice/csv/formatter.h"
#include "sluice/flowfilter/filter.h"
#include "sluice/net/address.h"
#include "sluice/nffile/reader.h"

namespace sluice::test {
namespace {

using aggregation::Aggregate;

std::vector<Aggregate> aggregate(const std::vector<std::string>& key, const std::string& filter, std::size_t top = 0,
                                 aggregation::Order order = aggregation::Order::bytes) {
  const auto& archive = nfdump_archive();
  std::vector<FlowRecord> kept;
  flowfilter::Filter(filter).select(archive.flows, kept);
  aggregation::Settings settings;
  for (const auto& part : key) settings.key.push_back(aggregation::parse_key_part(part));
  settings.top = top;
  settings.order = order;
  aggregation::Aggregator aggregator(settings);
  std::vector<Aggregate> rows;
  aggregator.add(kept, 0, rows);
  aggregator.finish(rows);
  return rows;
}

// A key field as nfdump's `-o fmt:` prints it, and the tag that prints it.
struct Column {
  const char* tag;
  std::string (*text)(const FlowRecord&);
};

const std::map<std::string, Column> columns = {
    {"src_addr", {"%sa", [](const FlowRecord& r) { return net::to_string(r.src_addr); }}},
    {"dst_addr", {"%da", [](const FlowRecord& r) { return net::to_string(r.dst_addr); }}},
    {"src_port", {"%sp", [](const FlowRecord& r) { return std::to_string(r.src_port); }}},
    {"dst_port", {"%dp", [](const FlowRecord& r) { return std::to_string(r.dst_port); }}},
    {"proto", {"%pr", [](const FlowRecord& r) { return std::to_string(r.proto); }}},  // a number with -N
    {"src_as", {"%sas", [](const FlowRecord& r) { return std::to_string(r.src_as); }}},
    {"out_if", {"%out", [](const FlowRecord& r) { return std::to_string(r.out_if); }}},
};

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Equal sorted lists, or the first lines only one side has.
::testing::AssertionResult same_lines(const std::vector<std::string>& ours, const std::vector<std::string>& theirs) {
  if (ours == theirs) return ::testing::AssertionSuccess();
  std::vector<std::string> only_ours, only_theirs;
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(only_ours));
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(), std::back_inserter(only_theirs));
  auto failure = ::testing::AssertionFailure()
                 << ours.size() << " lines from sluice, " << theirs.size() << " from nfdump";
  for (std::size_t i = 0; i < std::min<std::size_t>(only_ours.size(), 5); ++i)
    failure << "\n  only sluice " << only_ours[i];
  for (std::size_t i = 0; i < std::min<std::size_t>(only_theirs.size(), 5); ++i)
    failure << "\n  only nfdump " << only_theirs[i];
  return failure;
}

// nfdump prints the destination port of an ICMP flow as type.code, which
// for -A rows it takes from a field the aggregation does not fill ("0.0"
// where the key holds 2048): that column is left out of ICMP rows.
std::string without_icmp_port(const std::vector<std::string>& key, const std::string& line) {
  const auto at = [&](const char* part) { return std::find(key.begin(), key.end(), part) - key.begin(); };
  const auto port = at("dst_port"), proto = at("proto");
  if (proto == static_cast<std::ptrdiff_t>(key.size()) || port == static_cast<std::ptrdiff_t>(key.size())) return line;
  std::vector<std::string> values;
  std::istringstream in(line);
  for (std::string value; std::getline(in, value, ',');) values.push_back(value);
  if (values[proto] != "1" && values[proto] != "58") return line;
  values[port] = "icmp";
  std::string joined;
  for (const auto& v : values) joined += (joined.empty() ? "" : ",") + v;
  return joined;
}

struct AggregationCase {
  std::string nfdump_keys;  // -A
  std::vector<std::string> key;
  std::string filter;
};

TEST(AggregateAgainstNfdump, SumsEveryKeyAsNfdumpDashA) {
  ASSERT_GT(nfdump_archive().flows.size(), 3000u);
  const std::vector<AggregationCase> cases = {
      {"srcip,dstport", {"src_addr", "dst_port"}, "any"},
      {"srcip,dstip,srcport,dstport,proto", {"src_addr", "dst_addr", "src_port", "dst_port", "proto"}, "any"},
      {"srcip4/24,dstport", {"src_addr/24", "dst_port"}, "ipv4"},
      {"dstip6/64,proto", {"dst_addr/64", "proto"}, "ipv6"},
      {"srcas,outif", {"src_as", "out_if"}, "proto tcp"},
  };
  std::vector<std::vector<std::string>> runs;
  for (const auto& c : cases) {
    std::string format = "fmt:";
    for (const auto& part : c.key) format += std::string(columns.at(part.substr(0, part.find('/'))).tag) + ",";
    runs.push_back({"-6", "-N", "-A", c.nfdump_keys, "-o", format + "%fl,%pkt,%byt,%ts,%te", c.filter});
  }
  const auto outputs = nfdump_lines(runs);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    SCOPED_TRACE("nfdump -A " + c.nfdump_keys + " '" + c.filter + "'");
    std::vector<std::string> ours, theirs;
    for (const auto& row : aggregate(c.key, c.filter)) {
      std::string line;
      for (const auto& part : c.key) line += columns.at(part.substr(0, part.find('/'))).text(row.record) + ",";
      line += std::to_string(row.record.flows) + "," + std::to_string(row.record.packets) + "," +
              std::to_string(row.record.bytes) + "," + nfdump_time(row.record.first_ms, true) + "," +
              nfdump_time(row.record.last_ms, true);
      ours.push_back(line);
    }
    for (const auto& line : outputs[i]) theirs.push_back(without_padding(line));
    for (auto* side : {&ours, &theirs})
      for (auto& line : *side) line = without_icmp_port(c.key, line);
    std::sort(ours.begin(), ours.end());
    std::sort(theirs.begin(), theirs.end());
    EXPECT_GT(ours.size(), 5u);
    EXPECT_TRUE(same_lines(ours, theirs));
  }
}

// An aggregate sluice wrote into an nfcapd file keeps the number of flows
// each record stands for: nfdump -A counts them, as sluice's CSV of the file
// says them.
TEST(AggregateAgainstNfdump, CountsTheFlowsOfAnAggregateSluiceWrote) {
  const auto file = nfdump_archive().dir / "5-sluice-aggregate";
  std::vector<FlowRecord> flows;
  nffile::Reader reader(file);
  while (reader.read_block(flows)) {
  }
  csv::Buffer text;
  csv::make_default_formatter(
      {.fields = {Field::src_addr, Field::dst_port, Field::flows, Field::packets, Field::bytes}})
      ->rows(flows, text);
  std::vector<std::string> ours = lines_of(text.view());
  const auto outputs =
      nfdump_run({{"-6", "-N", "-q", "-r", file.string(), "-A", "srcip,dstport", "-o", "fmt:%sa,%dp,%fl,%pkt,%byt"}});
  std::vector<std::string> theirs;
  for (const auto& line : outputs.at(0)) theirs.push_back(without_padding(line));
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  EXPECT_GT(ours.size(), 20u);
  EXPECT_LT(ours.size(), 2000u) << "keys that sum several flows";
  EXPECT_TRUE(same_lines(ours, theirs));
}

struct StatCase {
  std::string element;  // -s element/order
  std::vector<std::string> key;
  aggregation::Order order;
  std::size_t top;
  std::string filter = "any";
};

TEST(AggregateAgainstNfdump, RanksTheTopKeysAsNfdumpDashS) {
  const std::vector<StatCase> cases = {
      {"srcip/bytes", {"src_addr"}, aggregation::Order::bytes, 10},
      // nfdump holds IPv4 as ::a.b.c.d, so its -s counts "::" and 0.0.0.0
      // as one address; sluice keeps the families apart. The aggregate's
      // records have both (IPv6 and IPv4 flows keyed without destination):
      // ranked over IPv4 flows, the answers agree.
      {"dstip/packets", {"dst_addr"}, aggregation::Order::packets, 10, "ipv4"},
      {"dstport/flows", {"dst_port"}, aggregation::Order::flows, 5},
  };
  std::vector<std::vector<std::string>> runs;
  runs.reserve(cases.size());
  for (const auto& c : cases) runs.push_back({"-s", c.element, "-n", std::to_string(c.top), "-o", "csv", c.filter});
  const auto outputs = nfdump_lines(runs);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    SCOPED_TRACE("nfdump -s " + c.element + " -n " + std::to_string(c.top));
    // csv: ts,te,td,pr,val,fl,flP,pkt,pktP,byt,bytP,pps,bps,bpp; a header first, an empty line last
    ASSERT_EQ(outputs[i].size(), c.top + 2);
    std::vector<std::string> theirs;
    for (std::size_t line = 1; line <= c.top; ++line) {
      std::vector<std::string> v;
      std::istringstream in(outputs[i][line]);
      for (std::string value; std::getline(in, value, ',');) v.push_back(value);
      ASSERT_GE(v.size(), 10u) << outputs[i][line];
      theirs.push_back(v[0] + "," + v[1] + "," + v[2] + "," + v[4] + "," + v[5] + "," + v[7] + "," + v[9]);
    }
    std::vector<std::string> ours;
    for (const auto& row : aggregate(c.key, c.filter, c.top, c.order)) {
      const auto& r = row.record;
      const std::string value = columns.at(c.key.front()).text(r);
      char duration[32];
      std::snprintf(duration, sizeof duration, "%.3f", static_cast<double>(r.last_ms - r.first_ms) / 1000.0);
      ours.push_back(nfdump_time(r.first_ms, false) + "," + nfdump_time(r.last_ms, false) + "," + duration + "," +
                     value + "," + std::to_string(r.flows) + "," + std::to_string(r.packets) + "," +
                     std::to_string(r.bytes));
    }
    EXPECT_EQ(ours, theirs);
  }
}

}  // namespace
}  // namespace sluice::test
