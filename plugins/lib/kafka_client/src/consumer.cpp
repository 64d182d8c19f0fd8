#include "sluice/kafka_client/consumer.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <utility>

#include "client.h"

namespace sluice::kafka_client {
namespace {

constexpr Reserved reserved[] = {
    {"bootstrap.servers", "use the option `brokers`"},
    {"metadata.broker.list", "use the option `brokers`"},
    {"group.id", "use the option `group`"},
    {"auto.offset.reset", "use the option `start`"},
    {"enable.auto.offset.store", "sluice stores an offset once its flows are delivered"},
    {"enable.partition.eof", "sluice uses it to know where a partition ends"},
    {"log.queue", "sluice serves librdkafka's logs on the source's thread"},
};

using Partition = Positions::key_type;  // topic, partition

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const noexcept { rd_kafka_message_destroy(m); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const noexcept { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

}  // namespace

struct FlowConsumer::State final : detail::Client {
  State(ConsumerConfig c, ConsumerEvents& e, TextTable& texts)
      : Client(defaults(c), c.properties, detail::bootstrap_servers(c.brokers),
               [&e](LogLevel level, std::string_view message) { e.log(level, message); }),
        config(std::move(c)),
        events(e),
        decoder(flowcodec::make_decoder(config.format, texts)) {
    refuse_reserved(config.properties, reserved);
    if (config.topics.empty()) throw PropertyError("no topics");
    if (config.group.empty()) throw PropertyError("no group");
  }

  static Properties defaults(const ConsumerConfig& c) {
    return {{"bootstrap.servers", detail::bootstrap_servers(c.brokers)},
            {"group.id", c.group},
            {"auto.offset.reset", c.start == Start::earliest ? "earliest" : "latest"},
            // librdkafka commits what is stored, every auto.commit.interval.ms
            // and on close; sluice stores only what was delivered.
            {"enable.auto.commit", "true"},
            {"enable.auto.offset.store", "false"},
            {"enable.partition.eof", "true"},
            {"log.queue", "true"}};
  }

  void take(const rd_kafka_message_t& m, std::vector<FlowRecord>& out) {
    if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR && m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // A subscribed topic that does not exist, a broker's refusal: the
      // consumer carries on (and says so).
      log(LogLevel::warning, m.rkt ? fmt::format("Kafka: {} [{}]: {}", rd_kafka_topic_name(m.rkt), m.partition,
                                                 rd_kafka_message_errstr(&m))
                                   : fmt::format("Kafka: {}", rd_kafka_message_errstr(&m)));
      return;
    }
    const std::string_view topic = rd_kafka_topic_name(m.rkt);
    Partition where{std::string(topic), m.partition};
    if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(std::move(where));
      return;
    }
    at_end.erase(where);
    const std::size_t before = out.size();
    const std::string_view payload(static_cast<const char*>(m.payload), m.len);
    if (!decoder->decode(payload, out)) events.malformed(topic, m.partition, m.offset);
    events.message(topic, m.partition, out.size() - before);
    next_offsets[std::move(where)] = m.offset + 1;
  }

  ConsumerConfig config;
  ConsumerEvents& events;
  std::unique_ptr<flowcodec::Decoder> decoder;
  Positions next_offsets;  // after what poll returned since take_positions()
  std::set<Partition> at_end;
  bool closed = false;
};

FlowConsumer::FlowConsumer(ConsumerConfig config, ConsumerEvents& events, TextTable& texts)
    : state_(std::make_unique<State>(std::move(config), events, texts)) {}

FlowConsumer::~FlowConsumer() {
  try {
    close();
  } catch (const std::exception& e) {
    state_->events.log(LogLevel::warning, e.what());
  }
}

void FlowConsumer::start() {
  State& s = *state_;
  s.create(RD_KAFKA_CONSUMER);
  rd_kafka_poll_set_consumer(s.handle());  // logs and errors come with the messages
  PartitionList topics(rd_kafka_topic_partition_list_new(static_cast<int>(s.config.topics.size())));
  for (const auto& topic : s.config.topics)
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (const auto error = rd_kafka_subscribe(s.handle(), topics.get()))
    throw std::runtime_error(
        fmt::format("cannot subscribe to {}: {}", fmt::join(s.config.topics, ", "), rd_kafka_err2str(error)));
}

void FlowConsumer::poll(std::vector<FlowRecord>& out, std::size_t max_flows, std::chrono::milliseconds wait) {
  State& s = *state_;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (out.size() < max_flows) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const Message m(rd_kafka_consumer_poll(s.handle(), static_cast<int>(std::max<std::int64_t>(left.count(), 0))));
    s.throw_if_fatal();
    if (m) s.take(*m, out);
    if (!m || left.count() <= 0) break;
  }
}

Positions FlowConsumer::take_positions() { return std::exchange(state_->next_offsets, {}); }

void FlowConsumer::commit(const Positions& positions) {
  State& s = *state_;
  if (positions.empty() || s.closed) return;
  PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(positions.size())));
  for (const auto& [where, offset] : positions)
    rd_kafka_topic_partition_list_add(offsets.get(), where.first.c_str(), where.second)->offset = offset;
  // A partition taken from this member meanwhile refuses its offset: its new
  // owner reads those messages again (at least once).
  rd_kafka_offsets_store(s.handle(), offsets.get());
}

bool FlowConsumer::at_end() const {
  const State& s = *state_;
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(s.handle(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  const PartitionList assigned(raw);
  if (assigned->cnt == 0) return false;
  for (int i = 0; i < assigned->cnt; ++i) {
    const auto& p = assigned->elems[i];
    if (!s.at_end.contains({p.topic, p.partition})) return false;
  }
  return true;
}

void FlowConsumer::close() {
  State& s = *state_;
  if (!s.handle() || s.closed) return;
  s.closed = true;
  // With enable.auto.commit, closing commits what was stored, and leaves the group.
  if (const auto error = rd_kafka_consumer_close(s.handle()))
    s.events.log(LogLevel::warning, fmt::format("Kafka: closing the consumer: {}", rd_kafka_err2str(error)));
}

}  // namespace sluice::kafka_client
