// on_close: nfcapd -x's placeholders, and the runner that runs the commands
// in the background.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <mutex>
#include <set>

#include "sluice/file_output/on_close.h"
#include "sluice/options.h"
#include "sluice/shell_command/runner.h"
#include "support.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using file_output::ClosedFile;
using file_output::OnCloseCommand;
using file_output::TimeZone;
using shell_command::Runner;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::uint64_t five_past_three_pm = 1'700'060'700'000;  // 2023-11-15 15:05:00 UTC

TEST(OnCloseCommand, FillsInNfcapdsPlaceholders) {
  const OnCloseCommand command("nfdump -r %d/%f > /tmp/%t-%u-%i.csv; echo 100%%", "edge-1", TimeZone::utc);
  const ClosedFile file{"/data/flows/2023/11/15/15/nfcapd.202311151505", "/data/flows", five_past_three_pm, 300'000};
  EXPECT_EQ(command.expand(file),
            "nfdump -r /data/flows/2023/11/15/15/nfcapd.202311151505 > /tmp/202311151505-1700060700-edge-1.csv; "
            "echo 100%");
}

TEST(OnCloseCommand, GivesSecondsForWindowsUnderAMinuteAsNfcapdsNamesDo) {
  const OnCloseCommand command("%t %f", "", TimeZone::utc);
  EXPECT_EQ(command.expand({"out/nfcapd.20231115150510", "out", five_past_three_pm + 10'000, 10'000}),
            "20231115150510 nfcapd.20231115150510");
}

TEST(OnCloseCommand, WritesTheWindowStartInTheWritersTimeZone) {
  const testing::ScopedEnvironment zone("TZ", "Asia/Kolkata");  // UTC+05:30, no daylight saving
  const OnCloseCommand command("%t", "", TimeZone::local);
  EXPECT_EQ(command.expand({"f", ".", five_past_three_pm, 300'000}), "202311152035");
}

TEST(OnCloseCommand, RefusesWhatIsNotAPlaceholderNamingTheOption) {
  try {
    const OnCloseCommand taken("gzip %x", "", TimeZone::utc);
    FAIL() << "%x was taken";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.key(), "on_close");
    EXPECT_THAT(e.what(), HasSubstr("%x is not a placeholder"));
  }
  EXPECT_THROW(OnCloseCommand("echo 100%", "", TimeZone::utc), OptionError);
}

// A shell loop that waits until `gate` exists.
std::string wait_for(const fs::path& gate) { return "while [ ! -e " + gate.string() + " ]; do sleep 0.01; done"; }

std::vector<std::string> lines_of(const fs::path& file) {
  return fs::exists(file) ? test::split_lines(testing::read_file(file)) : std::vector<std::string>{};
}

TEST(Runner, RunReturnsAtOnceAndWaitWaitsForTheCommand) {
  test::TempDir dir;
  Runner runner(2, {});
  runner.run(wait_for(dir / "gate") + "; touch " + (dir / "done").string());
  EXPECT_EQ(runner.pending(), 1u) << "run() returned while its command waits";
  EXPECT_FALSE(fs::exists(dir / "done"));
  std::ofstream(dir / "gate").close();
  runner.wait();
  EXPECT_TRUE(fs::exists(dir / "done"));
  EXPECT_EQ(runner.pending(), 0u);
}

TEST(Runner, RunsAtMostMaxRunningAtOnceTakingTheRestInOrder) {
  test::TempDir dir;
  const fs::path log = dir / "log";
  Runner runner(2, {});
  for (int i = 0; i < 5; ++i) {
    const std::string id = std::to_string(i);
    std::string command = "echo +" + id + " >> " + log.string();
    command += "; " + wait_for(dir / "gate");
    command += "; echo -" + id + " >> " + log.string();
    runner.run(command);
  }
  ASSERT_TRUE(testing::eventually([&] { return lines_of(log).size() == 2; }));
  EXPECT_EQ(runner.pending(), 5u);
  const auto first = lines_of(log);
  EXPECT_EQ(std::set<std::string>(first.begin(), first.end()), (std::set<std::string>{"+0", "+1"}));
  std::ofstream(dir / "gate").close();
  runner.wait();

  int running = 0, most = 0;
  const auto all = lines_of(log);
  for (const auto& line : all) {
    running += line[0] == '+' ? 1 : -1;
    most = std::max(most, running);
  }
  EXPECT_EQ(all.size(), 10u);
  EXPECT_EQ(most, 2);
}

TEST(Runner, CountsAndReportsEveryFailure) {
  std::atomic<std::uint64_t> started{0}, failed{0};
  std::mutex mutex;
  std::vector<std::string> reports;
  {
    Runner runner(1, {.started = Counter(started),
                      .failed = Counter(failed),
                      .report_failure = [&](const std::string& command, const std::string& failure) {
                        std::lock_guard lock(mutex);
                        reports.push_back(command + ": " + failure);
                      }});
    for (const char* command : {"exit 3", "true", "kill -9 $$", "/nonexistent/program"}) runner.run(command);
    runner.wait();
  }
  EXPECT_EQ(started.load(), 4u);
  EXPECT_EQ(failed.load(), 3u);
  EXPECT_THAT(reports, ElementsAre("exit 3: exited with status 3", "kill -9 $$: was killed by signal 9 (Killed)",
                                   "/nonexistent/program: exited with status 127"));
}

TEST(Runner, TheDestructorWaitsForEveryCommand) {
  test::TempDir dir;
  {
    Runner runner(1, {});
    runner.run("sleep 0.2; touch " + (dir / "a").string());
    runner.run("touch " + (dir / "b").string());
  }
  EXPECT_TRUE(fs::exists(dir / "a"));
  EXPECT_TRUE(fs::exists(dir / "b"));
}

TEST(RunAndWait, GivesTheCommandNullInputNoOtherOpenFileAndDefaultSignals) {
  test::TempDir dir;
  // What a pipeline holds: an open file (a socket, an output) and SIGPIPE ignored.
  const int held = ::open((dir / "held").c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(held, 3);
  const auto previous = std::signal(SIGPIPE, SIG_IGN);
  const std::string held_fd = "/proc/$$/fd/" + std::to_string(held);
  const auto failure = shell_command::run_and_wait(
      "readlink /proc/$$/fd/0 > " + (dir / "stdin").string() + "; if [ -e " + held_fd + " ]; then echo open; else " +
      "echo closed; fi > " + (dir / "held-in-child").string() + "; grep SigIgn /proc/$$/status | cut -f2 > " +
      (dir / "ignored").string());
  std::signal(SIGPIPE, previous);
  ::close(held);
  EXPECT_EQ(failure, std::nullopt);
  EXPECT_EQ(testing::read_file(dir / "stdin"), "/dev/null\n");
  EXPECT_EQ(testing::read_file(dir / "held-in-child"), "closed\n");
  const auto ignored = std::stoull(testing::read_file(dir / "ignored"), nullptr, 16);
  EXPECT_EQ(ignored & (1ull << (SIGPIPE - 1)), 0u) << "SIGPIPE must be back at its default";
}

}  // namespace
}  // namespace sluice
