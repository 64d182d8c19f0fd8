// Writers and the rotator on the engine's clock: what a collector that runs
// for months needs to happen without traffic, and what a failed run must
// leave alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include "sluice/nffile/reader.h"
#include "summary.h"
#include "support.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// One record, then silence for half a minute: only the engine's tick can
// make anything happen in between.
const std::string one_record_then_quiet = R"([sources.src]
plugin = "counting_source"
count = 0
batch_size = 1
pause = "30s"
)";

testing::ProcessOptions in(const test::TempDir& dir) { return {.cwd = dir.path(), .env = {}}; }

std::unique_ptr<testing::Process> start_sluice(const test::TempDir& dir, const std::string& toml) {
  const fs::path file = dir.write("pipeline.toml", toml);
  return std::make_unique<testing::Process>(
      std::vector<std::string>{testing::sluice_exe(), "run", file.string(), "--plugin-dir", SLUICE_TEST_PLUGIN_DIR,
                               "--stats-interval", "0"},
      in(dir));
}

TEST(LiveOutput, AQuietCollectorClosesEveryWindowOnTimeAsNfcapdDoes) {
  test::TempDir dir;
  const unsigned short port = testing::free_udp_port();
  auto p = start_sluice(dir, R"([sources.collector]
plugin = "netflow_udp"
listen = "127.0.0.1:)" + std::to_string(port) +
                                 R"("
[transforms.windows]
plugin = "rotator"
inputs = ["collector"]
interval = "2s"
[sinks.archive]
plugin = "binary_writer"
inputs = ["windows"]
path = ")" + (dir / "archive").string() +
                                 R"("
nfcapd_layout = 0
)");
  ASSERT_TRUE(testing::eventually([&] { return testing::udp_port_bound(port); }));
  // No datagram comes: only time closes the windows, three of them while we
  // look (a look that falls on a window's end can see the closing file and
  // the next one both open, or neither: look again).
  std::vector<std::string> files;
  std::size_t closed = 0, temporary = 0;
  testing::eventually(
      [&] {
        if (!fs::exists(dir / "archive")) return false;  // the first window's file is not there yet
        files = test::files_below(dir / "archive");
        closed = temporary = 0;
        for (const auto& f : files) (f.ends_with(".tmp") ? temporary : closed) += 1;
        return closed >= 3 && temporary == 1;
      },
      30s);
  EXPECT_GE(closed, 3u) << ::testing::PrintToString(files);
  EXPECT_EQ(temporary, 1u) << "only the current window's file is open: " << ::testing::PrintToString(files);
  // nfdump reads a quiet window's file: no flows, but a whole file.
  for (const auto& f : files) {
    if (f.ends_with(".tmp")) continue;
    const auto nfdump = testing::run({"nfdump", "-r", (dir / "archive" / f).string(), "-q", "-o", "csv"});
    EXPECT_EQ(nfdump.exit_code, 0) << f << ": " << nfdump.err;
    break;
  }
  p->signal(SIGTERM);
  EXPECT_EQ(p->wait(20s).exit_code, 0);
}

TEST(LiveOutput, ALiveFileHasItsRowsWithinFlushInterval) {
  test::TempDir dir;
  auto p = start_sluice(dir, one_record_then_quiet + R"([sinks.archive]
plugin = "binary_writer"
inputs = ["src"]
path = "flows.nf"
flush_interval = "200ms"
)");
  // An nfcapd block goes out when full, or on the tick: the one flow is on
  // disk (and counted in the header) long before the source's next batch.
  const auto started = std::chrono::steady_clock::now();
  const auto flows_on_disk = [&] {
    try {
      std::vector<FlowRecord> flows;
      nffile::Reader reader(dir / "flows.nf.tmp");
      while (reader.read_block(flows)) {
      }
      return flows.size();
    } catch (const std::exception&) {
      return std::size_t{0};
    }
  };
  ASSERT_TRUE(testing::eventually([&] { return flows_on_disk() == 1; }, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  p->signal(SIGTERM);
  ASSERT_EQ(p->wait(20s).exit_code, 0);
  EXPECT_EQ(test::nfdump_csv_lines(dir / "flows.nf").size(), 1u);
}

TEST(LiveOutput, ALiveCsvHasItsRowsWithinFlushInterval) {
  test::TempDir dir;
  auto p = start_sluice(dir, one_record_then_quiet + R"([sinks.csv]
plugin = "csv_writer"
inputs = ["src"]
path = "flows.csv"
flush_interval = "200ms"
)");
  // tail -f flows.csv.tmp shows the header and the row long before the next batch.
  ASSERT_TRUE(testing::eventually(
      [&] { return test::split_lines(testing::read_file(dir / "flows.csv.tmp")).size() == 2; }, 2s));
  p->signal(SIGTERM);
  ASSERT_EQ(p->wait(20s).exit_code, 0);
  EXPECT_EQ(test::split_lines(testing::read_file(dir / "flows.csv")).size(), 2u);
}

TEST(LiveOutput, AHeldExportRecordLeavesWithinItsHoldTimeWithoutFurtherTraffic) {
  test::TempDir dir;
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const timeval timeout{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  auto p = start_sluice(dir, one_record_then_quiet + R"([sinks.wire]
plugin = "netflow_export"
inputs = ["src"]
version = 9
target = "127.0.0.1:)" + std::to_string(ntohs(address.sin_port)) +
                                 "\"\n");
  std::uint8_t datagram[1500];
  const ssize_t n = recv(fd, datagram, sizeof datagram, 0);
  close(fd);
  ASSERT_GT(n, 0) << "no datagram within 5 s: the record was held for the next batch";
  EXPECT_EQ(datagram[1], 9) << "NetFlow v9";
  p->signal(SIGTERM);
  EXPECT_EQ(p->wait(20s).exit_code, 0);
}

TEST(FailedRun, KeepsTheEarlierOutputAndLeavesThePartialOneBesideIt) {
  test::TempDir dir;
  dir.write("flows.csv", "the earlier run's flows\n");
  const auto r = testing::run_sluice(
      {"run", "replay-to-csv", "--set", "sources.archive.path=" + (dir / "no-archive-here").string(), "--set",
       "sinks.csv.path=" + (dir / "flows.csv").string(), "--stats-interval", "0"},
      {.cwd = SLUICE_SOURCE_DIR, .env = {}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no-archive-here: no such file or folder"));
  EXPECT_EQ(testing::read_file(dir / "flows.csv"), "the earlier run's flows\n");
  EXPECT_TRUE(fs::exists(dir / "flows.csv.failed"));
  EXPECT_THAT(r.err, HasSubstr("this run's partial output is " + (dir / "flows.csv.failed").string()));
}

TEST(FailedRun, AFullDiskLosesNoRecordFromTheAccountsAndSaysSoOnce) {
  test::TempDir dir;
  const auto r = testing::run_sluice(
      {"run", "gen-to-csv", "--set", "sinks.csv.path=/dev/full", "--stats-interval", "0", "--summary", "json"},
      {.cwd = SLUICE_SOURCE_DIR, .env = {}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // One error line for the failure, naming the file.
  const std::regex failure("component \"csv\" \\(plugin csv_writer\\) failed: [^\n]*/dev/full");
  EXPECT_EQ(std::distance(std::sregex_iterator(r.err.begin(), r.err.end(), failure), std::sregex_iterator()), 1)
      << r.err;
  const auto summary = testing::parse_summary(r.err);
  ASSERT_TRUE(summary) << r.err;
  const auto& csv = summary->component("csv");
  const auto received = csv.records_in, delivered = csv.records_out, dropped = csv.dropped, lost = csv.lost;
  EXPECT_GT(received, 0u);
  EXPECT_EQ(received, delivered + dropped + lost) << "every record that reached the writer is accounted for";
  EXPECT_GT(lost, 0u);
  EXPECT_THAT(r.err, HasSubstr("0 flows written"));
}

}  // namespace
}  // namespace sluice
