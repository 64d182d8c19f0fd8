// The file plugins through the sluice CLI: pipelines against nfdump, rotation
// into nfcapd's tree, and faults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sstream>

#include <fstream>
#include <map>
#include <thread>

#include "sluice/nffile/reader.h"
#include "sluice/nffile/writer.h"
#include "support.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::files_below;

// Pipeline file sections: a replay of `input`, an event-clock rotator of
// five minutes after it, and a sink of `plugin` writing to `path`.
std::string replay(const fs::path& input, const std::string& extra = "") {
  return "[sources.replay]\nplugin = \"binary_reader\"\npath = \"" + input.string() + "\"\n" + extra + "\n";
}
const std::string five_minute_windows =
    "[transforms.windows]\nplugin = \"rotator\"\ninputs = [\"replay\"]\ninterval = \"5m\"\nclock = \"event\"\n\n";
std::string sink(const std::string& id, const std::string& plugin, const std::string& input, const fs::path& path,
                 const std::string& extra = "") {
  return "[sinks." + id + "]\nplugin = \"" + plugin + "\"\ninputs = [\"" + input + "\"]\npath = \"" + path.string() +
         "\"\n" + extra + "\n";
}

void write_nfcapd(const fs::path& file, std::span<const FlowRecord> flows) {
  nffile::Writer writer(file);
  writer.write(flows);
  writer.close();
}

// Flows received one every `spacing_ms` from `start_ms` on.
std::vector<FlowRecord> flows_over_time(std::size_t count, std::uint64_t start_ms, std::uint64_t spacing_ms) {
  auto flows = test::sample_flows(count, 9);
  for (std::size_t i = 0; i < flows.size(); ++i) {
    flows[i].received_ms = start_ms + i * spacing_ms;
    flows[i].last_ms = flows[i].received_ms - 500;
    flows[i].first_ms = flows[i].last_ms - 2000;
  }
  return flows;
}

TEST(ReplayToCsv, PrintsWhatNfdumpPrintsForAnArchiveNfcapdWrote) {
  test::TempDir dir;
  const fs::path capture = test::capture_with_nfcapd(dir.path());
  ASSERT_FALSE(capture.empty());
  const auto run =
      testing::run_sluice({"run", "replay-to-csv", "--set", "sources.archive.path=" + capture.parent_path().string(),
                           "--set", "sinks.csv.path=" + (dir / "flows.csv").string()},
                          {.cwd = SLUICE_SOURCE_DIR, .env = {}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto nfdump = testing::run({"nfdump", "-R", capture.parent_path().string(), "-o", "csv"});
  ASSERT_EQ(nfdump.exit_code, 0);
  EXPECT_EQ(testing::read_file(dir / "flows.csv"), nfdump.out);
  EXPECT_GE(test::split_lines(nfdump.out).size(), 40u);
}

// Blocks of thousands of flows: csv_writer formats each batch in slices that
// the kernel writes while the next is formatted; the file must still be
// nfdump's text byte for byte, summary included.
TEST(ReplayToCsv, PrintsWhatNfdumpPrintsForBlocksOfThousandsOfFlows) {
  test::TempDir dir;
  write_nfcapd(dir / "flows.nf", test::sample_flows(50000, 11));
  const auto run =
      testing::run_sluice({"run", "replay-to-csv", "--set", "sources.archive.path=" + (dir / "flows.nf").string(),
                           "--set", "sinks.csv.path=" + (dir / "flows.csv").string(), "--stats-interval", "0"},
                          {.cwd = SLUICE_SOURCE_DIR, .env = {}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto nfdump = testing::run({"nfdump", "-r", (dir / "flows.nf").string(), "-o", "csv"});
  ASSERT_EQ(nfdump.exit_code, 0);
  EXPECT_GE(test::split_lines(nfdump.out).size(), 50000u);
  EXPECT_TRUE(testing::read_file(dir / "flows.csv") == nfdump.out) << "the CSV differs from nfdump's";
}

// csv_writer on N workers: each formats whole batches on a copy of the
// layout, the file's own copy writes them in order. nfdump's text byte for
// byte for any N, exporter ids (numbered per file as exporters appear) and
// summary included.
TEST(ReplayToCsv, WorkersWriteWhatNfdumpPrintsForAnyNumberOfThem) {
  test::TempDir dir;
  write_nfcapd(dir / "flows.nf", test::sample_flows(50000, 12));
  const auto nfdump = testing::run({"nfdump", "-r", (dir / "flows.nf").string(), "-o", "csv"});
  ASSERT_EQ(nfdump.exit_code, 0);
  for (const char* workers : {"1", "2", "3", "4"}) {
    const fs::path csv = dir / (std::string("flows-") + workers + ".csv");
    const auto run =
        testing::run_sluice({"run", "replay-to-csv", "--set", "sources.archive.path=" + (dir / "flows.nf").string(),
                             "--set", "sinks.csv.path=" + csv.string(), "--set",
                             std::string("sinks.csv.workers=") + workers, "--stats-interval", "0"},
                            {.cwd = SLUICE_SOURCE_DIR, .env = {}});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_TRUE(testing::read_file(csv) == nfdump.out) << workers << " workers: the CSV differs from nfdump's";
  }
}

// binary_writer on N workers: each encodes and compresses whole batches'
// blocks, the file's copy appends them in order (or encodes a batch again
// where its exporters are new to the file or numbered otherwise). The same
// file for any N, and nfdump prints it as csv_writer writes the flows.
TEST(ReplayToNfcapd, WorkersWriteTheSameFileForAnyNumberOfThem) {
  test::TempDir dir;
  auto flows = test::sample_flows(40000, 13);
  test::from_one_exporter(std::span(flows).first(30000));  // then several
  write_nfcapd(dir / "in.nf", flows);
  std::string first;
  for (const char* workers : {"1", "2", "3", "4"}) {
    const fs::path out = dir / (std::string("out-") + workers + ".nf");
    const auto run = testing::run_sluice(
        {"run",
         dir.write("p.toml", replay(dir / "in.nf") +
                                 sink("nf", "binary_writer", "replay", out,
                                      std::string("compression = \"lz4\"\nworkers = ") + workers) +
                                 (first.empty() ? sink("csv", "csv_writer", "replay", dir / "flows.csv",
                                                       "layout = \"nfdump\"\nsummary = true")
                                                : ""))
             .string(),
         "--stats-interval", "0"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto bytes = test::nfcapd_without_creation_time(out);
    if (first.empty())
      first = bytes;
    else
      EXPECT_TRUE(bytes == first) << workers << " workers wrote another file than one";
  }
  const auto nfdump = testing::run({"nfdump", "-r", (dir / "out-1.nf").string(), "-o", "csv"});
  ASSERT_EQ(nfdump.exit_code, 0);
  EXPECT_GE(test::split_lines(nfdump.out).size(), flows.size());
  EXPECT_TRUE(testing::read_file(dir / "flows.csv") == nfdump.out) << "nfdump prints the file otherwise";
}

// Windows cut by a rotator's events inside batches: the same files, byte for
// byte, from one worker and from three, CSV and nfcapd (but its creation time).
TEST(FileRotation, WorkersCutTheSameWindowsAsOneWorker) {
  test::TempDir dir;
  const auto flows = flows_over_time(30000, 1'700'000'000'000, 50);
  write_nfcapd(dir / "in.nf", flows);
  std::map<std::string, std::string> first;
  for (const char* workers : {"1", "3"}) {
    const fs::path out = dir / workers;
    const std::string on_workers = std::string("workers = ") + workers;
    const auto run = testing::run_sluice(
        {"run",
         dir.write("p.toml", replay(dir / "in.nf") + five_minute_windows +
                                 sink("csv", "csv_writer", "windows", out / "%Y%m%d%H%M.csv", on_workers) +
                                 sink("nf", "binary_writer", "windows", out / "%Y%m%d%H%M.nf",
                                      on_workers + "\ncompression = \"lz4\""))
             .string(),
         "--stats-interval", "0"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::map<std::string, std::string> files;
    for (const auto& file : files_below(out))
      files[file] =
          file.ends_with(".nf") ? test::nfcapd_without_creation_time(out / file) : testing::read_file(out / file);
    EXPECT_GE(files.size(), 10u);
    if (first.empty())
      first = files;
    else
      EXPECT_TRUE(files == first) << "three workers wrote other windows or rows";
  }
}

// Rows in all CSV files below `folder` (each file has a header line).
std::size_t csv_rows_below(const fs::path& folder) {
  std::size_t rows = 0;
  for (const auto& file : files_below(folder)) rows += test::split_lines(testing::read_file(folder / file)).size() - 1;
  return rows;
}

// nfdump's CSV lines without the receive time (the last column), sorted.
// nfcapd 1.7.1 reads a v9 ICMPv6 type/code only from IE 32, not from the
// ICMPv6 element softflowd sends (docs/wire.md), so its ICMPv6 rows show
// port 0 where ours show type << 8 | code: that column is left out there.
std::vector<std::string> as_compared(const std::vector<std::string>& lines) {
  std::vector<std::string> kept;
  for (const auto& line : lines) {
    std::vector<std::string> columns;
    std::stringstream in(line.substr(0, line.rfind(',')));
    for (std::string column; std::getline(in, column, ',');) columns.push_back(column);
    if (columns.size() > 7 && columns[7] == "ICMP6") columns[6] = "-";
    std::string joined;
    for (const auto& column : columns) joined += column + ',';
    kept.push_back(joined);
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

// nfcapd repeats every datagram it receives (-R) to the collector pipeline,
// so both archive the very same datagrams.
TEST(CollectorPipeline, ArchivesWhatNfcapdArchivesFromTheSameDatagrams) {
  test::TempDir dir;
  const std::uint16_t port = testing::free_udp_port();
  testing::Process sluice(
      {testing::sluice_exe(), "run", "collector", "--set", "sinks.archive.path=" + (dir / "archive").string(), "--set",
       "sources.netflow.listen=127.0.0.1:" + std::to_string(port), "--set", "engine.metrics=127.0.0.1:0"},
      {.cwd = SLUICE_SOURCE_DIR, .env = {}});
  ASSERT_TRUE(testing::eventually([&] { return testing::udp_port_bound(port); }))
      << "sluice did not listen on " << port;
  const fs::path nfcapd_file = test::capture_with_nfcapd(dir.path(), {"-R", "127.0.0.1/" + std::to_string(port)});
  ASSERT_FALSE(nfcapd_file.empty());
  // What nfcapd repeated may still wait in the socket; a stopping source reads no more.
  ASSERT_TRUE(testing::eventually([&] { return testing::udp_receive_queue_empty(port); }));
  sluice.signal(SIGTERM);
  const auto stopped = sluice.wait();
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;

  // One 5-minute file, or two when the test ran across a window's end.
  const auto files = files_below(dir / "archive");
  ASSERT_GE(files.size(), 1u);
  ASSERT_LE(files.size(), 2u);
  for (const auto& file : files)
    EXPECT_THAT(file, ::testing::MatchesRegex("[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2}/nfcapd\\.[0-9]{12}"));
  const auto theirs = testing::run({"nfdump", "-R", nfcapd_file.parent_path().string(), "-o", "csv", "-q"});
  const auto ours = testing::run({"nfdump", "-R", (dir / "archive").string(), "-o", "csv", "-q"});
  ASSERT_GE(test::split_lines(theirs.out).size(), 40u);
  EXPECT_EQ(as_compared(test::split_lines(ours.out)), as_compared(test::split_lines(theirs.out)));
}

constexpr std::uint64_t three_pm = 1'700'060'400'000;  // 2023-11-15 15:00:00 UTC

TEST(FileRotation, AnEventClockReplayOfThreeHoursBuildsNfcapdsTreeAndTheSameCsvWindows) {
  test::TempDir dir;
  const auto flows = flows_over_time(6000, three_pm + 1000, 1800);  // 15:00 .. 18:00
  write_nfcapd(dir / "input.nf", flows);
  const auto pipeline =
      dir.write("rotate.toml", replay(dir / "input.nf") + five_minute_windows +
                                   sink("archive", "binary_writer", "windows", dir / "archive", "nfcapd_layout = 2") +
                                   sink("csv", "csv_writer", "windows", dir / "csv/%Y/%m/%d/%H/nfcapd.%Y%m%d%H%M",
                                        "layout = \"nfdump\"\nsummary = true"));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  std::map<std::string, std::size_t> expected;  // nfcapd -S 2 name -> flows in its window
  for (const auto& f : flows) {
    const std::uint64_t window = f.received_ms - f.received_ms % 300'000;
    const std::uint64_t minute = window / 60'000 % 60, hour = window / 3'600'000 % 24;
    char name[64];
    std::snprintf(name, sizeof name, "2023/11/15/%02llu/nfcapd.20231115%02llu%02llu",
                  static_cast<unsigned long long>(hour), static_cast<unsigned long long>(hour),
                  static_cast<unsigned long long>(minute));
    ++expected[name];
  }
  std::vector<std::string> expected_names;
  expected_names.reserve(expected.size());
  for (const auto& [name, count] : expected) expected_names.push_back(name);
  ASSERT_EQ(expected_names.size(), 36u);
  EXPECT_EQ(files_below(dir / "archive"), expected_names);
  // The writers rotated in lockstep: each window's CSV is what nfdump prints
  // for that window's nfcapd file.
  EXPECT_EQ(files_below(dir / "csv"), expected_names);
  for (const auto& [name, count] : expected) {
    EXPECT_EQ(test::nfdump_csv_lines(dir / "archive" / name).size(), count) << name;
    const auto nfdump = testing::run({"nfdump", "-r", (dir / "archive" / name).string(), "-o", "csv"});
    EXPECT_EQ(testing::read_file(dir / "csv" / name), nfdump.out) << name;
  }
}

TEST(FileRotation, QuietWindowsGetEmptyFilesAsWithNfcapd) {
  test::TempDir dir;
  auto flows = flows_over_time(100, three_pm + 1000, 6000);             // 15:00 .. 15:10
  const auto later = flows_over_time(100, three_pm + 1'801'000, 2000);  // 15:30 .. 15:33
  flows.insert(flows.end(), later.begin(), later.end());
  write_nfcapd(dir / "input.nf", flows);
  const auto pipeline =
      dir.write("quiet.toml", replay(dir / "input.nf") + five_minute_windows +
                                  sink("archive", "binary_writer", "windows", dir / "archive", "nfcapd_layout = 0"));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(files_below(dir / "archive"),
            (std::vector<std::string>{"nfcapd.202311151500", "nfcapd.202311151505", "nfcapd.202311151510",
                                      "nfcapd.202311151515", "nfcapd.202311151520", "nfcapd.202311151525",
                                      "nfcapd.202311151530"}));
  EXPECT_EQ(test::nfdump_csv_lines(dir / "archive/nfcapd.202311151515"), std::vector<std::string>{"No matching flows"});
  EXPECT_EQ(test::nfdump_csv_lines(dir / "archive/nfcapd.202311151530").size(), 100u);
}

TEST(FileRotation, AProcessingClockCutsAPacedReplayIntoWindowsOfTheWallClock) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", test::sample_flows(2500));
  // 2500 flows at 1000/s span 2.5 s of wall clock: at least two 1 s windows begin.
  const auto pipeline =
      dir.write("processing.toml",
                replay(dir / "input.nf", "rate = 1000") +
                    "[transforms.windows]\nplugin = \"rotator\"\ninputs = [\"replay\"]\ninterval = \"1s\"\n\n" +
                    sink("csv", "csv_writer", "windows", dir / "out/flows-%H%M%S.csv"));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_GE(files_below(dir / "out").size(), 2u);
  EXPECT_EQ(csv_rows_below(dir / "out"), 2500u);
}

TEST(FileRotation, SighupStartsNewFilesWhereThePathHasTimeFieldsAndIsHarmlessElsewhere) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", test::sample_flows(6000));
  const auto pipeline =
      dir.write("sighup.toml", replay(dir / "input.nf", "rate = 3000") +
                                   sink("stamped", "csv_writer", "replay", dir / "stamped/flows-%H%M%S.csv") +
                                   sink("plain", "csv_writer", "replay", dir / "plain/flows.csv"));
  testing::Process sluice({testing::sluice_exe(), "run", pipeline.string()});
  ASSERT_TRUE(
      testing::eventually([&] { return fs::exists(dir / "plain/flows.csv.tmp") && fs::exists(dir / "stamped"); }));
  // The stamped file is named for the second it opened in: a SIGHUP in a
  // later second gives the next one a new name.
  ASSERT_TRUE(testing::eventually([&] { return files_below(dir / "stamped").size() == 1; }));
  const std::string first = files_below(dir / "stamped").at(0);
  ASSERT_TRUE(testing::eventually([&] {
    const std::time_t now = std::time(nullptr);
    char name[32];
    std::strftime(name, sizeof name, "flows-%H%M%S.csv.tmp", std::gmtime(&now));
    return first != name;
  }));
  sluice.signal(SIGHUP);
  const auto result = sluice.wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(files_below(dir / "stamped").size(), 2u);
  EXPECT_EQ(csv_rows_below(dir / "stamped"), 6000u);
  EXPECT_EQ(files_below(dir / "plain"), std::vector<std::string>{"flows.csv"});
  EXPECT_EQ(csv_rows_below(dir / "plain"), 6000u);
}

// An hour of flows from 15:00 on: twelve five-minute windows of 100 flows.
std::vector<FlowRecord> an_hour_of_flows() { return flows_over_time(1200, three_pm + 1000, 3000); }

TEST(OnClose, RunsForEachFileWithNfcapdsPlaceholdersAndNfdumpReadsEachFileFromThere) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", an_hour_of_flows());
  const fs::path out = dir / "out";
  fs::create_directories(out);
  const std::string archive_hook = "nfdump -r %d/%f -q -o csv > " + out.string() + "/%t.csv && echo %f %t %u %i >> " +
                                   (out / "archive.log").string();
  const std::string csv_hook = "echo %d %f %i >> " + (out / "csv.log").string();
  const auto pipeline =
      dir.write("hooks.toml", replay(dir / "input.nf") + five_minute_windows +
                                  sink("archive", "binary_writer", "windows", dir / "archive",
                                       "nfcapd_layout = 2\nident = \"edge\"\non_close = \"" + archive_hook + "\"") +
                                  sink("csv", "csv_writer", "windows", dir / "csv/flows-%H%M.csv",
                                       "on_close = \"" + csv_hook + "\"\non_close_max_running = 1"));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  std::vector<std::string> archive_log = test::split_lines(testing::read_file(out / "archive.log"));
  std::sort(archive_log.begin(), archive_log.end());  // two commands at a time: any order
  ASSERT_EQ(archive_log.size(), 12u);
  for (int i = 0; i < 12; ++i) {
    char minute[3];
    std::snprintf(minute, sizeof minute, "%02d", 5 * i);
    const std::string window = std::string("2023111515") + minute;
    std::string expected_line = "2023/11/15/15/nfcapd." + window;
    expected_line += " " + window + " " + std::to_string((three_pm + std::uint64_t{300'000} * i) / 1000) + " edge";
    EXPECT_EQ(archive_log[i], expected_line);
    EXPECT_EQ(test::split_lines(testing::read_file(out / (window + ".csv"))).size(), 100u) << window;
  }
  const auto csv_log = test::split_lines(testing::read_file(out / "csv.log"));
  ASSERT_EQ(csv_log.size(), 12u);
  EXPECT_EQ(csv_log.front(), (dir / "csv").string() + " flows-1500.csv") << "one at a time: in order";
  EXPECT_EQ(csv_log.back(), (dir / "csv").string() + " flows-1555.csv");
  EXPECT_THAT(run.err, HasSubstr("12 on_close commands run"));
}

TEST(OnClose, NeverHoldsUpThePipelineAndIsWaitedForBeforeTheProcessExits) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", an_hour_of_flows());
  const fs::path gate = dir / "gate", log = dir / "log";
  const std::string hook = "while [ ! -e " + gate.string() + " ]; do sleep 0.02; done; echo %t >> " + log.string();
  const auto pipeline =
      dir.write("blocked.toml", replay(dir / "input.nf") + five_minute_windows +
                                    sink("archive", "binary_writer", "windows", dir / "archive",
                                         "nfcapd_layout = 0\non_close = \"" + hook + "\"\non_close_max_running = 1"));
  testing::Process sluice({testing::sluice_exe(), "run", pipeline.string()});
  // Every file is written and put in place while the first command still waits.
  const auto put_in_place = [&] {
    if (!fs::exists(dir / "archive")) return std::size_t{0};
    const auto files = files_below(dir / "archive");
    return static_cast<std::size_t>(
        std::count_if(files.begin(), files.end(), [](const std::string& f) { return !f.ends_with(".tmp"); }));
  };
  ASSERT_TRUE(testing::eventually([&] { return put_in_place() == 12; }));
  EXPECT_TRUE(sluice.running()) << "the process must wait for its on_close commands";
  EXPECT_FALSE(fs::exists(log));
  std::ofstream(gate).close();
  const auto result = sluice.wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("waiting for 12 on_close command(s) to end"));
  EXPECT_EQ(test::split_lines(testing::read_file(log)).size(), 12u);
}

TEST(OnClose, AFailingCommandIsLoggedAndCountedAndTheRunGoesOn) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", flows_over_time(300, three_pm + 1000, 3000));  // three windows
  const auto pipeline = dir.write("failing.toml", replay(dir / "input.nf") + five_minute_windows +
                                                      sink("archive", "binary_writer", "windows", dir / "archive",
                                                           "nfcapd_layout = 0\non_close = \"echo %f; exit 7\""));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  ASSERT_EQ(run.exit_code, 0) << "the files are whole: " << run.err;
  EXPECT_EQ(files_below(dir / "archive").size(), 3u);
  EXPECT_THAT(run.err, HasSubstr("on_close command `echo nfcapd.202311151505; exit 7` exited with status 7"));
  EXPECT_THAT(run.err, HasSubstr("3 on_close commands run, 3 failed"));
}

TEST(OnClose, AnUnknownPlaceholderIsRefusedNamingFileLineAndKey) {
  test::TempDir dir;
  const auto pipeline =
      dir.write("bad.toml", replay(dir / "input.nf") +
                                sink("csv", "csv_writer", "replay", dir / "out.csv", "on_close = \"gzip %F\""));
  const auto run = testing::run_sluice({"validate", pipeline.string()});
  EXPECT_EQ(run.exit_code, 78);
  EXPECT_THAT(run.err, HasSubstr(pipeline.string() + ":9:12:"));
  EXPECT_THAT(run.err, HasSubstr("sinks.csv.on_close: plugin csv_writer: %F is not a placeholder"));
}

TEST(FileFaults, AFullDeviceIsAnErrorNamingItAndTheDeviceStaysADevice) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", test::sample_flows(30000));
  const auto pipeline =
      dir.write("full.toml", replay(dir / "input.nf") + sink("csv", "csv_writer", "replay", "/dev/full"));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("/dev/full: cannot write: No space left on device"));
  struct stat st {};
  ASSERT_EQ(::stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_FALSE(fs::exists("/dev/full.tmp"));
}

TEST(FileFaults, AFileSizeLimitStopsTheWriterNamingTheFileAndClosedFilesStayIntact) {
  test::TempDir dir;
  // Two small windows, then one far larger than the 1 MiB limit.
  auto flows = flows_over_time(20, three_pm + 1000, 20'000);  // 15:00 .. 15:06
  const auto big = flows_over_time(40000, three_pm + 600'000, 1);
  flows.insert(flows.end(), big.begin(), big.end());
  write_nfcapd(dir / "input.nf", flows);
  const auto pipeline =
      dir.write("limit.toml", replay(dir / "input.nf") + five_minute_windows +
                                  sink("archive", "binary_writer", "windows", dir / "archive", "nfcapd_layout = 0"));
  // Ignoring SIGXFSZ turns the limit into write errors (EFBIG), as on a full quota.
  const auto run = testing::run(
      {"bash", "-c", "trap '' XFSZ; ulimit -f 1024; exec \"$0\" run \"$1\"", testing::sluice_exe(), pipeline.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err,
              HasSubstr((dir / "archive/nfcapd.202311151510.tmp").string() + ": cannot write: File too large"));
  EXPECT_EQ(test::nfdump_csv_lines(dir / "archive/nfcapd.202311151500").size(), 15u);
  EXPECT_EQ(test::nfdump_csv_lines(dir / "archive/nfcapd.202311151505").size(), 5u);
}

TEST(FileFaults, AFolderRemovedUnderARunningWriterIsAnErrorNamingTheFile) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", test::sample_flows(3000));
  const auto pipeline = dir.write("removed.toml", replay(dir / "input.nf", "rate = 2000") +
                                                      sink("csv", "csv_writer", "replay", dir / "out/flows.csv"));
  testing::Process sluice({testing::sluice_exe(), "run", pipeline.string()});
  ASSERT_TRUE(testing::eventually([&] { return fs::exists(dir / "out/flows.csv.tmp"); }));
  fs::remove_all(dir / "out");
  const auto result = sluice.wait();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr((dir / "out/flows.csv").string() + ": cannot rename"));
}

TEST(FileFaults, AFolderThatCannotBeCreatedIsAnErrorNamingIt) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", test::sample_flows(10));
  dir.write("plain-file", "x");
  const auto pipeline =
      dir.write("uncreatable.toml",
                replay(dir / "input.nf") + sink("archive", "binary_writer", "replay", dir / "plain-file/sub/flows.nf"));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr((dir / "plain-file/sub").string() + ": cannot create the folder"));
}

TEST(FileWritersCleanStop, SigtermMidRunLeavesWholeFilesAndNoTemporaryOnes) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", test::sample_flows(100000));
  const auto pipeline = dir.write("stop.toml", replay(dir / "input.nf", "rate = 5000") +
                                                   sink("archive", "binary_writer", "replay", dir / "out/flows.nf") +
                                                   sink("csv", "csv_writer", "replay", dir / "out/flows.csv"));
  testing::Process sluice({testing::sluice_exe(), "run", pipeline.string()});
  ASSERT_TRUE(testing::eventually(
      [&] { return fs::exists(dir / "out/flows.nf.tmp") && fs::file_size(dir / "out/flows.nf.tmp") > 40; }));
  sluice.signal(SIGTERM);
  const auto result = sluice.wait();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(files_below(dir / "out"), (std::vector<std::string>{"flows.csv", "flows.nf"}));
  const auto flows = test::nfdump_csv_lines(dir / "out/flows.nf");
  EXPECT_GT(flows.size(), 0u);
  EXPECT_LT(flows.size(), 100000u);
  const auto csv = test::split_lines(testing::read_file(dir / "out/flows.csv"));
  EXPECT_EQ(csv.size(), flows.size() + 1);
  EXPECT_EQ(csv.front(),
            "first,last,duration,src_addr,dst_addr,src_port,dst_port,proto,tcp_flags,tos,packets,bytes,in_if,"
            "out_if,src_as,dst_as,src_mask,dst_mask,next_hop,exporter,engine_type,engine_id,sampling_interval")
      << "the standard fields when none are chosen";
}

TEST(BinaryReader, ReportsABadFileByNameAndOffsetAndReadsTheOthers) {
  test::TempDir dir;
  fs::create_directories(dir / "archive");
  write_nfcapd(dir / "archive/nfcapd.202311151500", test::sample_flows(100, 1));
  write_nfcapd(dir / "archive/nfcapd.202311151505", test::sample_flows(20000, 2));
  write_nfcapd(dir / "archive/nfcapd.202311151510", test::sample_flows(300, 3));
  fs::resize_file(dir / "archive/nfcapd.202311151505", fs::file_size(dir / "archive/nfcapd.202311151505") / 2);
  const auto pipeline =
      dir.write("replay.toml", replay(dir / "archive") + sink("archive", "binary_writer", "replay", dir / "all.nf"));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr((dir / "archive/nfcapd.202311151505").string() + ": at byte "));
  nffile::Reader reader(dir / "all.nf");
  std::vector<FlowRecord> all;
  while (reader.read_block(all)) {
  }
  const auto first = test::sample_flows(100, 1), last = test::sample_flows(300, 3);
  ASSERT_GE(all.size(), 400u);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), all.begin())) << "the file before the bad one, in order";
  EXPECT_TRUE(std::equal(last.rbegin(), last.rend(), all.rbegin())) << "the file after it, in order";
}

TEST(BinaryReader, ReplaysNoFasterThanItsRate) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", test::sample_flows(2000));
  const auto pipeline = dir.write(
      "paced.toml", replay(dir / "input.nf", "rate = 1000") + sink("csv", "csv_writer", "replay", dir / "out.csv"));
  const auto start = std::chrono::steady_clock::now();
  const auto run = testing::run_sluice({"run", pipeline.string()});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The last tenth of a second's piece is due at 1.9 s: a lower bound no slow machine can break.
  EXPECT_GE(elapsed, std::chrono::milliseconds(1900));
  EXPECT_EQ(test::split_lines(testing::read_file(dir / "out.csv")).size(), 2001u);
}

TEST(CsvWriter, WritesChosenFieldsWithoutHeaderToStandardOutput) {
  test::TempDir dir;
  write_nfcapd(dir / "input.nf", test::sample_flows(500));
  const auto pipeline =
      dir.write("stdout.toml", replay(dir / "input.nf") +
                                   sink("csv", "csv_writer", "replay", "-",
                                        "fields = [\"src_port\", \"proto\"]\nheader = false\nproto_names = false"));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = test::split_lines(run.out);
  const auto flows = test::sample_flows(500);
  ASSERT_EQ(lines.size(), flows.size());
  for (std::size_t i = 0; i < flows.size(); ++i) {
    ASSERT_EQ(lines[i], std::to_string(flows[i].src_port) + "," + std::to_string(flows[i].proto));
  }
}

TEST(CsvWriter, RejectsAnUnknownFieldBeforeStarting) {
  test::TempDir dir;
  const auto pipeline = dir.write("fields.toml", replay("nothing.nf") + sink("csv", "csv_writer", "replay", "out.csv",
                                                                             R"(fields = ["src_addr", "src_ip"])"));
  const auto run = testing::run_sluice({"run", pipeline.string()});
  EXPECT_EQ(run.exit_code, 78);
  EXPECT_THAT(run.err, HasSubstr("sinks.csv.fields"));
  EXPECT_THAT(run.err, HasSubstr("unknown field \"src_ip\""));
}

}  // namespace
}  // namespace sluice
