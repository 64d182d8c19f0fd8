#include "nfdump_archive.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <sstream>

#include "peers.h"
#include "process.h"
#include "sluice/csv/formatter.h"
#include "sluice/nffile/reader.h"
#include "sluice/nffile/writer.h"

namespace sluice::test {
namespace {

namespace fs = std::filesystem;
using netflow::test::Nfcapd;

constexpr int generated_flows = 2000;  // per version: nfdump takes longer the more rows it prints

// Moves what `nfcapd` wrote into the archive as `name`.
void archive_files(Nfcapd& nfcapd, const fs::path& dir, const std::string& name) {
  nfcapd.stop();
  const auto files = nfcapd.files();
  ASSERT_EQ(files.size(), 1u) << name << ": nfcapd rotated or wrote nothing";
  fs::copy_file(files.front(), dir / name);
}

void softflowd_to_nfcapd(const fs::path& pcap, int version, const fs::path& dir, const std::string& name) {
  Nfcapd nfcapd;
  const auto softflowd = testing::run({"softflowd", "-d", "-r", pcap.string(), "-n",
                                       "127.0.0.1:" + std::to_string(nfcapd.port()), "-v", std::to_string(version)});
  ASSERT_EQ(softflowd.exit_code, 0) << "softflowd: " << softflowd.err;
  archive_files(nfcapd, dir, name);
}

void generator_to_nfcapd(const testing::TempDir& work, int version, const fs::path& dir, const std::string& name) {
  Nfcapd nfcapd;
  std::ostringstream pipeline;
  pipeline << "[sources.gen]\nplugin = \"generator\"\ncount = " << generated_flows
           << "\nrate = 50000\nseed = " << version
           << "\nexporters = 3\nipv6_ratio = 0.4\nclock_start = \"2026-11-18T10:00:00Z\"\n\n"
           << "[sinks.wire]\nplugin = \"netflow_export\"\ninputs = [\"gen\"]\nversion = " << version
           << "\ntarget = \"127.0.0.1:" << nfcapd.port() << "\"\n";
  const auto file = work.write(name + ".toml", pipeline.str());
  const auto sluice = testing::run_sluice({"run", file.string()});
  ASSERT_EQ(sluice.exit_code, 0) << sluice.err;
  archive_files(nfcapd, dir, name);
}

// An aggregate sluice wrote: generated flows summed by source address and
// destination port (one bin) into an nfcapd file. Its records carry the
// flows they stand for, and neither AS numbers nor interfaces.
void aggregate_to_nffile(const testing::TempDir& work, const fs::path& file) {
  std::ostringstream pipeline;
  pipeline << "[sources.gen]\nplugin = \"generator\"\ncount = " << generated_flows
           << "\nrate = 50000\nseed = 5\nipv6_ratio = 0.4\nclock_start = \"2026-11-18T10:00:00Z\"\n\n"
           << "[transforms.sum]\nplugin = \"aggregate\"\ninputs = [\"gen\"]\nkey = [\"src_addr/16\", \"dst_port\"]\n"
           << "interval = \"0s\"\n\n"
           << "[sinks.file]\nplugin = \"binary_writer\"\ninputs = [\"sum\"]\npath = \"" << file.string() << "\"\n";
  const auto config = work.write("aggregate.toml", pipeline.str());
  const auto sluice = testing::run_sluice({"run", config.string()});
  ASSERT_EQ(sluice.exit_code, 0) << sluice.err;
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

NfdumpArchive build(const testing::TempDir& work) {
  NfdumpArchive archive;
  archive.geo_db = work / "no-geo.nf";
  nffile::Writer(archive.geo_db).close();
  archive.dir = work / "archive";
  fs::create_directories(archive.dir);
  const auto pcap = work / "traffic.pcap";
  const auto made =
      testing::run({"/usr/bin/python3", SLUICE_SOURCE_DIR "/tests/support/make_traffic.py", pcap.string()});
  EXPECT_EQ(made.exit_code, 0) << "scapy could not make the capture: " << made.err;

  softflowd_to_nfcapd(pcap, 9, archive.dir, "1-softflowd-v9");
  softflowd_to_nfcapd(pcap, 10, archive.dir, "2-softflowd-ipfix");
  generator_to_nfcapd(work, 9, archive.dir, "3-sluice-v9");
  generator_to_nfcapd(work, 10, archive.dir, "4-sluice-ipfix");
  aggregate_to_nffile(work, archive.dir / "5-sluice-aggregate");

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(archive.dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  auto formatter = csv::make_nfdump_formatter(false);
  for (const auto& file : files) {
    std::vector<FlowRecord> flows;
    nffile::Reader reader(file);
    while (reader.read_block(flows)) {
    }
    // Exporters are numbered per file, as nfdump does.
    csv::Buffer text;
    formatter->rows(flows, text);
    formatter->trailer(text);
    auto rows = lines_of(text.view());
    EXPECT_EQ(rows.size(), flows.size()) << file;
    archive.flows.insert(archive.flows.end(), flows.begin(), flows.end());
    archive.rows.insert(archive.rows.end(), rows.begin(), rows.end());
  }
  // Most of the generated flows arrived (nfcapd may drop a few; both sides
  // read the same files whatever it kept).
  EXPECT_GT(archive.flows.size(), static_cast<std::size_t>(generated_flows) * 2 * 9 / 10);
  EXPECT_TRUE(std::any_of(archive.flows.begin(), archive.flows.end(), [](const FlowRecord& f) { return f.flows > 1; }))
      << "the aggregate holds records of several flows";
  return archive;
}

}  // namespace

const NfdumpArchive& nfdump_archive() {
  static const testing::TempDir work;
  static const NfdumpArchive archive = build(work);
  return archive;
}

std::vector<std::vector<std::string>> nfdump_run(const std::vector<std::vector<std::string>>& runs) {
  const NfdumpArchive& archive = nfdump_archive();
  // nfdump waits on its reader thread more than it computes: a few at once
  // take a fraction of the time.
  constexpr std::size_t at_once = 6;
  std::vector<std::vector<std::string>> outputs;
  for (std::size_t first = 0; first < runs.size(); first += at_once) {
    std::vector<std::unique_ptr<testing::Process>> running;
    for (std::size_t i = first; i < std::min(runs.size(), first + at_once); ++i) {
      std::vector<std::string> command{"nfdump", "-G", archive.geo_db.string()};
      command.insert(command.end(), runs[i].begin(), runs[i].end());
      running.push_back(std::make_unique<testing::Process>(command, testing::ProcessOptions{{}, {{"TZ", "UTC"}}}));
    }
    for (auto& process : running) {
      const auto result = process->wait();
      EXPECT_EQ(result.exit_code, 0) << "nfdump: " << result.err;
      outputs.push_back(lines_of(result.out));
    }
  }
  return outputs;
}

std::vector<std::vector<std::string>> nfdump_lines(const std::vector<std::vector<std::string>>& runs) {
  std::vector<std::vector<std::string>> over_archive;
  for (const auto& args : runs) {
    over_archive.push_back({"-q", "-R", nfdump_archive().dir.string()});
    over_archive.back().insert(over_archive.back().end(), args.begin(), args.end());
  }
  auto outputs = nfdump_run(over_archive);
  for (auto& lines : outputs)
    if (lines.size() == 1 && lines.front() == "No matching flows") lines.clear();
  return outputs;
}

std::string nfdump_time(std::uint64_t ms, bool with_ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  if (with_ms) n += static_cast<std::size_t>(std::snprintf(text + n, sizeof text - n, ".%03u", unsigned(ms % 1000)));
  return std::string(text, n);
}

std::string without_padding(const std::string& line) {
  std::string out;
  std::istringstream in(line);
  for (std::string value; std::getline(in, value, ',');) {
    const auto begin = value.find_first_not_of(' ');
    const auto end = value.find_last_not_of(' ');
    out += (out.empty() ? "" : ",") + (begin == std::string::npos ? "" : value.substr(begin, end - begin + 1));
  }
  return out;
}

}  // namespace sluice::test
