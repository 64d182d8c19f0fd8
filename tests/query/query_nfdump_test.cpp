// `sluice query ARGS` prints what `nfdump ARGS` prints, with the same exit
// code, for a table of nfdump command lines over real nfcapd files: from
// softflowd (IPv4 and IPv6 TCP, UDP, ICMP) and from sluice's generator
// through netflow_export (IPv4 and IPv6), as NetFlow v9 and IPFIX, read one
// by one (-r) and as a folder (-R); a few over pmacctd's (nfprobe) flows of
// the same capture. TZ=UTC for both.
//
// Differences known and named where they are allowed for:
// - without -q nfdump ends its text layouts with a line of elapsed times,
//   which no two runs share; sluice prints none.
// - with -c nfdump stops reading at the flow that reached the limit, sluice
//   at the end of a batch: behind a filter its count of flows processed is
//   larger.
// - nfdump ranks keys of equal value in its hash table's order: rows of
//   equal value are compared as a set.
// - nfdump's CSV and JSON number exporters (column exid, export_sysid) per
//   file as the file says; sluice's number them as they first appear in its
//   output, so over a folder (-R) of files from different collectors the
//   column differs and is left out (and a filter must let each file's first
//   exporter through first).
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <sstream>

#include "nfdump_archive.h"
#include "peers.h"
#include "process.h"
#include "sflow/peers.h"
#include "sluice/net/address.h"
#include "udp.h"

namespace sluice::test {
namespace {

using Args = std::vector<std::string>;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has(const Args& args, const std::string& word) { return std::find(args.begin(), args.end(), word) != args.end(); }

// The text of the value a row is ranked by, as [offset from the row's end,
// width]: " %8s(%4.1f)" three times then " %8s %8s %5u" in an -s table;
// " %pkt %byt %bps %bpp %fl" ending an -A row, " %pkt %byt %fl" a line,
// " %ibyt %obyt" a line of nfdump's default layout (nsel, no -o).
// tstart is the time the row starts with.
std::string ranked_value(const std::string& row, const std::string& order, const Args& args) {
  using Columns = std::map<std::string, std::pair<std::size_t, std::size_t>>;
  static const Columns table = {{"flows", {68, 8}}, {"packets", {53, 8}}, {"bytes", {38, 8}},
                                {"pps", {23, 8}},   {"bps", {14, 8}},     {"bpp", {5, 5}}};
  static const Columns aggregated = {{"flows", {5, 5}}, {"packets", {39, 8}}, {"bytes", {30, 8}}, {"bpp", {12, 6}}};
  static const Columns line = {{"flows", {5, 5}}, {"packets", {23, 8}}, {"bytes", {14, 8}}};
  static const Columns nsel = {{"bytes", {17, 8}}};
  if (order == "tstart") return row.substr(0, 23);
  if (has(args, "csv")) {  // an -s table as CSV: ts,te,td,pr,val,fl,flP,pkt,pktP,byt,bytP,pps,bps,bpp
    static const std::map<std::string, std::size_t> fields = {{"flows", 5}, {"packets", 7}, {"bytes", 9},
                                                              {"pps", 11},  {"bps", 12},    {"bpp", 13}};
    std::istringstream cells(row);
    std::string cell;
    for (std::size_t i = 0; i <= fields.at(order); ++i) std::getline(cells, cell, ',');
    return cell;
  }
  const bool table_row = has(args, "-s") && row.find(" -> ") == std::string::npos;  // not -s record's
  const Columns& columns = table_row ? table : has(args, "-o") ? line : has(args, "-A") ? aggregated : nsel;
  const auto [back, width] = columns.at(order);
  return row.size() < back ? row : row.substr(row.size() - back, width);
}

// The order of each table (-s, in the order given; several orders of one
// -s in nfdump's order of orders) or of -O's lines.
std::vector<std::string> orders_of(const Args& args) {
  std::vector<std::string> orders;
  for (auto a = args.begin(); a != args.end() && a + 1 != args.end(); ++a) {
    if (*a == "-O") orders.push_back(*(a + 1));
    if (*a != "-s") continue;
    const auto slash = (a + 1)->find('/');
    const std::string asked = slash == std::string::npos ? "/flows/" : (a + 1)->substr(slash) + "/";
    for (const std::string order : {"flows", "packets", "bytes", "pps", "bps", "bpp"})
      if (asked.find("/" + order + "/") != std::string::npos) orders.push_back(order);
  }
  return orders;
}

// Whether two rows rank as equals in nfdump. It ranks pps and bps by an
// integer (8000 * bytes / ms) but prints them from a double: rows it ranks
// as equal may print 1999 and 2000, so plain values 1 apart are equals too.
bool rank_equal(const std::string& a, const std::string& b, const std::string& order, const Args& args) {
  const std::string x = ranked_value(a, order, args), y = ranked_value(b, order, args);
  if (x == y) return true;
  if (order != "pps" && order != "bps") return false;
  std::uint64_t i = 0, j = 0;
  std::istringstream xs(x), ys(y);
  std::string rest;
  if (!(xs >> i) || !(ys >> j) || xs >> rest || ys >> rest) return false;  // scaled ("1.8 M"): as printed
  return (i > j ? i - j : j - i) <= 1;
}

// The rows (lines starting with the year) of each table sorted within each
// run of rows ranked as equals: nfdump's order among equals is its hash
// table's.
void sort_ties(std::vector<std::string>& lines, const Args& args) {
  const auto is_row = [](const std::string& l) { return l.starts_with("20"); };
  auto row = lines.begin();
  for (const std::string& order : orders_of(args)) {
    row = std::find_if(row, lines.end(), is_row);
    const auto end = std::find_if_not(row, lines.end(), is_row);
    while (row != end) {
      auto run_end = row + 1;
      while (run_end != end && rank_equal(*(run_end - 1), *run_end, order, args)) ++run_end;
      std::sort(row, run_end);
      row = run_end;
    }
  }
}

// A CSV row with its exporter id (column 47 of 48), JSON's export_sysid
// member or raw's export sysid line, replaced by '#'.
std::string without_exporter_id(std::string row) {
  for (const std::string_view label : {"\t\"export_sysid\" : ", "  export sysid =  "})
    if (row.starts_with(label)) return row.replace(label.size(), std::string::npos, "#");
  if (std::count(row.begin(), row.end(), ',') != 47) return row;  // the header and the summary
  std::size_t start = 0;
  for (int comma = 0; comma < 46; ++comma) start = row.find(',', start) + 1;
  return row.replace(start, row.find(',', start) - start, "#");
}

// "Total flows processed: N, ..." with N as '#'.
std::string without_flows_processed(std::string line) {
  constexpr std::string_view label = "Total flows processed: ";
  if (!line.starts_with(label)) return line;
  return line.replace(label.size(), line.find(',') - label.size(), "#");
}

struct Output {
  int exit_code;
  std::vector<std::string> lines;
};

// Runs `nfdump ARGS` and `sluice query ARGS` for every line, a few pairs at
// once: the next pair starts as soon as the oldest running one ends.
std::vector<std::pair<Output, Output>> run_both(const std::vector<Args>& runs) {
  constexpr std::size_t at_once = 4;
  const testing::ProcessOptions utc{{}, {{"TZ", "UTC"}}};
  using Running = std::pair<std::unique_ptr<testing::Process>, std::unique_ptr<testing::Process>>;
  std::deque<Running> running;
  std::vector<std::pair<Output, Output>> outputs;
  const auto finish_oldest = [&] {
    const auto theirs = running.front().first->wait();
    const auto ours = running.front().second->wait();
    running.pop_front();
    EXPECT_TRUE(ours.err.empty()) << ours.err;
    outputs.push_back({{theirs.exit_code, lines_of(theirs.out)}, {ours.exit_code, lines_of(ours.out)}});
  };
  for (const Args& args : runs) {
    Args nfdump{"nfdump"}, sluice{testing::sluice_exe(), "query"};
    nfdump.insert(nfdump.end(), args.begin(), args.end());
    sluice.insert(sluice.end(), args.begin(), args.end());
    running.emplace_back(std::make_unique<testing::Process>(nfdump, utc),
                         std::make_unique<testing::Process>(sluice, utc));
    if (running.size() == at_once) finish_oldest();
  }
  while (!running.empty()) finish_oldest();
  return outputs;
}

std::string joined(const Args& args) {
  std::string text;
  for (const auto& a : args) text += (text.empty() ? "" : " ") + (a.find(' ') == std::string::npos ? a : "'" + a + "'");
  return text;
}

void expect_same(const std::vector<Args>& runs) {
  const auto outputs = run_both(runs);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    SCOPED_TRACE("nfdump " + joined(runs[i]));
    auto [theirs, ours] = outputs[i];
    EXPECT_EQ(ours.exit_code, theirs.exit_code);
    // nfdump's text layouts end with the elapsed times; -I and -o csv, json, pipe do not.
    const bool text_layout =
        !has(runs[i], "csv") && !has(runs[i], "json") && !has(runs[i], "pipe") && !has(runs[i], "-I");
    if (text_layout && !has(runs[i], "-q")) {
      ASSERT_GE(theirs.lines.size(), 1u);
      EXPECT_TRUE(theirs.lines.back().starts_with("Sys:"));
      theirs.lines.pop_back();  // elapsed times
      if (has(runs[i], "-c"))
        for (auto* side : {&theirs.lines, &ours.lines})
          for (auto& line : *side) line = without_flows_processed(line);
    }
    if (has(runs[i], "-R") && (has(runs[i], "csv") || has(runs[i], "json") || has(runs[i], "raw")))
      for (auto* side : {&theirs.lines, &ours.lines})
        for (auto& line : *side) line = without_exporter_id(line);
    sort_ties(theirs.lines, runs[i]);
    sort_ties(ours.lines, runs[i]);
    EXPECT_GT(theirs.lines.size(), 0u);
    // As text: a difference is shown as a diff of the lines.
    const auto text = [](const std::vector<std::string>& lines) {
      std::string all;
      for (const auto& line : lines) all += line + '\n';
      return all;
    };
    EXPECT_EQ(text(ours.lines), text(theirs.lines));
  }
}

// Each arg set twice: after -R and the folder (every file), and after -r and
// one of the files, taking each file in turn: a file read alone proves what
// the folder cannot (its own Time window and exporter numbers), once a file
// and arg set is enough.
std::vector<Args> over_inputs(const std::vector<Args>& arg_sets) {
  const auto& archive = nfdump_archive();
  constexpr std::array files = {"1-softflowd-v9", "2-softflowd-ipfix", "3-sluice-v9", "4-sluice-ipfix"};
  std::vector<Args> runs;
  for (std::size_t i = 0; i < arg_sets.size(); ++i)
    for (const Args& input :
         {Args{"-R", archive.dir.string()}, Args{"-r", (archive.dir / files[i % files.size()]).string()}}) {
      runs.push_back(input);
      runs.back().insert(runs.back().end(), arg_sets[i].begin(), arg_sets[i].end());
    }
  return runs;
}

// Each layout with and without its header and summary lines, with -N and -c,
// and with whole IPv6 addresses, each under another filter, and with none.
TEST(QueryAgainstNfdump, PrintsFlowsInEveryLayout) {
  std::vector<Args> arg_sets;
  for (const std::string layout : {"line", "long", "extended", "csv",
                                   "fmt:%ts %te %td %pr %sa %da %sp %dp %flg %tos %pkt %byt %bps %pps %bpp %fl"})
    for (const Args& extra :
         {Args{"proto tcp and bytes > 200"}, Args{"-q", "any"}, Args{"-N", "-c", "25", "ipv6 or port 53"},
          Args{"-6", "-q", "ipv6 or proto udp"}, Args{"-c", "7"}}) {
      arg_sets.push_back({"-o", layout});
      arg_sets.back().insert(arg_sets.back().end(), extra.begin(), extra.end());
    }
  expect_same(over_inputs(arg_sets));
}

// Without -o nfdump 1.7.1 prints its NSEL layout (event, translated
// addresses, in and out bytes) of records without NSEL elements; the other
// named layouts, NAME6 (NAME with -6), names in any case, pipe and null;
// with -s, tables. Each over one input, the folder or a file (every file
// has IPv4 and IPv6 flows): a run under ASan costs a second.
TEST(QueryAgainstNfdump, PrintsTheDefaultNselAndTheOtherNamedLayouts) {
  const auto& dir = nfdump_archive().dir;
  const Args folder{"-R", dir.string()};
  const auto file = [&](const char* name) { return Args{"-r", (dir / name).string()}; };
  std::vector<std::pair<Args, Args>> inputs_and_args = {
      {folder, {"proto tcp and bytes > 200"}},
      {file("1-softflowd-v9"), {"-N", "-6", "-c", "25", "ipv6 or port 53"}},
      {folder, {"-q", "-O", "bytes", "-n", "12"}},
      {file("4-sluice-ipfix"), {"-o", "nsel6", "-q", "ipv6"}},
      {file("2-softflowd-ipfix"), {"-o", "nel", "-N", "-c", "30", "proto icmp or proto icmp6 or proto udp"}},
      {file("3-sluice-v9"), {"-o", "biline", "-q", "proto udp"}},
      {folder, {"-o", "BiLong6", "-c", "40"}},
      {folder, {"-o", "pipe", "-c", "100", "ipv6 or proto icmp"}},
      {file("1-softflowd-v9"), {"-o", "pipe", "proto 99"}},
      {folder, {"-o", "null", "ipv6"}},
      {folder, {"-s", "dstport/bytes", "-n", "5", "-o", "nsel"}}};
  std::vector<Args> runs;
  for (const auto& [input, args] : inputs_and_args) {
    runs.push_back(input);
    runs.back().insert(runs.back().end(), args.begin(), args.end());
  }
  expect_same(runs);
}

// Several orders of one -s print a table each in one run: every order of an
// element in one call.
TEST(QueryAgainstNfdump, PrintsStatisticsTables) {
  std::vector<Args> arg_sets;
  for (const std::string element : {"srcip", "dstip", "srcport", "dstport", "proto"}) {
    arg_sets.push_back({"-s", element + "/flows/packets/bytes/bpp", "-n", "0", "-q"});
    // nfdump keys an address by its 128 bits, not its family: the IPv6
    // destination :: of the aggregate's records and 0.0.0.0 are one key
    // there, two in sluice.
    if (element == "dstip") arg_sets.back().push_back("ipv4");
  }
  arg_sets.push_back(
      {"-s", "router/flows", "-s", "inif/bytes", "-s", "outif/packets", "-s", "srcas/bytes", "-n", "0", "-q"});
  arg_sets.push_back({"-s", "dstas/flows", "-s", "tos", "-s", "srcmask/bpp", "-s", "dir", "-n", "0", "-q"});
  // A cut (-n 5) where no two keys tie at the cut.
  arg_sets.push_back({"-s", "srcip/bytes", "-n", "5"});
  arg_sets.push_back({"-s", "dstip/bytes", "-n", "3", "proto tcp"});
  arg_sets.push_back({"-s", "srcip/packets", "-n", "0", "-6", "ipv6"});
  for (const std::string order : {"pps", "bps"}) {
    arg_sets.push_back({"-s", "srcip/" + order, "-n", "0"});
    arg_sets.push_back({"-s", "dstport/" + order, "-n", "0", "-N", "-c", "100", "not proto icmp6"});
  }
  expect_same(over_inputs(arg_sets));
}

// -A without -O prints keys in nfdump's hash table order: every line here
// ranks. Each key is ranked two ways, each order used twice. -O tend is left
// out (rows are compared by their printed values, and no column shows the
// end), and so is -O bps (nfdump 1.7.1 ranks every row of -A as 0 bps:
// nflowcache.c subtracts the end from itself).
TEST(QueryAgainstNfdump, SumsAndRanksFlows) {
  std::vector<Args> arg_sets;
  for (const auto& [key, orders] :
       std::vector<std::pair<std::string, Args>>{{"srcip", {"flows", "tstart"}},
                                                 {"dstip,srcport", {"packets", "bpp"}},
                                                 {"srcip,dstport,proto", {"bytes", "flows"}},
                                                 {"proto,srcport", {"bpp", "tstart"}},
                                                 {"srcip,dstip,srcport,dstport,proto", {"bytes", "packets"}}})
    for (const std::string& order : orders) {
      arg_sets.push_back({"-A", key, "-O", order});
      // nfdump prints an ICMP row's destination port from a field its
      // aggregation leaves 0 (tests/analysis says more).
      if (key.find("dstport") != std::string::npos) arg_sets.back().push_back("not proto icmp and not proto icmp6");
      // One key for :: and 0.0.0.0 in nfdump, as for -s dstip.
      if (key == "dstip,srcport") arg_sets.back().push_back("ipv4");
    }
  for (const auto& [layout, order] : {std::pair{"line", "packets"}, {"line", "tstart"}, {"long", "bytes"}})
    arg_sets.push_back({"-o", layout, "-O", order, "-q", "ipv4"});
  arg_sets.push_back({"-A", "srcip,dstport", "-O", "bytes", "-c", "300", "-N", "-q", "proto udp"});
  // A cut (-n) where no two rows tie at the cut.
  arg_sets.push_back({"-A", "srcip,dstip", "-O", "bytes", "-n", "8", "proto tcp"});
  arg_sets.push_back({"-o", "extended", "-O", "bytes", "-n", "12", "ipv6"});
  expect_same(over_inputs(arg_sets));
}

// -s record: the top flows, summed by 5-tuple (-a) or by -A, as lines
// under a title, before the other tables.
TEST(QueryAgainstNfdump, PrintsTheTopFlows) {
  expect_same(over_inputs(
      {{"-s", "record/bytes", "-n", "5", "-o", "line"},
       {"-s", "record/flows/packets", "-n", "0", "-o", "line", "proto tcp"},
       {"-s", "record/packets", "-s", "srcport/bytes", "-n", "0", "-o", "line"},
       {"-s", "record/bytes", "-A", "srcip,dstport", "-n", "0", "-o", "line", "not proto icmp and not proto icmp6"},
       {"-s", "record/bytes", "-s", "dstip", "-n", "3", "-o", "line", "proto 99"}}));
}

// pmacctd's nfprobe plugin exporting a capture's flows as NetFlow v9 and
// IPFIX to nfcapd: a folder of two files of another exporter than the
// archive's (tests/netflow/interop_exporters_test.cpp runs it so too).
std::filesystem::path pmacctd_archive(const testing::TempDir& work) {
  const auto capture = work / "traffic.pcap";
  const auto made =
      testing::run({"/usr/bin/python3", SLUICE_SOURCE_DIR "/tests/support/make_traffic.py", capture.string()});
  EXPECT_EQ(made.exit_code, 0) << made.err;
  const auto folder = work / "pmacctd";
  std::filesystem::create_directory(folder);
  for (const int version : {9, 10}) {
    netflow::test::Nfcapd nfcapd;
    const auto config =
        work.write("pmacctd.conf", "daemonize: false\npcap_savefile: " + capture.string() +
                                       "\npcap_savefile_wait: false\nplugins: nfprobe\nnfprobe_receiver: 127.0.0.1:" +
                                       std::to_string(nfcapd.port()) + "\nnfprobe_version: " + std::to_string(version) +
                                       "\naggregate: src_host, dst_host, src_port, dst_port, proto, tos, tcpflags\n");
    const auto exported = testing::run({"pmacctd", "-f", config.string()}, {}, std::chrono::seconds(30));
    // pmacctd 1.7.7 may exit 1 at the end of a capture (its plugin ended first); all was sent by then.
    EXPECT_LE(exported.exit_code, 1) << exported.out << exported.err;
    nfcapd.stop();
    const auto files = nfcapd.files();
    EXPECT_EQ(files.size(), 1u) << "nfcapd rotated or wrote nothing";
    if (!files.empty()) std::filesystem::copy_file(files.front(), folder / ("pmacctd-v" + std::to_string(version)));
  }
  return folder;
}

// Flows of pmacctd (IPv4 and IPv6 TCP, UDP, ICMP) through nfcapd, read as
// nfdump reads them: each layout, a table, sums, the top flows.
TEST(QueryAgainstNfdump, ReadsPmacctdsFlowsAsNfdumpDoes) {
  testing::TempDir work;
  const auto folder = pmacctd_archive(work);
  const auto stored = testing::run({"nfdump", "-R", folder.string(), "-I"});
  const auto flows = stored.out.find("\nFlows: ");
  ASSERT_NE(flows, std::string::npos) << stored.out << stored.err;
  // How many depends on the load (pmacctd may end before its plugin sent them all).
  EXPECT_GT(std::stoul(stored.out.substr(flows + 8)), 0u) << "pmacctd's flows of the capture, v9 and IPFIX";
  std::vector<Args> runs;
  for (const Args& args : std::vector<Args>{{"-o", "line"},
                                            {"-o", "extended", "-q"},
                                            {"-o", "csv"},
                                            {"-o", "json", "-q"},
                                            {"-o", "raw", "-q"},
                                            {},
                                            {"-s", "srcip/bytes", "-n", "0"},
                                            {"-A", "srcip,dstip", "-O", "bytes"},
                                            {"-s", "record/packets", "-n", "0", "-o", "line", "not proto icmp"}})
    for (const Args& input : {Args{"-R", folder.string()}, Args{"-r", (folder / "pmacctd-v10").string()}}) {
      runs.push_back(input);
      runs.back().insert(runs.back().end(), args.begin(), args.end());
    }
  expect_same(runs);
}

// -o json: an object per flow with the members of each element the flow
// has, ICMP's type and code, no brackets with -q.
TEST(QueryAgainstNfdump, PrintsJson) {
  auto runs = over_inputs({{"-o", "json", "-q", "proto icmp or proto icmp6"},
                           {"-o", "json", "-c", "40"},
                           {"-o", "json", "ipv6 and proto tcp"},
                           {"-o", "json", "-q", "proto 99"},
                           {"-o", "json", "-N", "-6", "bytes > 100000"}});
  // Flows of no exporter, summed by several flows.
  runs.push_back({"-r", (nfdump_archive().dir / "5-sluice-aggregate").string(), "-o", "json", "-c", "30"});
  expect_same(runs);
}

// -o raw: each record as stored, its header (flags, version, elements,
// size) and every element's values; RecordCount numbers the flows read.
TEST(QueryAgainstNfdump, PrintsRawRecords) {
  auto runs = over_inputs({{"-o", "raw", "-c", "40"}, {"-o", "raw", "-q", "-c", "1500"}});
  // Flows of no exporter, summed by several flows, written by sluice.
  runs.push_back({"-r", (nfdump_archive().dir / "5-sluice-aggregate").string(), "-o", "raw", "-q", "-c", "30"});
  expect_same(runs);
}

// -s ip, port ... count each flow under either side; several -s print
// several tables of one pass, in the order given, the Summary after the last.
TEST(QueryAgainstNfdump, CountsEitherSideAndPrintsSeveralTables) {
  // :: and 0.0.0.0 are one key in nfdump, as for -s dstip.
  std::vector<Args> arg_sets = {{"-s", "ip/bytes", "-n", "0", "-q", "ipv4"}};
  for (const std::string element : {"port/packets", "as", "if/bytes", "mask", "vlan"})
    arg_sets.push_back({"-s", element, "-n", "0", "-q"});
  arg_sets.push_back({"-s", "srcip/bytes", "-s", "dstport", "-s", "proto/packets", "-n", "0"});
  arg_sets.push_back({"-s", "ip", "-s", "port/bytes", "-n", "0", "-q", "ipv4"});
  arg_sets.push_back({"-s", "ip", "-s", "port", "-n", "2", "proto 99"});  // "No matching flows" once
  // As nfdump -o csv prints tables: its header (with -q too), addresses whole.
  arg_sets.push_back({"-s", "srcip/bytes", "-s", "proto", "-n", "0", "-o", "csv", "-q"});
  arg_sets.push_back({"-s", "ip/packets", "-n", "0", "-o", "csv", "-N", "ipv4"});
  arg_sets.push_back({"-s", "proto", "-n", "0", "-o", "csv", "-N"});
  // Several orders of one -s: a table each, in nfdump's order of orders.
  arg_sets.push_back({"-s", "srcip/bytes/flows", "-n", "0", "-q"});
  arg_sets.push_back({"-s", "dstport/bpp/packets", "-s", "proto", "-n", "0"});
  expect_same(over_inputs(arg_sets));
}

// -A with masks (nfdump masks the address's 128 bits: srcip4/16 leaves IPv6
// /112), -a (the 5-tuple), and -A printed as flows.
TEST(QueryAgainstNfdump, SumsByMaskedAddressesAndFiveTuples) {
  expect_same(over_inputs(
      {{"-A", "srcip4/16", "-O", "bytes"},
       {"-A", "srcip6/32,proto", "-O", "packets", "-q"},
       {"-A", "dstip4/24,srcip6/112", "-O", "flows", "-q", "ipv4"},
       {"-a", "-o", "line", "-O", "bytes"},
       {"-A", "srcip,dstport", "-o", "line", "-O", "packets", "-q", "not proto icmp and not proto icmp6"}}));
}

// -R DIR/FIRST:LAST reads the files from FIRST to LAST, -R DIR/FIRST from FIRST on.
TEST(QueryAgainstNfdump, ReadsARangeOfFiles) {
  const auto& dir = nfdump_archive().dir;
  std::vector<Args> runs;
  for (const std::string range : {"2-softflowd-ipfix:4-sluice-ipfix", "3-sluice-v9", "1-softflowd-v9:1-softflowd-v9"})
    for (const Args& args : {Args{"-o", "line", "-c", "3000"}, Args{"-o", "csv", "-q"},
                             Args{"-s", "srcip/bytes", "-n", "5"}, Args{"-A", "proto", "-O", "packets"}, Args{"-I"}}) {
      runs.push_back({"-R", (dir / range).string()});
      runs.back().insert(runs.back().end(), args.begin(), args.end());
    }
  expect_same(runs);
}

// -t FIRST[-LAST]: flows starting at or after FIRST and ending at or before
// LAST, in nfdump's short forms too. The softflowd files lie in 2027, the
// generator's in 2026: windows around one skip a file of the other unread
// with -r (nfdump -r checks a file's statistics first) and read it with -R.
TEST(QueryAgainstNfdump, SelectsATimeWindow) {
  const std::string before_ten = "2026/11/18.09:59:30-2026/11/18.10", open_end = "2026/11/18.09:45",
                    softflowd = "2027/01/07.04:09:28", none = "2026/11/18.09:45:00-2026/11/18.09:46";
  expect_same(over_inputs({{"-o", "line", "-t", before_ten, "any"},
                           {"-o", "line", "-q", "-t", open_end, "proto tcp"},
                           {"-o", "extended", "-t", softflowd, "proto udp"},
                           {"-o", "line", "-t", none},
                           {"-o", "csv", "-q", "-t", softflowd},
                           {"-o", "json", "-q", "-t", before_ten, "proto udp"},
                           {"-s", "srcip/bytes", "-n", "5", "-t", before_ten},
                           {"-A", "proto", "-O", "packets", "-t", open_end}}));
}

// -M /base/DIR1:DIR2 -R FILES reads FILES in each folder, the folders in name order.
TEST(QueryAgainstNfdump, ReadsSeveralFolders) {
  const auto& archive = nfdump_archive();
  testing::TempDir dir;
  for (const auto& [folder, file, as] : {std::tuple{"a", "3-sluice-v9", "x1"},
                                         {"a", "1-softflowd-v9", "x2"},
                                         {"b", "2-softflowd-ipfix", "x1"},
                                         {"b", "4-sluice-ipfix", "x3"}}) {
    std::filesystem::create_directories(dir / folder);
    std::filesystem::copy_file(archive.dir / file, dir / folder / as);
  }
  std::vector<Args> runs;
  for (const std::string folders : {"a:b", "b:a"})
    for (const std::string files : {".", "x1", "x1:x2"})
      runs.push_back({"-M", (dir / folders).string(), "-R", files, "-o", "line", "-c", "5000", "ipv4"});
  runs.push_back({"-M", (dir / "a:b").string(), "-R", ".", "-s", "dstport/packets", "-n", "6"});
  runs.push_back({"-M", (dir / "b:a").string(), "-R", "x1", "-o", "csv", "-q"});
  runs.push_back({"-M", (dir / "b:a").string(), "-R", "x1:x2", "-I"});
  runs.push_back({"-M", (dir / "a:b").string(), "-R", ".", "-o", "json", "-q", "proto icmp"});
  expect_same(runs);
}

// -w FILE writes the selected flows as an nfcapd file: nfdump reads from
// sluice's what it reads from its own.
TEST(QueryAgainstNfdump, WritesTheSelectionForNfdump) {
  const auto& archive = nfdump_archive();
  testing::TempDir dir;
  const Args written_by_nfdump{"-w", (dir / "nfdump.nf").string()},
      written_by_sluice{"-w", (dir / "sluice.nf").string()};
  for (const Args& input : {Args{"-R", archive.dir.string()}, Args{"-r", (archive.dir / "3-sluice-v9").string()},
                            Args{"-r", (archive.dir / "1-softflowd-v9").string(), "-c", "30"}}) {
    Args args = input;
    args.push_back("proto tcp or ipv6");
    SCOPED_TRACE(joined(args));
    Args nfdump{"nfdump"}, sluice{testing::sluice_exe(), "query"};
    nfdump.insert(nfdump.end(), args.begin(), args.end());
    nfdump.insert(nfdump.end(), written_by_nfdump.begin(), written_by_nfdump.end());
    sluice.insert(sluice.end(), args.begin(), args.end());
    sluice.insert(sluice.end(), written_by_sluice.begin(), written_by_sluice.end());
    const auto theirs = testing::run(nfdump), ours = testing::run(sluice);
    ASSERT_EQ(ours.exit_code, theirs.exit_code) << ours.err;
    EXPECT_EQ(ours.out, theirs.out);
    const testing::ProcessOptions utc{{}, {{"TZ", "UTC"}}};
    for (const Args& read : {Args{"-o", "csv", "-q"}, Args{"-I"}}) {
      const auto nfdump_lines = [&](const std::string& file) {
        Args command{"nfdump", "-r", (dir / file).string()};
        command.insert(command.end(), read.begin(), read.end());
        auto lines = lines_of(testing::run(command, utc).out);
        // Exporters numbered across the files of a folder: exid, the known difference.
        for (auto& line : lines) line = without_exporter_id(line);
        return lines;
      };
      const auto expected = nfdump_lines("nfdump.nf");
      EXPECT_GT(expected.size(), 1u);
      EXPECT_EQ(nfdump_lines("sluice.nf"), expected);
    }
  }
}

// -I prints the files' statistics records (their appendices) summed, with
// the first file's ident, and nothing else, whatever else the command says.
TEST(QueryAgainstNfdump, PrintsTheFilesStatistics) {
  const auto& archive = nfdump_archive();
  auto runs = over_inputs({{"-I"}, {"-I", "-s", "srcip", "-o", "line", "proto tcp"}});
  // A file of no flows: nfdump's sum keeps its start values.
  runs.push_back({"-r", archive.geo_db.string(), "-I"});
  runs.push_back({"-R", (archive.dir / "2-softflowd-ipfix:4-sluice-ipfix").string(), "-I"});
  expect_same(runs);
}

TEST(QueryCommandLine, RefusesWhatItDoesNotTakeByName) {
  const auto& archive = nfdump_archive();
  const std::string file = (archive.dir / "1-softflowd-v9").string();
  for (const auto& [args, named] :
       std::vector<std::pair<Args, std::string>>{{{"-r", file, "-a", "-o", "long"}, "-o long with -a"},
                                                 {{"-r", file, "-A", "srcip4"}, "srcip4"},
                                                 {{"-r", file, "-A", "srcip4/33"}, "srcip4/33"},
                                                 {{"-r", file, "-o", "raw", "proto tcp"}, "-o raw with a filter"},
                                                 {{"-r", file, "-o", "raw", "-O", "bytes"}, "-O with -o raw"},
                                                 {{"-r", file, "-o", "json", "-O", "bytes"}, "-O with -o json"},
                                                 {{"-r", file, "-a"}, "-a without -o"},
                                                 {{"-r", file, "-o", "gline"}, "-o gline"},
                                                 {{"-r", file, "-s", "geo/bytes"}, "\"geo\""},
                                                 {{"-r", file, "-s", "record"}, "-s record without -o"},
                                                 {{"-r", file, "-s", "record", "-o", "long"}, "-s record with -o long"},
                                                 {{"-r", file, "-o", "fmt:%ts %sas"}, "%sas"},
                                                 {{"-r", file, "-t", "+3600", "-o", "line"}, "-t +3600"},
                                                 {{"-r", file, "-t", "2026/13", "-o", "line"}, "sources.read.from"},
                                                 {{"-M", "/a:b", "-r", file, "-o", "line"}, "-M with -r"},
                                                 {{"-r", file, "-w", "x.nf", "-s", "srcip"}, "-w with -s"},
                                                 {{"-o", "line"}, "-r FILE"},
                                                 {{"--listen", "127.0.0.1:9", "-r", file, "-o", "line"}, "not both"},
                                                 {{"-r", file, "--for", "10s", "-o", "line"}, "--for needs --listen"},
                                                 {{"--listen", "127.0.0.1:9", "-t", "2026/11"}, "-t with --listen"},
                                                 {{"--listen", "127.0.0.1:9", "--for", "soon"}, "--for takes"},
                                                 {{"--listen", "127.0.0.1:9", "-I"}, "not with --listen"}}) {
    Args command{"query"};
    command.insert(command.end(), args.begin(), args.end());
    SCOPED_TRACE(joined(command));
    const auto run = testing::run_sluice(command);
    // Options sluice does not take: 64; a value a plugin rejects: 78, naming the option.
    EXPECT_EQ(run.exit_code, named == "%sas" || named.starts_with("sources.") ? 78 : 64);
    EXPECT_NE(run.err.find(named), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty());
  }
}

TEST(QueryCommandLine, PointsAtTheColumnOfABadFilter) {
  const std::string file = (nfdump_archive().dir / "1-softflowd-v9").string();
  const auto run = testing::run_sluice({"query", "-r", file, "-o", "line", "proto tcp and port"});
  EXPECT_EQ(run.exit_code, 78);
  EXPECT_NE(run.err.find("transforms.filter.expression"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("column"), std::string::npos) << run.err;
}

TEST(QueryCommandLine, PrintsThePipelineItRunsAndItRunsThatWay) {
  const auto& archive = nfdump_archive();
  testing::TempDir dir;
  const Args query{"query", "-R", archive.dir.string(), "-s", "dstport/bytes", "-n", "4", "-c", "500", "proto udp"};
  Args print = query;
  print.push_back("--pipeline");
  const auto pipeline = testing::run_sluice(print);
  ASSERT_EQ(pipeline.exit_code, 0) << pipeline.err;
  for (const char* part : {"plugin = \"binary_reader\"", "plugin = \"filter\"", "expression = \"proto udp\"",
                           "plugin = \"aggregate\"", "key = [\"dst_port\"]", "limit = 500", "plugin = \"text_writer\"",
                           "stat = \"dst_port\"", "order = \"bytes\"", "top = 4"})
    EXPECT_NE(pipeline.out.find(part), std::string::npos) << part << " in\n" << pipeline.out;
  const auto file = dir.write("query.toml", pipeline.out);
  const auto run = testing::run_sluice({"run", file.string()}, {{}, {{"TZ", "UTC"}}});
  const auto direct = testing::run_sluice(query, {{}, {{"TZ", "UTC"}}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The command adds nfdump's lines about the files read, from the run's counters.
  ASSERT_TRUE(direct.out.starts_with(run.out)) << run.out << "\n---\n" << direct.out;
  EXPECT_TRUE(direct.out.substr(run.out.size()).starts_with("Time window: ")) << direct.out;
  EXPECT_NE(direct.out.find("Top 4 Dst Port ordered by bytes:"), std::string::npos) << direct.out;
}

// Where the output does not depend on the order of the flows (-s, -A with
// -O), -R reads several files at once, one a core, at most one a file; the
// tests above compare those outputs with nfdump's over the folder. Flows
// printed as they come, -c and one file (-r) keep one reader.
TEST(QueryCommandLine, ReadsSeveralFilesAtOnceWhereOrderDoesNotMatter) {
  const auto& dir = nfdump_archive().dir;
  cpu_set_t cores;
  ASSERT_EQ(sched_getaffinity(0, sizeof cores, &cores), 0);
  const auto files = static_cast<int>(std::distance(std::filesystem::directory_iterator(dir), {}));
  const int readers = std::min(CPU_COUNT(&cores), files);
  const std::string folder = dir.string(), file = (dir / "3-sluice-v9").string();
  for (const auto& [args, instances] : std::vector<std::pair<Args, int>>{
           {{"-R", folder, "-s", "srcip/bytes"}, readers},
           {{"-R", folder, "-s", "ip", "-s", "proto/bpp", "-n", "0", "proto tcp"}, readers},
           {{"-R", folder, "-A", "srcip,dstport", "-O", "bytes"}, readers},
           {{"-R", folder, "-a", "-o", "line", "-O", "tstart"}, readers},
           {{"-R", folder, "-A", "proto"}, 1},  // printed in the table's order
           {{"-R", folder, "-s", "srcip", "-c", "100"}, 1},
           {{"-R", folder, "-o", "line"}, 1},
           {{"-r", file, "-s", "srcip"}, 1}}) {
    Args print{"query"};
    print.insert(print.end(), args.begin(), args.end());
    print.push_back("--pipeline");
    const auto pipeline = testing::run_sluice(print);
    ASSERT_EQ(pipeline.exit_code, 0) << pipeline.err;
    const std::string line = "\ninstances = " + std::to_string(instances) + "\n";
    EXPECT_EQ(pipeline.out.find(line) != std::string::npos, instances > 1) << joined(args) << ":\n" << pipeline.out;
    EXPECT_EQ(pipeline.out.find("instances") != std::string::npos, instances > 1) << joined(args);
  }
}

// The lines of `text` before the first that starts with `end`.
std::vector<std::string> lines_before(const std::string& text, std::string_view end) {
  auto lines = lines_of(text);
  lines.erase(std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.starts_with(end); }), lines.end());
  return lines;
}

// `sluice query --listen ... ARGS` started on a free port, bound before it returns.
class LiveQuery {
 public:
  LiveQuery(const std::string& listen_option, const Args& args) : port_(testing::free_udp_port()) {
    Args command{testing::sluice_exe(), "query", listen_option, "127.0.0.1:" + std::to_string(port_)};
    command.insert(command.end(), args.begin(), args.end());
    process_ = std::make_unique<testing::Process>(command, testing::ProcessOptions{{}, {{"TZ", "UTC"}}});
    EXPECT_TRUE(testing::eventually([&] { return testing::udp_port_bound(port_) || !process_->running(); }));
  }
  unsigned short port() const { return port_; }
  testing::ProcessResult wait() { return process_->wait(std::chrono::seconds(60)); }

 private:
  unsigned short port_;
  std::unique_ptr<testing::Process> process_;
};

// nfreplay (nfdump's) sends a file's flows as NetFlow v9 to a live query,
// which stops at the flows' count (-c) and prints the table nfdump prints
// of the file, then what it received.
TEST(QueryLive, PrintsTheTableNfdumpPrintsOfTheFlowsNfreplaySent) {
  const std::string file = (nfdump_archive().dir / "1-softflowd-v9").string();
  const Args table{"-s", "srcip/bytes", "-n", "5", "-N"};
  Args nfdump{"nfdump", "-r", file};
  nfdump.insert(nfdump.end(), table.begin(), table.end());
  const auto theirs = testing::run(nfdump, {{}, {{"TZ", "UTC"}}});
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  const auto total = theirs.out.find("total flows: ");
  ASSERT_NE(total, std::string::npos) << theirs.out;
  const std::string flows = theirs.out.substr(total + 13, theirs.out.find(',', total) - total - 13);

  Args args{"-c", flows, "--for", "60s"};  // the time is a guard only
  args.insert(args.end(), table.begin(), table.end());
  LiveQuery query("--listen", args);
  const auto sent = testing::run(
      {"nfreplay", "-r", file, "-H", "127.0.0.1", "-p", std::to_string(query.port()), "-v", "9", "-d", "100"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  const auto ours = query.wait();
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(lines_before(ours.out, "Listened: "), lines_before(theirs.out, "Time window: "));
  EXPECT_NE(ours.out.find("Total flows received: " + flows + ", passed: " + flows + ", Datagrams: "), std::string::npos)
      << ours.out;
  EXPECT_NE(ours.out.find(" from 1 exporter, malformed: 0, dropped by the kernel: 0\n"), std::string::npos) << ours.out;
}

// pmacctd's sfprobe (a real sFlow agent) samples a capture; a live query
// on sFlow prints each sample's addresses as tshark reads them.
TEST(QueryLive, PrintsTheSamplesOfARealSflowAgentAsTsharkReadsThem) {
  testing::TempDir dir;
  const auto capture = dir / "traffic.pcap";
  const auto made =
      testing::run({"/usr/bin/python3", SLUICE_SOURCE_DIR "/tests/support/make_traffic.py", capture.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  testing::UdpReceiver receiver;
  const auto exported = sflow::test::run_sfprobe(capture, "192.0.2.77", 1, receiver.port());
  // pmacctd 1.7.7 may exit 1 at the end of a capture (tests/sflow/interop_test.cpp).
  ASSERT_LE(exported.exit_code, 1) << exported.out << exported.err;
  const auto datagrams = receiver.receive_until_quiet();
  std::vector<std::string> theirs;
  for (const FlowRecord& f : sflow::test::tshark_samples(datagrams))
    theirs.push_back(net::to_string(f.src_addr) + "," + net::to_string(f.dst_addr));
  // How many the agent sent depends on the machine's load (pmacctd may end
  // before its plugin sent the last ones): the query must print those sent.
  ASSERT_FALSE(theirs.empty());

  LiveQuery query("--listen-sflow",
                  {"-c", std::to_string(theirs.size()), "--for", "60s", "-q", "-6", "-o", "fmt:%sa %da"});
  testing::send_udp(query.port(), datagrams);
  const auto ours = query.wait();
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  std::vector<std::string> printed;
  for (const auto& line : lines_of(ours.out)) {
    std::istringstream columns(line);
    std::string src, dst;
    columns >> src >> dst;
    printed.push_back(src + "," + dst);
  }
  std::sort(theirs.begin(), theirs.end());
  std::sort(printed.begin(), printed.end());
  EXPECT_EQ(printed, theirs);
}

// --for ends a live query that receives nothing, and it says so.
TEST(QueryLive, StopsListeningAfterTheTimeGiven) {
  LiveQuery query("--listen", {"--for", "300ms", "-s", "srcip/bytes"});
  const auto ours = query.wait();
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_NE(ours.out.find("Total flows received: 0, passed: 0, Datagrams: 0 from 0 exporters"), std::string::npos)
      << ours.out;
}

TEST(QueryCommandLine, HelpListsTheOptions) {
  const auto help = testing::run_sluice({"query", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* option : {"-r FILE", "-R DIR", "-c N", "-s ELEMENT", "-o MODE", "nsel", "pipe", "json", "raw", "-I ",
                             "--pipeline", "not supported yet"})
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
}

}  // namespace
}  // namespace sluice::test
