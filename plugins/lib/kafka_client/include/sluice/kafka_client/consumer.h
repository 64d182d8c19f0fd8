// Flows from Kafka topics: a member of a consumer group. Offsets are stored
// (and committed by librdkafka every auto.commit.interval.ms, and on close)
// only for the messages the caller says are delivered: at least once across
// restarts, none skipped.
#pragma once

#include <sluice/host.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/flowcodec/format.h"
#include "sluice/kafka_client/properties.h"

namespace sluice::kafka_client {

enum class Start {
  earliest,  // a group without committed offsets reads from each partition's start
  latest,    // ... from what comes next
};

struct ConsumerConfig {
  std::vector<std::string> brokers{};
  std::vector<std::string> topics{};
  std::string group{};
  flowcodec::Format format = flowcodec::Format::protobuf;
  Start start = Start::latest;
  Properties properties{};
};

// Where reading goes on in each partition: the offset after the last
// message read, by (topic, partition).
using Positions = std::map<std::pair<std::string, std::int32_t>, std::int64_t>;

class ConsumerEvents {
 public:
  virtual void log(LogLevel level, std::string_view message) = 0;
  // A message read: how many flows it held.
  virtual void message(std::string_view topic, std::int32_t partition, std::size_t flows) = 0;
  // A message that is not (all) flows of the format; what could be read of
  // it is kept.
  virtual void malformed(std::string_view topic, std::int32_t partition, std::int64_t offset) = 0;

 protected:
  ~ConsumerEvents() = default;
};

class FlowConsumer {
 public:
  // Checks the configuration (throws PropertyError); no connection yet.
  // The texts of messages (names) are interned into `texts`.
  FlowConsumer(ConsumerConfig config, ConsumerEvents& events, TextTable& texts);
  // Commits what was stored (commit()) and leaves the group.
  ~FlowConsumer();
  FlowConsumer(const FlowConsumer&) = delete;
  FlowConsumer& operator=(const FlowConsumer&) = delete;

  // Joins the group and subscribes to the topics.
  void start();

  // Appends the flows of the messages that come within `wait` to `out`,
  // returning early once it holds `max_flows` or more. Throws
  // std::runtime_error once librdkafka has failed for good.
  void poll(std::vector<FlowRecord>& out, std::size_t max_flows, std::chrono::milliseconds wait);

  // The positions after what poll() returned since the last call.
  Positions take_positions();
  // What lies before `positions` is delivered: they are committed (unless a
  // partition has gone to another member meanwhile: it reads those again).
  void commit(const Positions& positions);

  // Every partition assigned to this member has been read to its end (the
  // end at the time: more may come).
  bool at_end() const;

  // Commits what was stored (commit()) and leaves the group.
  void close();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::kafka_client
