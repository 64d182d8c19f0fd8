// The filter and aggregate plugins through the sluice CLI against the real
// nfdump 1.7.1 on the same nfcapd files: binary_reader -> filter ->
// csv_writer (layout "nfdump") prints what `nfdump -r FILE -o csv 'EXPR'`
// prints; binary_reader -> aggregate -> csv_writer gives the keys and sums
// of `nfdump -A` and the ranking of `nfdump -s`.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "nfdump_archive.h"
#include "process.h"

namespace sluice::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> values_of(const std::string& csv_row) {
  std::vector<std::string> values;
  std::istringstream in(csv_row);
  for (std::string value; std::getline(in, value, ',');) values.push_back(value);
  return values;
}

// TOML's basic string.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// Runs `pipeline` with the sluice CLI; fails the test unless it exits 0.
void run_pipeline(const testing::TempDir& dir, const std::string& name, const std::string& pipeline) {
  const auto file = dir.write(name + ".toml", pipeline);
  const auto run = testing::run_sluice({"run", file.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
}

// The exporter id (column 47): nfdump prints the number the file gives an
// exporter, sluice's nfdump layout numbers exporters as they first appear in
// its output. Without the flows a filter drops, these can differ.
std::string without_exporter_id(std::string row) {
  if (std::count(row.begin(), row.end(), ',') != 47) return row;  // the summary
  std::size_t start = 0;
  for (int comma = 0; comma < 46; ++comma) start = row.find(',', start) + 1;
  return row.replace(start, row.find(',', start) - start, "#");
}

// Expressions that keep some of each file, over every kind of primitive.
const std::vector<std::string> expressions = {
    "proto tcp and dst port 443 and bytes > 1k",
    "proto udp or proto icmp or proto icmp6",
    "src net 10.0.0.0/8 and not dst net 10.0.0.0/8",
    "ip in [192.0.2.10 198.51.100.53 2001:db8:1::10] or net 2001:db8::/40",
    "not flags SR and packets < 3",
    "port in [53 80 123 443] and (bpp < 200 or pps > 100)",
    "duration > 10 and bps > 10k",
    "ipv6 and not proto tcp",
};

TEST(FilterPipeline, PrintsWhatNfdumpPrintsForEachFile) {
  const NfdumpArchive& archive = nfdump_archive();
  testing::TempDir dir;
  for (const char* name : {"1-softflowd-v9", "4-sluice-ipfix"}) {
    SCOPED_TRACE(name);
    const fs::path file = archive.dir / name;
    // One run: the reader feeds one filter and one writer per expression.
    std::string pipeline = "[sources.archive]\nplugin = \"binary_reader\"\npath = " + quoted(file.string()) + "\n";
    for (std::size_t e = 0; e < expressions.size(); ++e) {
      const std::string n = std::to_string(e);
      pipeline += "\n[transforms.f" + n +
                  "]\nplugin = \"filter\"\ninputs = [\"archive\"]\nexpression = " + quoted(expressions[e]) +
                  "\n\n[sinks.csv" + n + "]\nplugin = \"csv_writer\"\ninputs = [\"f" + n +
                  "\"]\nlayout = \"nfdump\"\nsummary = true\npath = " + quoted((dir / (n + ".csv")).string()) + "\n";
    }
    run_pipeline(dir, name, pipeline);
    std::vector<std::vector<std::string>> runs;
    for (const auto& e : expressions) runs.push_back({"-r", file.string(), "-o", "csv", e});
    const auto outputs = nfdump_run(runs);
    for (std::size_t e = 0; e < expressions.size(); ++e) {
      SCOPED_TRACE(expressions[e]);
      std::vector<std::string> ours, theirs;
      for (const auto& row : lines_of(testing::read_file(dir / (std::to_string(e) + ".csv"))))
        ours.push_back(without_exporter_id(row));
      for (const auto& row : outputs[e]) theirs.push_back(without_exporter_id(row));
      EXPECT_GT(ours.size(), 5u);  // header, a row, the summary
      EXPECT_EQ(ours, theirs);
    }
  }
}

TEST(AggregatePipeline, SumsAndRanksAsNfdumpDashAAndDashS) {
  const NfdumpArchive& archive = nfdump_archive();
  testing::TempDir dir;
  run_pipeline(dir, "aggregate",
               R"(
[sources.archive]
plugin = "binary_reader"
path = )" + quoted(archive.dir.string()) +
                   R"(

[transforms.by_source_and_port]
plugin = "aggregate"
inputs = ["archive"]
key = ["src_addr", "dst_port"]
interval = "0s"

[sinks.pairs]
plugin = "csv_writer"
inputs = ["by_source_and_port"]
path = )" + quoted((dir / "pairs.csv").string()) +
                   R"(
fields = ["src_addr", "dst_port", "packets", "bytes", "first", "last"]
time_format = "epoch_ms"
header = false

[transforms.top_sources]
plugin = "aggregate"
inputs = ["archive"]
key = ["src_addr"]
interval = "0s"
top = 10
order = "bytes"

[sinks.top]
plugin = "csv_writer"
inputs = ["top_sources"]
path = )" + quoted((dir / "top.csv").string()) +
                   R"(
fields = ["src_addr", "packets", "bytes", "first", "last"]
time_format = "epoch_ms"
header = false
)");
  const auto outputs = nfdump_lines({{"-6", "-N", "-A", "srcip,dstport", "-o", "fmt:%sa,%dp,%pkt,%byt,%ts,%te"},
                                     {"-s", "srcip/bytes", "-n", "10", "-o", "csv"}});

  // -A: the same keys and sums, in any order (times in ms, as nfdump prints them).
  const auto with_nfdump_times = [](const std::string& row) {
    const auto v = values_of(row);
    const auto time = [](const std::string& ms) { return nfdump_time(std::stoull(ms), true); };
    return v.at(0) + "," + v.at(1) + "," + v.at(2) + "," + v.at(3) + "," + time(v.at(4)) + "," + time(v.at(5));
  };
  std::vector<std::string> ours, theirs;
  for (const auto& row : lines_of(testing::read_file(dir / "pairs.csv"))) ours.push_back(with_nfdump_times(row));
  for (const auto& row : outputs[0]) theirs.push_back(without_padding(row));
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  EXPECT_GT(ours.size(), 100u);
  EXPECT_EQ(ours, theirs);

  // -s: the same ten addresses in the same order, with their packets, bytes
  // and times (nfdump's csv: ts,te,td,pr,val,fl,flP,pkt,pktP,byt,...).
  ours.clear();
  theirs.clear();
  for (const auto& row : lines_of(testing::read_file(dir / "top.csv"))) {
    const auto v = values_of(row);
    ours.push_back(nfdump_time(std::stoull(v.at(3)), false) + "," + nfdump_time(std::stoull(v.at(4)), false) + "," +
                   v.at(0) + "," + v.at(1) + "," + v.at(2));
  }
  ASSERT_EQ(outputs[1].size(), 12u);  // a header, ten rows, an empty line
  for (std::size_t line = 1; line <= 10; ++line) {
    const auto v = values_of(outputs[1][line]);
    theirs.push_back(v.at(0) + "," + v.at(1) + "," + v.at(4) + "," + v.at(7) + "," + v.at(9));
  }
  EXPECT_EQ(ours, theirs);
}

}  // namespace
}  // namespace sluice::test
