// pipelines/sampled-archive.toml end to end: generated flows exported as
// NetFlow v9, collected, sampled 1:10 with renormalisation and archived;
// nfdump -R shows every tenth flow with packets and bytes times ten.
#include "process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using namespace sluice::testing;

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

}  // namespace

TEST(SampledArchive, NfdumpShowsOneFlowInTenWithScaledCounters) {
  TempDir dir;
  const unsigned short port = free_udp_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  Process collector({sluice_exe(), "run", "sampled-archive", "--stats-interval", "0", "--set",
                     "sources.netflow.listen=" + listen, "--set", "sinks.archive.path=" + (dir / "archive").string()},
                    {.cwd = dir.path(), .env = {}});
  ASSERT_TRUE(eventually([&] { return udp_port_bound(port); })) << collector.wait().err;

  const auto sender = run_sluice({"run",
                                  dir.write("send.toml", R"([sources.gen]
plugin = "generator"
count = 20000
seed = 3
rate = 200000
[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
version = 9
target = ")" + listen + R"("
[sinks.sent]
plugin = "csv_writer"
inputs = ["gen"]
path = "sent.csv"
header = false
fields = ["src_addr", "dst_addr", "packets", "bytes"]
)")
                                      .string(),
                                  "--stats-interval", "0"},
                                 {.cwd = dir.path(), .env = {}});
  ASSERT_EQ(sender.exit_code, 0) << sender.err;
  ASSERT_TRUE(eventually([&] { return udp_receive_queue_empty(port); })) << "the collector read every datagram";
  collector.signal(SIGINT);
  const auto collected = collector.wait();
  ASSERT_EQ(collected.exit_code, 0) << collected.err;

  std::multimap<std::pair<std::string, std::string>, std::pair<std::uint64_t, std::uint64_t>> sent;
  for (const auto& line : split(read_file(dir / "sent.csv"), '\n')) {
    const auto f = split(line, ',');
    ASSERT_EQ(f.size(), 4u) << line;
    sent.emplace(std::pair{f[0], f[1]}, std::pair{std::stoull(f[2]), std::stoull(f[3])});
  }
  ASSERT_EQ(sent.size(), 20000u);

  const auto nfdump =
      run({"nfdump", "-R", (dir / "archive").string(), "-o", "csv", "-q"}, {.cwd = {}, .env = {{"TZ", "UTC"}}});
  ASSERT_EQ(nfdump.exit_code, 0) << nfdump.err;
  const auto lines = split(nfdump.out, '\n');
  EXPECT_EQ(lines.size(), 2000u) << "1 in 10 of 20000";
  for (const auto& line : lines) {
    const auto f = split(line, ',');  // ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,...
    ASSERT_GT(f.size(), 12u) << line;
    const std::uint64_t packets = std::stoull(f[11]), bytes = std::stoull(f[12]);
    bool found = false;
    for (auto [it, end] = sent.equal_range({f[3], f[4]}); it != end && !found; ++it)
      found = it->second.first * 10 == packets && it->second.second * 10 == bytes;
    EXPECT_TRUE(found) << "no sent flow with a tenth of these counters: " << line;
  }
}
