// The engine as a long-running service, through the real CLI: ticks,
// metrics, delivery that survives transient failures, bounded drains,
// instances, signals from the first moment, progress on a terminal.
#include "cli_fixture.h"
#include "http.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <regex>

namespace fs = std::filesystem;
using namespace sluice::testing;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// The number after `key=` in a collecting_sink tally.
std::uint64_t tally_value(const std::string& tally, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(tally, m, std::regex(key + "=([0-9]+)"))) return 0;
  return std::stoull(m[1]);
}

// --- ticks --------------------------------------------------------------------------

TEST_F(Cli, SinksAndTransformsAreTickedWithoutTrafficAndNeverAfterFinish) {
  auto p = start(R"([sources.src]
plugin = "counting_source"
count = 0
batch_size = 1
pause = "10s"
marker = "${MARKER}"
[transforms.pass]
plugin = "passthrough"
inputs = ["src"]
tick_period = "100ms"
[sinks.out]
plugin = "collecting_sink"
inputs = ["pass"]
output = "${TALLY}"
tick_period = "100ms"
)");
  // One batch, then nothing for 10 s: ticks alone move the tally.
  ASSERT_TRUE(eventually([&] { return fs::exists(tally) && tally_value(tally_text(), "ticks") >= 5; }, 5s));
  ASSERT_TRUE(eventually([&] { return tally_value(tally_text(), "flushes") >= 5; }, 5s))
      << "the transform's ticks emit flushes: " << tally_text();
  p->signal(SIGTERM);
  const auto r = p->wait(20s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(tally_text(), HasSubstr("finished=1"));
  EXPECT_THAT(tally_text(), Not(HasSubstr("late_tick")));
}

// --- delivery ----------------------------------------------------------------------

TEST_F(Cli, ATransientFailureIsRetriedAndNothingIsLost) {
  const auto r = run(R"([sources.src]
plugin = "counting_source"
count = 5000
batch_size = 100
[sinks.flaky]
plugin = "failing_sink"
inputs = ["src"]
reason = "server restarting"
transient = true
failures = 4
output = "${TALLY}"
)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(tally_text(), HasSubstr("delivered=5000 attempts=54 finished=1")) << "50 batches, 4 retried";
  EXPECT_EQ(summary_cell(r.err, "flaky", records_out), 5000u);
  EXPECT_EQ(summary_cell(r.err, "flaky", lost), 0u);
  EXPECT_THAT(r.err, HasSubstr("consume failed, will retry (transient; 1 so far): server restarting at batch 3"));
  EXPECT_THAT(r.err, HasSubstr("consume succeeded after 4 retries"));
  EXPECT_EQ(parse_summary(r.err)->component("flaky").retries, 4u);
}

TEST_F(Cli, ASinkThatNeverRecoversEndsTheRunAtDrainTimeoutWithTheLossCounted) {
  const auto started = std::chrono::steady_clock::now();
  const auto r = run(R"([engine]
drain_timeout = "1s"
[sources.src]
plugin = "counting_source"
count = 3000
batch_size = 100
[sinks.dead]
plugin = "failing_sink"
inputs = ["src"]
reason = "connection refused"
transient = true
failures = 0
)");
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(took, 3s + 2s) << "drain_timeout + 2 s, with a second of slack for process start";
  EXPECT_EQ(summary_cell(r.err, "dead", records_in), 3000u);
  EXPECT_EQ(summary_cell(r.err, "dead", records_out), 200u) << "two batches before the failing one";
  EXPECT_EQ(summary_cell(r.err, "dead", lost), 2800u);
  EXPECT_EQ(parse_summary(r.err)->component("dead").lost_by_reason.at("drain timeout"), 2800u);
  EXPECT_THAT(r.err, HasSubstr("drain_timeout (1000 ms) ran out"));
}

TEST_F(Cli, SigtermWhileASinkRetriesStopsWithinDrainTimeout) {
  const unsigned short port = free_tcp_port();
  auto p = start(R"([engine]
drain_timeout = "1s"
metrics = "127.0.0.1:)" +
                 std::to_string(port) + R"("
[sources.src]
plugin = "counting_source"
count = 0
batch_size = 10
pause = "1ms"
[sinks.dead]
plugin = "failing_sink"
inputs = ["src"]
reason = "server gone"
transient = true
failures = 0
fail_on_batch = 1
)");
  ASSERT_TRUE(eventually([&] {
    const auto scrape = http_get(port, "/metrics");
    return scrape && metric(scrape->body, R"(sluice_sink_retries_total{component_id="dead",component_kind="sink",)"
                                          R"(plugin="failing_sink"})")
                             .value_or(0) >= 2;
  }));
  p->signal(SIGTERM);
  const auto signalled = std::chrono::steady_clock::now();
  const auto r = p->wait(20s);
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 3s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(summary_cell(r.err, "dead", records_out), 0u);
  EXPECT_EQ(summary_cell(r.err, "dead", records_in), summary_cell(r.err, "dead", lost));
  EXPECT_GT(summary_cell(r.err, "dead", lost), 0u);
}

// --- metrics -------------------------------------------------------------------------

TEST_F(Cli, ServesPrometheusMetricsThatMatchTheRecordsAndHealthTurns503WhileDraining) {
  const unsigned short port = free_tcp_port();
  auto p = start(R"([engine]
metrics = "127.0.0.1:)" +
                 std::to_string(port) + R"("
drain_timeout = "30s"
[sources.src]
plugin = "counting_source"
count = 0
batch_size = 100
pause = "10ms"
marker = "${MARKER}"
[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
delay = "1s"
)");
  ASSERT_TRUE(eventually([&] { return fs::exists(marker) && http_get(port, "/health").has_value(); }));
  const auto running = http_get(port, "/health");
  EXPECT_EQ(running->status, 200);
  EXPECT_EQ(running->body, "running\n");

  const std::string labels_src = R"({component_id="src",component_kind="source",plugin="counting_source"})";
  const std::string labels_out = R"({component_id="out",component_kind="sink",plugin="collecting_sink"})";
  ASSERT_TRUE(eventually([&] {
    return metric(http_get(port, "/metrics")->body, "sluice_queue_records" + labels_out).value_or(0) >= 300;
  }));

  // Stopped, the source's total is final; the slow sink still drains, its
  // queue holding what it has not delivered.
  p->signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return http_get(port, "/health")->status == 503; }));
  const auto scrape = http_get(port, "/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  const auto sent = metric(scrape->body, "sluice_component_sent_records_total" + labels_src);
  ASSERT_TRUE(sent);
  EXPECT_GT(*sent, 0);
  EXPECT_EQ(metric(scrape->body, "sluice_component_received_records_total" + labels_out), sent);
  EXPECT_GT(metric(scrape->body, "sluice_queue_records" + labels_out).value_or(0), 0);
  EXPECT_GT(metric(scrape->body, "sluice_sink_oldest_undelivered_seconds" + labels_out).value_or(0), 0);
  EXPECT_EQ(http_get(port, "/health")->body, "draining\n");
  EXPECT_EQ(http_get(port, "/nothing")->status, 404);

  const fs::path scraped = dir.write("scrape.txt", scrape->body);
  const auto lint = sluice::testing::run({"/bin/sh", "-c", "promtool check metrics < " + scraped.string()});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "");
  p->signal(SIGKILL);
}

TEST_F(Cli, AMetricsAddressInUseIsAClearErrorAndStartsNothing) {
  const TcpListener taken;
  const auto r = run("[engine]\nmetrics = \"127.0.0.1:" + std::to_string(taken.port()) + "\"\n" + counting_to_tally);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cannot serve metrics on 127.0.0.1:" + std::to_string(taken.port())));
  EXPECT_FALSE(fs::exists(marker));
}

// --- instances, signals, progress ------------------------------------------------------

TEST_F(Cli, InstancesRunSeveralCopiesOfASourceEachToldItsIndex) {
  const auto r = run(R"([sources.src]
plugin = "counting_source"
count = 1000
instances = 3
[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
output = "${TALLY}"
)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(tally_text(), HasSubstr("records=3000 "));
  for (const char* id : {"src#0", "src#1", "src#2"}) EXPECT_EQ(summary_cell(r.err, id, records_out), 1000u) << id;
  const auto summary = parse_summary(r.err);
  ASSERT_TRUE(summary);
  ASSERT_EQ(summary->paths.size(), 1u);
  EXPECT_EQ(summary->paths[0].sources, std::vector<std::string>{"src"}) << "one source, however many copies";
  EXPECT_EQ(summary->paths[0].records, 3000u);
}

TEST_F(Cli, ASighupWhileComponentsStartIsHandled) {
  auto p = start(R"([sources.src]
plugin = "counting_source"
count = 100
[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
output = "${TALLY}"
marker = "${MARKER}"
start_delay = "1s"
)");
  ASSERT_TRUE(eventually([&] { return fs::exists(marker); }));
  p->signal(SIGHUP);
  const auto r = p->wait(20s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("SIGHUP: rotating"));
  EXPECT_THAT(tally_text(), HasSubstr("records=100 "));
}

TEST_F(Cli, AFiniteRunShowsProgressOnATerminalAndNothingExtraOtherwise) {
  const std::string toml = R"([sources.src]
plugin = "counting_source"
count = 300
batch_size = 1
pause = "5ms"
[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
)";
  const auto plain = run(toml);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.err, Not(HasSubstr("ETA")));
  // script(1) gives the run a terminal.
  std::string command = "cd " + dir.path().string() + " && script -qec '" + sluice_exe();
  for (const auto& a : args("run", toml)) command += " " + a;
  command += "' /dev/null";
  const auto tty = sluice::testing::run({"/bin/sh", "-c", command});
  ASSERT_EQ(tty.exit_code, 0) << tty.out << tty.err;
  EXPECT_THAT(tty.out, ::testing::ContainsRegex("records, [0-9,]+/s, [0-9]+%, ETA 0:00:0[0-9]"));
}

// --- the listener under idle clients ------------------------------------------------

// CPU seconds (user + system) a process has used, from /proc.
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  for (int i = 3; i < 14; ++i) fields >> field;  // up to utime, the 14th
  double user = 0, system = 0;
  fields >> user >> system;
  return (user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A TCP connection to 127.0.0.1:port that sends nothing.
int idle_connection(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// 300 idle connections to the metrics port of a sluice allowed 256
// descriptors: it keeps 64 (for 5 s at most), refuses the rest at once and
// does not spin; the pipeline still writes every file, and /metrics answers
// once they are gone.
TEST_F(Cli, IdleConnectionsToTheListenerNeitherSpinNorStarveThePipeline) {
  const unsigned short port = free_tcp_port();
  const auto toml = dir.write("files.toml", "[engine]\nmetrics = \"127.0.0.1:" + std::to_string(port) + R"("
[sources.gen]
plugin = "generator"
count = 4000
rate = 1000
[transforms.windows]
plugin = "rotator"
inputs = ["gen"]
interval = "1s"
[sinks.csv]
plugin = "csv_writer"
inputs = ["windows"]
path = "out/%H%M%S.csv"
header = false
)");
  Process sluice({"prlimit", "--nofile=256:256", sluice_exe(), "run", toml.string(), "--stats-interval", "0"},
                 {.cwd = dir.path(), .env = {}});
  ASSERT_TRUE(eventually([&] { return http_get(port, "/health").has_value(); }));
  std::vector<int> connections;
  for (int i = 0; i < 300; ++i) connections.push_back(idle_connection(port));
  EXPECT_EQ(std::count(connections.begin(), connections.end(), -1), 0);

  // Over a second of wall clock with the connections open, sluice used a
  // small part of a core (a loop retrying accept() uses all of one).
  const double cpu_before = cpu_seconds(sluice.pid());
  const auto wall_before = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return std::chrono::steady_clock::now() - wall_before >= 1s; }));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  EXPECT_LT(cpu_seconds(sluice.pid()) - cpu_before, 0.5 * wall);

  for (int fd : connections)
    if (fd >= 0) ::close(fd);
  // Once the server has seen them close (their sessions end), it answers.
  ASSERT_TRUE(eventually([&] {
    const auto scrape = http_get(port, "/metrics");
    return scrape && scrape->status == 200;
  }));
  const auto result = sluice.wait(60s);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::size_t files = 0, rows = 0;
  for (const auto& file : fs::directory_iterator(dir / "out")) {
    ++files;
    const std::string text = read_file(file.path());
    rows += static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  EXPECT_EQ(rows, 4000u);
  EXPECT_GE(files, 4u) << "four seconds of flows in windows of a second";
}

}  // namespace
