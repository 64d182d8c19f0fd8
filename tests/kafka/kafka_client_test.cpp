// kafka_client against the mock cluster in this process: the producer says
// how much of a batch its queue took and accounts for every flow it took;
// the consumer's committed offsets cover only what the caller committed.
#include <gtest/gtest.h>

#include <thread>

#include "kafka_mock.h"
#include "process.h"
#include "sluice/kafka_client/consumer.h"
#include "sluice/kafka_client/producer.h"
#include "support.h"

namespace sluice::kafka_client {
namespace {

using namespace std::chrono_literals;

// The run's texts: the sample flows' names, what decoders intern.
InternedTexts run_texts;

struct Tally final : ProducerEvents, ConsumerEvents {
  void log(LogLevel, std::string_view message) override { logged += std::string(message) + "\n"; }
  void delivered(std::uint64_t flows) override { delivered_flows += flows; }
  void failed(std::uint64_t flows, std::string_view) override { failed_flows += flows; }
  void retried(std::uint64_t) override {}
  void message(std::string_view, std::int32_t, std::size_t) override { ++messages; }
  void malformed(std::string_view, std::int32_t, std::int64_t) override { ++malformed_messages; }

  TextTable& texts = run_texts;
  std::string logged;
  std::uint64_t delivered_flows = 0, failed_flows = 0, messages = 0, malformed_messages = 0;
};

std::vector<FlowRecord> kafka_sample_flows(std::size_t count) { return test::kafka_sample_flows(count, run_texts); }

std::vector<std::string> brokers_of(const testing::KafkaMockCluster& cluster) { return {cluster.bootstrap_servers()}; }

TEST(FlowProducer, TakesWhatItsQueueHoldsAndAccountsForEveryFlowItTook) {
  testing::KafkaMockCluster cluster;
  cluster.create_topic("flows", 2);
  Tally tally;
  const ProducerConfig config{.brokers = brokers_of(cluster),
                              .topic = "flows",
                              .flows_per_message = 1,
                              .properties = {{"queue.buffering.max.messages", "100"}, {"linger.ms", "100"}}};
  FlowProducer producer(config, tally);
  producer.start();
  const auto flows = kafka_sample_flows(1000);
  const auto messages = MessageEncoder(config, tally.texts).encode(flows);
  ASSERT_EQ(messages.messages.size(), flows.size());
  std::size_t taken = producer.send(messages, 0);
  EXPECT_GE(taken, 1u);
  EXPECT_LE(taken, 100u) << "no more than the queue holds";
  EXPECT_EQ(producer.unacknowledged(), taken);
  while (taken < flows.size()) {
    producer.poll(10ms);
    taken += producer.send(messages, taken);
  }
  EXPECT_TRUE(producer.flush(10s));
  EXPECT_EQ(tally.delivered_flows, flows.size());
  EXPECT_EQ(tally.failed_flows, 0u);
  EXPECT_EQ(producer.unacknowledged(), 0u);
}

TEST(FlowProducer, PurgeReturnsWhatWasNotAcknowledgedAndReportsNoFailures) {
  Tally tally;
  const auto port = std::to_string(testing::free_tcp_port());  // nobody listens
  const ProducerConfig config{.brokers = {"127.0.0.1:" + port}, .topic = "flows"};
  FlowProducer producer(config, tally);
  producer.start();
  const auto messages = MessageEncoder(config, tally.texts).encode(kafka_sample_flows(500));
  EXPECT_EQ(producer.send(messages, 0), messages.messages.size());
  EXPECT_FALSE(producer.flush(200ms));
  EXPECT_EQ(producer.purge(), 500u);
  producer.poll(100ms);
  EXPECT_EQ(tally.failed_flows, 0u);
  EXPECT_EQ(tally.delivered_flows, 0u);
  EXPECT_NE(tally.logged.find("no broker reachable of 127.0.0.1:" + port), std::string::npos) << tally.logged;
}

TEST(FlowProducer, PacksConsecutiveFlowsOfOneKeyIntoAMessage) {
  testing::KafkaMockCluster cluster;
  cluster.create_topic("flows", 1);
  Tally tally;
  auto flows = kafka_sample_flows(100);
  for (std::size_t i = 0; i < flows.size(); ++i) {
    flows[i].exporter = IpAddress::v4(i < 70 ? 1 : 2);
    flows[i].set_present(Element::exporter);
  }
  const ProducerConfig config{
      .brokers = brokers_of(cluster), .topic = "flows", .key = Key::exporter, .flows_per_message = 50};
  FlowProducer producer(config, tally);
  producer.start();
  const auto messages = MessageEncoder(config, tally.texts).encode(flows);
  EXPECT_EQ(producer.send(messages, 0), messages.messages.size());
  EXPECT_TRUE(producer.flush(10s));

  // 50 + 20 of the first exporter, 30 of the second: three messages.
  FlowConsumer consumer({.brokers = brokers_of(cluster),
                         .topics = {"flows"},
                         .group = "packed",
                         .start = Start::earliest,
                         .properties = {{"session.timeout.ms", "6000"}}},
                        tally, tally.texts);
  consumer.start();
  std::vector<FlowRecord> read;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       read.size() < flows.size() && std::chrono::steady_clock::now() < deadline;)
    consumer.poll(read, 1000, 100ms);
  EXPECT_EQ(tally.messages, 3u);
  ASSERT_EQ(read.size(), flows.size());
  for (std::size_t i = 0; i < flows.size(); ++i) EXPECT_EQ(read[i].exporter, flows[i].exporter);
}

// Read, not committed, closed: the next member of the group reads it again.
// Handed on, closed: the next member starts after it.
TEST(FlowConsumer, CommitsOnlyWhatWasHandedOn) {
  testing::KafkaMockCluster cluster;
  cluster.create_topic("flows", 1);
  Tally tally;
  const auto flows = kafka_sample_flows(300);
  {
    // JSON carries every field: the flows read back compare whole.
    const ProducerConfig config{.brokers = brokers_of(cluster), .topic = "flows", .format = flowcodec::Format::json};
    FlowProducer producer(config, tally);
    producer.start();
    const auto messages = MessageEncoder(config, tally.texts).encode(flows);
    ASSERT_EQ(producer.send(messages, 0), messages.messages.size());
    ASSERT_TRUE(producer.flush(10s));
  }
  const ConsumerConfig config{.brokers = brokers_of(cluster),
                              .topics = {"flows"},
                              .group = "g",
                              .format = flowcodec::Format::json,
                              .start = Start::earliest,
                              .properties = {{"session.timeout.ms", "6000"}}};
  const auto read_until = [&](FlowConsumer& consumer, std::size_t at_least) {
    std::vector<FlowRecord> read;
    for (auto deadline = std::chrono::steady_clock::now() + 30s;
         read.size() < at_least && std::chrono::steady_clock::now() < deadline;)
      consumer.poll(read, at_least, 100ms);
    return read;
  };
  {
    FlowConsumer consumer(config, tally, tally.texts);
    consumer.start();
    EXPECT_EQ(read_until(consumer, 100).size(), 100u);  // never committed
  }
  {
    FlowConsumer consumer(config, tally, tally.texts);
    consumer.start();
    const auto read = read_until(consumer, 100);
    ASSERT_EQ(read.size(), 100u);
    EXPECT_EQ(read.front(), flows.front()) << "the first 100 again";
    consumer.commit(consumer.take_positions());
  }
  FlowConsumer consumer(config, tally, tally.texts);
  consumer.start();
  const auto rest = read_until(consumer, 200);
  ASSERT_EQ(rest.size(), 200u);
  EXPECT_EQ(rest.front(), flows[100]);
  EXPECT_EQ(rest.back(), flows.back());
  std::vector<FlowRecord> more;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       !consumer.at_end() && std::chrono::steady_clock::now() < deadline;)
    consumer.poll(more, 100, 100ms);
  EXPECT_TRUE(consumer.at_end());
  EXPECT_TRUE(more.empty());
}

TEST(Properties, AreNameValuePairsAndSomeAreSluices) {
  EXPECT_EQ(parse_properties(std::vector<std::string>{"linger.ms=20", "sasl.password=a=b"}),
            (Properties{{"linger.ms", "20"}, {"sasl.password", "a=b"}}));
  EXPECT_THROW(parse_properties(std::vector<std::string>{"=1"}), PropertyError);
  Tally tally;
  EXPECT_THROW(FlowProducer({.brokers = {"b:9092"}, .topic = "t", .properties = {{"log.queue", "false"}}}, tally),
               PropertyError);
  EXPECT_THROW(FlowProducer({.brokers = {"b:9092"}, .topic = "t", .properties = {{"linger.ms", "soon"}}}, tally),
               PropertyError);
  EXPECT_THROW(FlowConsumer({.brokers = {"b:9092"}, .topics = {"t"}, .group = "g", .properties = {{"group.id", "x"}}},
                            tally, tally.texts),
               PropertyError);
  EXPECT_NO_THROW(
      FlowProducer({.brokers = {"b:9092"}, .topic = "t", .properties = {{"enable.idempotence", "false"}}}, tally));
}

}  // namespace
}  // namespace sluice::kafka_client
