// The batching writer against the real server: INSERTs of batch_rows, the
// rest on time or on flush; rows kept through an outage; failures that will
// not pass stop it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "clickhouse/support.h"
#include "files/support.h"  // sample_flows
#include "sluice/clickhouse_http/writer.h"
#include "sluice/status.h"

namespace sluice::clickhouse_http {
namespace {

using test::ClickHouseServer;
using ::testing::HasSubstr;

ClickHouseServer& server() { return ClickHouseServer::shared(); }

struct Cells {
  std::atomic<std::uint64_t> rows{0}, inserts{0}, bytes{0}, failures{0}, maybe_duplicated{0};
  WriterCounters counters() {
    return {Counter(rows), Counter(inserts), Counter(bytes), Counter(failures), Counter(maybe_duplicated)};
  }
};

class WriterTest : public ::testing::Test {
 protected:
  WriterTest() {
    Endpoint endpoint = Endpoint::from_url(server().url());
    endpoint.user = ClickHouseServer::user;
    endpoint.password = ClickHouseServer::password;
    client = std::make_unique<Client>(endpoint, std::chrono::seconds(10), 2);
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    server().query("DROP TABLE IF EXISTS default." + name);
    table.emplace(FlowTable::open(*client, "default", name, true));
  }

  std::uint64_t stored() const {
    const std::string n = server().query("SELECT count() FROM " + table->name());
    return n.empty() ? 0 : std::stoull(n);
  }

  // `count` flows in batches of `batch` at `now`.
  void write(Writer& writer, std::size_t count, std::size_t batch, Clock::time_point now) {
    for (std::size_t at = 0; at < count; at += batch)
      writer.write(std::span(flows).subspan(at, std::min(batch, count - at)), now);
  }

  std::vector<FlowRecord> flows = sluice::test::sample_flows(3000, 5);
  std::unique_ptr<Client> client;
  std::optional<FlowTable> table;
  Cells cells;
  const Clock::time_point t0 = Clock::now();
};

TEST_F(WriterTest, SendsInsertsOfBatchRowsAndTheRestOnFlush) {
  Writer writer(*client, *table, {.batch_rows = 1000}, cells.counters());
  write(writer, 2500, 300, t0);
  writer.flush();
  EXPECT_EQ(stored(), 2500u);
  EXPECT_EQ(cells.inserts, 3u);
  EXPECT_EQ(cells.rows, 2500u);
  EXPECT_GT(cells.bytes, 2500u * 100);
  EXPECT_EQ(server().query(
                "SELECT count() FROM system.parts WHERE active AND table = 'SendsInsertsOfBatchRowsAndTheRestOnFlush' "
                "AND rows = 1000"),
            "2\n")
      << "batches of 300 split so that each INSERT has batch_rows rows";
}

TEST_F(WriterTest, SendsGatheredRowsOnceBatchTimeoutHasPassed) {
  Writer writer(*client, *table, {.batch_timeout = std::chrono::seconds(1)}, cells.counters());
  write(writer, 10, 10, t0);
  writer.tick(t0 + std::chrono::milliseconds(999));
  EXPECT_EQ(client->running(), 0u) << "not yet";
  writer.tick(t0 + std::chrono::seconds(1));
  EXPECT_EQ(client->running(), 1u);
  writer.flush();
  EXPECT_EQ(stored(), 10u);
  EXPECT_EQ(cells.inserts, 1u);
}

TEST_F(WriterTest, BatchBytesSendsEarlier) {
  Writer writer(*client, *table, {.batch_bytes = std::size_t{100} * 200}, cells.counters());
  write(writer, 1000, 100, t0);
  writer.flush();
  EXPECT_EQ(stored(), 1000u);
  EXPECT_GE(cells.inserts, 5u);
}

TEST_F(WriterTest, KeepsEveryRowWhileTheServerIsDown) {
  Writer writer(*client, *table, {.format = Format::row_binary, .gzip = true, .batch_rows = 1000}, cells.counters());
  server().kill();
  write(writer, 1000, 500, t0);  // taken; the INSERT fails on its way
  EXPECT_THROW(write(writer, 100, 100, t0), TransientError) << "sent again first, and it fails again";
  EXPECT_GE(cells.failures, 2u);
  server().start();
  write(writer, 3000, 500, t0);  // what failed goes first, then the rest
  writer.flush();
  EXPECT_EQ(stored(), 1000u + 3000u) << "the rejected write took nothing";
  EXPECT_EQ(cells.rows, 4000u);
  EXPECT_EQ(cells.maybe_duplicated, 0u) << "a refused connection carried nothing";
}

TEST_F(WriterTest, RowsSentAgainAfterALostAnswerAreCounted) {
  // A server that takes the request and never answers: the INSERT may have
  // been stored, so sending it again may store it twice.
  test::SilentServer silent;
  Endpoint endpoint = Endpoint::from_url(server().url());
  endpoint.port = silent.port();
  Client mute(endpoint, std::chrono::milliseconds(200));
  Writer writer(mute, *table, {.batch_rows = 100}, cells.counters());
  write(writer, 100, 100, t0);
  mute.wait();
  EXPECT_EQ(cells.failures, 1u);
  EXPECT_EQ(cells.maybe_duplicated, 0u);
  EXPECT_THROW(writer.tick(t0), TransientError);
  EXPECT_EQ(cells.maybe_duplicated, 100u);
}

TEST_F(WriterTest, AFailureThatWillNotPassStopsIt) {
  Writer writer(*client, *table, {}, cells.counters());
  write(writer, 500, 100, t0);
  server().query("DROP TABLE " + table->name());
  try {
    writer.flush();
    FAIL() << "flushed into a dropped table";
  } catch (const Error& e) {
    EXPECT_FALSE(e.transient());
    EXPECT_THAT(e.what(), HasSubstr("doesn't exist"));
  }
  EXPECT_TRUE(writer.failed());
  EXPECT_THROW(write(writer, 10, 10, t0), Error);
  EXPECT_EQ(writer.drop(), 500u) << "held: to be counted as lost";
}

TEST_F(WriterTest, DropForgetsWhatIsHeldAndOnItsWay) {
  Writer writer(*client, *table, {.batch_rows = 1000}, cells.counters());
  write(writer, 2500, 500, t0);
  const std::uint64_t dropped = writer.drop();
  EXPECT_EQ(dropped + cells.rows, 2500u);
  EXPECT_GE(dropped, 500u) << "at least the gathering INSERT";
  writer.flush();
  EXPECT_GE(stored(), cells.rows) << "an INSERT dropped on its way may have been stored";
}

}  // namespace
}  // namespace sluice::clickhouse_http
