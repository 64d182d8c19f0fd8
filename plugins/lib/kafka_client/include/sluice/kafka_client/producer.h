// Flows to a Kafka topic: consecutive flows of one key packed into a message
// (up to flows_per_message) by a MessageEncoder, on any thread; librdkafka's
// producer, asynchronous. It takes as many of a batch's messages as
// librdkafka's queue holds and says how many that was, so that a caller
// never offers the same flow twice, and it accounts for every flow it took:
// delivered, failed for good, or still unacknowledged.
#pragma once

#include <sluice/host.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/flowcodec/format.h"
#include "sluice/kafka_client/properties.h"

namespace sluice::kafka_client {

// What decides a message's partition: its key.
enum class Key {
  none,      // no key: librdkafka spreads messages over the partitions
  exporter,  // the exporter's address (4 or 16 bytes): one exporter, one partition
  flow,      // a hash of the 5-tuple (8 bytes): one conversation's direction, one partition
};

// Flows a message by default: a message's cost in librdkafka (about 1 CPU
// microsecond, with its delivery report) is four times a FlowMessage's
// encoding, so protobuf packs 64 (6 KB): length-delimited FlowMessages one
// after another, which ClickHouse's Protobuf format and protodelim readers
// take as they take one. JSON and CSV keep one object or row a message, as
// GoFlow2 and nfacctd write them.
std::size_t flows_per_message_default(flowcodec::Format format) noexcept;

struct ProducerConfig {
  std::vector<std::string> brokers{};  // "host:port"
  std::string topic{};
  flowcodec::Format format = flowcodec::Format::protobuf;
  csv::TimeFormat time_format = csv::TimeFormat::iso;
  Key key = Key::none;
  std::string compression = "none";  // librdkafka's compression.type: none, gzip, snappy, lz4, zstd
  // Consecutive flows of one key share a message, up to this many; 0: the
  // format's default (flows_per_message_default).
  std::size_t flows_per_message = 0;
  Properties properties{};  // librdkafka's, applied after sluice's own (bootstrap.servers ...)
};

// A message's key and what it is made of, compared to group flows.
struct MessageKey {
  char bytes[16];
  std::size_t size = 0;

  bool operator==(const MessageKey& other) const;
};

// Flows as the messages FlowProducer sends them, encoded apart from any
// producer (on a worker): each message's bytes end where the next begin.
struct EncodedMessages {
  struct Message {
    std::size_t end;    // in `bytes`
    std::size_t flows;  // the flows it holds, from the first not in an earlier message
    MessageKey key;
  };
  csv::Buffer bytes;
  std::vector<Message> messages;
};

// Packs consecutive flows of one key into a message, up to flows_per_message.
class MessageEncoder {
 public:
  MessageEncoder(const ProducerConfig& config, const TextTable& texts);

  // Appends the next message, made of flows from the front of `flows`, to
  // `out` and sets its `key`; returns how many flows it holds.
  std::size_t append(std::span<const FlowRecord> flows, csv::Buffer& out, MessageKey& key);
  // Every message of `flows`.
  EncodedMessages encode(std::span<const FlowRecord> flows);

 private:
  Key key_;
  std::size_t flows_per_message_;
  std::unique_ptr<flowcodec::Encoder> encoder_;
};

// What the producer reports, on the thread that calls it.
class ProducerEvents {
 public:
  virtual void log(LogLevel level, std::string_view message) = 0;
  virtual void delivered(std::uint64_t flows) = 0;
  // Flows that will not be delivered: a broker refused them, or their
  // message.timeout.ms ran out. Not called for flows purge() dropped.
  virtual void failed(std::uint64_t flows, std::string_view error) = 0;
  // Produce requests librdkafka sent again (its statistics' txretries).
  virtual void retried(std::uint64_t requests) = 0;

 protected:
  ~ProducerEvents() = default;
};

class FlowProducer {
 public:
  // Checks the configuration (throws PropertyError); no connection yet.
  FlowProducer(ProducerConfig config, ProducerEvents& events);
  ~FlowProducer();
  FlowProducer(const FlowProducer&) = delete;
  FlowProducer& operator=(const FlowProducer&) = delete;

  // Creates librdkafka's producer: its threads connect from now on.
  void start();

  // Hands messages from the `from`th of `messages` on to librdkafka until
  // its queue is full; returns how many it took. Serves delivery reports
  // first. Throws std::runtime_error once librdkafka has failed for good (a
  // fatal error).
  std::size_t send(const EncodedMessages& messages, std::size_t from);

  // Serves delivery reports, logs and errors, waiting up to `wait` for one.
  void poll(std::chrono::milliseconds wait = std::chrono::milliseconds(0));

  // Waits up to `wait` for every flow taken to be acknowledged; true when
  // none is left.
  bool flush(std::chrono::milliseconds wait);

  // Flows taken and not acknowledged yet (queued or in flight).
  std::uint64_t unacknowledged() const noexcept;
  // Flows of the messages send() has taken, counted from the first.
  std::uint64_t taken() const noexcept;
  // The first settled() flows taken are settled: delivered, or failed for
  // good (reported through ProducerEvents).
  std::uint64_t settled() const noexcept;

  // Drops what librdkafka still holds and returns how many flows that was;
  // reports of messages already under way are ignored from now on.
  std::uint64_t purge();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::kafka_client
