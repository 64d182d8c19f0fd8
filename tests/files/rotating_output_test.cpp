// RotatingOutput: window paths, nfcapd's layouts (checked against nfcapd
// itself), temporary names, retention.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "sluice/file_output/file.h"
#include "sluice/file_output/rotating_output.h"
#include "support.h"

namespace sluice::file_output {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr std::uint64_t t0 = 1'700'000'000'123;  // 2023-11-14 22:13:20.123 UTC, a Tuesday
constexpr std::uint64_t five_minutes = 300'000;

std::uint64_t modification_ms(const fs::path& file) {
  struct stat st {};
  ::stat(file.c_str(), &st);
  return static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000 +
         static_cast<std::uint64_t>(st.st_mtim.tv_nsec) / 1'000'000;
}

using test::files_below;

TEST(PathExpand, FillsStrftimeConversionsFromTheWindowStart) {
  EXPECT_EQ(expand("out/%Y/%m/%d/%H/flows-%Y%m%d%H%M%S.csv", t0, TimeZone::utc),
            "out/2023/11/14/22/flows-20231114221320.csv");
  EXPECT_EQ(expand("flows.csv", t0, TimeZone::utc), "flows.csv");
}

TEST(PathExpand, UsesLocalTimeOnRequest) {
  const sluice::testing::ScopedEnvironment india("TZ", "Asia/Kolkata");
  EXPECT_EQ(expand("%Y%m%d-%H%M", t0, TimeZone::local), "20231115-0343");
}

TEST(NfcapdPattern, RefusesLayoutsNfcapdDoesNotHave) {
  EXPECT_THROW(nfcapd_pattern(9, false), std::invalid_argument);
  EXPECT_THROW(nfcapd_pattern(-1, false), std::invalid_argument);
}

// Runs nfcapd with -S `layout` and returns the path of the (empty) file it
// leaves, relative to its folder.
std::string nfcapd_file(int layout, int interval_seconds) {
  test::TempDir dir;
  testing::Process nfcapd(
      {"nfcapd", "-w", dir.path().string(), "-S", std::to_string(layout), "-t", std::to_string(interval_seconds), "-p",
       std::to_string(testing::free_udp_port()), "-b", "127.0.0.1"},
      {.cwd = {}, .env = {{"TZ", "UTC"}}});
  EXPECT_TRUE(testing::eventually([&] { return files_below(dir.path()).size() == 1; })) << "nfcapd made no file";
  nfcapd.signal(SIGTERM);
  EXPECT_EQ(nfcapd.wait().exit_code, 0);
  const auto files = files_below(dir.path());
  return files.empty() ? "" : files.front();
}

// The window start nfcapd wrote into a file name nfcapd.YYYYMMDDhhmm[ss].
std::uint64_t window_of(const std::string& name) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(name, m, std::regex("nfcapd\\.(\\d{4})(\\d{2})(\\d{2})(\\d{2})(\\d{2})(\\d{2})?$")))
      << name;
  struct tm tm {};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = m[6].matched ? std::stoi(m[6]) : 0;
  return static_cast<std::uint64_t>(::timegm(&tm)) * 1000;
}

TEST(NfcapdPattern, NamesFilesAndFoldersAsNfcapdDoesForEveryLayout) {
  for (int layout = 0; layout <= 8; ++layout) {
    const std::string theirs = nfcapd_file(layout, 60);
    EXPECT_EQ(expand(nfcapd_pattern(layout, false), window_of(theirs), TimeZone::utc).string(), theirs)
        << "-S " << layout;
  }
  const std::string with_seconds = nfcapd_file(2, 10);
  EXPECT_EQ(expand(nfcapd_pattern(2, true), window_of(with_seconds), TimeZone::utc).string(), with_seconds);
}

void write_window(RotatingOutput& output, std::uint64_t start_ms, std::uint64_t length_ms) {
  std::ofstream(output.begin(start_ms, length_ms)) << "flows\n";
  output.commit();
}

TEST(RotatingOutput, WritesUnderATemporaryNameUntilCommit) {
  test::TempDir dir;
  RotatingOutput output({.path = (dir / "%Y/%m/%d/flows-%H%M.csv").string(),
                         .zone = TimeZone::utc,
                         .nfcapd_layout = {},
                         .retention = {}});
  const fs::path temp = output.begin(t0, five_minutes);
  EXPECT_EQ(temp, dir / "2023/11/14/flows-2213.csv.tmp");
  EXPECT_TRUE(fs::is_directory(dir / "2023/11/14"));
  std::ofstream(temp) << "rows\n";
  EXPECT_FALSE(fs::exists(dir / "2023/11/14/flows-2213.csv"));

  EXPECT_EQ(output.commit(), dir / "2023/11/14/flows-2213.csv");
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(test::split_lines(testing::read_file(dir / "2023/11/14/flows-2213.csv")), std::vector<std::string>{"rows"});
  EXPECT_EQ(modification_ms(dir / "2023/11/14/flows-2213.csv"), t0);
}

TEST(RotatingOutput, BuildsTheNfcapdTreeWithSecondsForShortWindows) {
  test::TempDir dir;
  RotatingOutput output({.path = dir.path().string(), .zone = TimeZone::utc, .nfcapd_layout = 2, .retention = {}});
  write_window(output, 1'700'000'000'000, five_minutes);
  write_window(output, 1'700'000'010'000, 10'000);
  EXPECT_EQ(files_below(dir.path()),
            (std::vector<std::string>{"2023/11/14/22/nfcapd.202311142213", "2023/11/14/22/nfcapd.20231114221330"}));
}

TEST(RotatingOutput, KeepsOnlyTheNewestFilesAndDropsEmptiedFolders) {
  test::TempDir dir;
  std::ofstream(dir / "notes.txt") << "not ours";
  RotatingOutput output({.path = dir.path().string(),
                         .zone = TimeZone::utc,
                         .nfcapd_layout = 2,
                         .retention = {.keep_files = 3, .keep_for = {}}});
  const std::uint64_t start = 1'700'000'000'000 - 1'700'000'000'000 % 3'600'000;              // 22:00
  for (int i = 0; i < 16; ++i) write_window(output, start + i * five_minutes, five_minutes);  // 22:00 .. 23:15
  EXPECT_EQ(files_below(dir.path()),
            (std::vector<std::string>{"2023/11/14/23/nfcapd.202311142305", "2023/11/14/23/nfcapd.202311142310",
                                      "2023/11/14/23/nfcapd.202311142315", "notes.txt"}));
  EXPECT_FALSE(fs::exists(dir / "2023/11/14/22")) << "the emptied hour folder goes too";
}

TEST(RotatingOutput, DropsFilesOlderThanKeepForBeforeTheNewestWindow) {
  test::TempDir dir;
  RotatingOutput output({.path = (dir / "flows-%H%M.csv").string(),
                         .zone = TimeZone::utc,
                         .nfcapd_layout = {},
                         .retention = {.keep_files = 0, .keep_for = std::chrono::minutes(10)}});
  const std::uint64_t start = 1'700'000'000'000 - 1'700'000'000'000 % 3'600'000;
  for (int i = 0; i < 6; ++i) write_window(output, start + i * five_minutes, five_minutes);
  EXPECT_EQ(files_below(dir.path()), (std::vector<std::string>{"flows-2215.csv", "flows-2220.csv", "flows-2225.csv"}));
}

TEST(RotatingOutput, RefusesAWindowThatWouldOverwriteThePreviousWindowsFile) {
  test::TempDir dir;
  RotatingOutput output(
      {.path = (dir / "flows-%H.csv").string(), .zone = TimeZone::utc, .nfcapd_layout = {}, .retention = {}});
  write_window(output, t0, five_minutes);
  EXPECT_THAT([&] { output.begin(t0 + five_minutes, five_minutes); },
              ::testing::ThrowsMessage<FileError>(HasSubstr("the name of the previous window's")));
  EXPECT_EQ(files_below(dir.path()), std::vector<std::string>{"flows-22.csv"});
}

TEST(RotatingOutput, AWindowNeverReplacesAFileAlreadyThere) {
  test::TempDir dir;
  std::ofstream(dir / "flows-2213.csv") << "from before a restart\n";
  RotatingOutput output(
      {.path = (dir / "flows-%H%M.csv").string(), .zone = TimeZone::utc, .nfcapd_layout = {}, .retention = {}});
  std::ofstream(output.begin(t0, five_minutes)) << "new\n";
  EXPECT_EQ(output.commit(), dir / "flows-2213.csv.1");
  EXPECT_EQ(testing::read_file(dir / "flows-2213.csv"), "from before a restart\n");
  EXPECT_EQ(testing::read_file(dir / "flows-2213.csv.1"), "new\n");
}

TEST(RotatingOutput, OneFileWithoutWindowsReplacesTheFileOfAnEarlierRun) {
  test::TempDir dir;
  std::ofstream(dir / "flows.csv") << "from an earlier run\n";
  RotatingOutput output(
      {.path = (dir / "flows.csv").string(), .zone = TimeZone::utc, .nfcapd_layout = {}, .retention = {}});
  std::ofstream(output.begin(t0, 0)) << "new\n";
  EXPECT_EQ(testing::read_file(dir / "flows.csv"), "from an earlier run\n")
      << "untouched until the new one is complete";
  EXPECT_EQ(output.commit(), dir / "flows.csv");
  EXPECT_EQ(testing::read_file(dir / "flows.csv"), "new\n");
  EXPECT_EQ(files_below(dir.path()), std::vector<std::string>{"flows.csv"});
}

TEST(RotatingOutput, AFolderRemovedUnderTheWriterIsReportedWithTheFileName) {
  test::TempDir dir;
  RotatingOutput output(
      {.path = (dir / "%H/flows.csv").string(), .zone = TimeZone::utc, .nfcapd_layout = {}, .retention = {}});
  std::ofstream(output.begin(t0, five_minutes)) << "rows\n";
  fs::remove_all(dir / "22");
  EXPECT_THAT([&] { output.commit(); },
              ::testing::ThrowsMessage<FileError>(HasSubstr((dir / "22/flows.csv").string() + ": cannot rename")));
}

TEST(RotatingOutput, AFolderThatCannotBeCreatedIsReportedByName) {
  test::TempDir dir;
  std::ofstream(dir / "plain-file") << "x";
  RotatingOutput output({.path = (dir / "plain-file/%H/flows.csv").string(),
                         .zone = TimeZone::utc,
                         .nfcapd_layout = {},
                         .retention = {}});
  EXPECT_THAT([&] { output.begin(t0, 0); }, ::testing::ThrowsMessage<FileError>(HasSubstr("cannot create the folder")));
}

}  // namespace
}  // namespace sluice::file_output
