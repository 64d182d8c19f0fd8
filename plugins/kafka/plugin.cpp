// kafka: flows to a Kafka topic (sink) and from Kafka topics (source), in
// GoFlow2's protobuf, JSON or CSV. The client is kafka_client's (librdkafka);
// these adapters hold the options, the metrics and the engine's delivery
// contract.
#include <sluice/clock.h>
#include <sluice/delivered_prefix.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <utility>

#include "sluice/kafka_client/consumer.h"
#include "sluice/kafka_client/producer.h"

namespace {

using namespace std::chrono_literals;
using sluice::OptionSpec;
using sluice::OptionType;
namespace kafka = sluice::kafka_client;

constexpr std::string_view brokers_help = "bootstrap brokers, \"host:port\" (more are found from them)";
constexpr std::string_view format_help =
    "\"protobuf\": GoFlow2's FlowMessage, length-delimited; \"json\": an object keyed as csv_writer's fields; "
    "\"csv\": csv_writer's default layout, no header";
constexpr std::string_view librdkafka_help =
    "librdkafka properties as \"name=value\" (TLS, SASL, linger.ms, batch.size ...), applied over sluice's";

constexpr OptionSpec sink_options[] = {
    {.name = "brokers", .type = OptionType::string_list, .help = brokers_help, .required = true},
    {.name = "topic", .type = OptionType::string, .help = "the topic to produce to", .required = true},
    {.name = "format",
     .type = OptionType::string,
     .default_value = "\"protobuf\"",
     .help = format_help,
     .choices = "protobuf|json|csv"},
    {.name = "time_format",
     .type = OptionType::string,
     .default_value = "\"iso\"",
     .help = "json and csv: times in ISO 8601 UTC with milliseconds, or epoch milliseconds",
     .choices = "iso|epoch_ms"},
    {.name = "key",
     .type = OptionType::string,
     .default_value = "\"none\"",
     .help = "what picks a message's partition: none (spread), the exporter's address, or a hash of the 5-tuple",
     .choices = "none|exporter|flow"},
    {.name = "compression",
     .type = OptionType::string,
     .default_value = "\"none\"",
     .help = "compression of message batches",
     .choices = "none|gzip|snappy|lz4|zstd"},
    {.name = "flows_per_message",
     .type = OptionType::integer,
     .default_value = "0",
     .help = "up to N consecutive flows of one key share a message; 0: 64 for protobuf (length-delimited "
             "FlowMessages one after another), 1 for json and csv (one a message, as GoFlow2)",
     .min = "0",
     .max = "100000"},
    {.name = "librdkafka", .type = OptionType::string_list, .default_value = "[]", .help = librdkafka_help},
};

constexpr OptionSpec source_options[] = {
    {.name = "brokers", .type = OptionType::string_list, .help = brokers_help, .required = true},
    {.name = "topics", .type = OptionType::string_list, .help = "the topics to consume", .required = true},
    {.name = "group",
     .type = OptionType::string,
     .default_value = "\"sluice\"",
     .help = "consumer group: its members share the partitions, its committed offsets survive restarts"},
    {.name = "format",
     .type = OptionType::string,
     .default_value = "\"protobuf\"",
     .help = format_help,
     .choices = "protobuf|json|csv"},
    {.name = "start",
     .type = OptionType::string,
     .default_value = "\"latest\"",
     .help = "where a group without committed offsets begins: each partition's earliest message, or what comes next",
     .choices = "earliest|latest"},
    {.name = "stop_at_end",
     .type = OptionType::boolean,
     .default_value = "false",
     .help = "end once every assigned partition has been read to its end (as kcat -e): convert what a topic holds"},
    sluice::batch_size_option("1024"),
    {.name = "librdkafka", .type = OptionType::string_list, .default_value = "[]", .help = librdkafka_help},
};

// How often the sink serves delivery reports and retries what the queue held back.
constexpr auto sink_tick = 100ms;
// How long consume() waits for room in librdkafka's queue, in steps, before
// it refuses a batch (the engine then backs off).
constexpr auto queue_full_wait = 500ms;
constexpr auto queue_full_step = 5ms;
// How long finish() waits for acknowledgements before the engine tries again.
constexpr auto flush_step = 1s;
constexpr auto source_wait = 100ms;
constexpr auto warning_interval = 10s;

sluice::flowcodec::Format format_from(const sluice::Options& options) {
  return *sluice::flowcodec::parse_format(options.string("format"));  // the engine checked the choices
}

kafka::Properties properties_from(const sluice::Options& options) {
  try {
    return kafka::parse_properties(options.strings("librdkafka"));
  } catch (const kafka::PropertyError& e) {
    throw sluice::OptionError("librdkafka", e.what());
  }
}

// A client constructor's refusal: of an option's own value, or of a property.
template <class Make>
auto checked(Make&& make) {
  try {
    return make();
  } catch (const kafka::PropertyError& e) {
    throw sluice::OptionError("librdkafka", e.what());
  }
}

// `buffered`: a disk buffer waits for the sink's acknowledgements, so a
// message never expires (message.timeout.ms = 0, unless set): librdkafka
// keeps sending it until the brokers are back, and the buffer takes the
// backlog meanwhile.
kafka::ProducerConfig producer_config(const sluice::Options& options, bool buffered) {
  kafka::ProducerConfig c;
  c.brokers = options.strings("brokers");
  if (c.brokers.empty()) throw sluice::OptionError("brokers", "give at least one \"host:port\"");
  c.topic = options.string("topic");
  if (c.topic.empty()) throw sluice::OptionError("topic", "must not be empty");
  c.format = format_from(options);
  c.time_format =
      options.string("time_format") == "epoch_ms" ? sluice::csv::TimeFormat::epoch_ms : sluice::csv::TimeFormat::iso;
  const std::string& key = options.string("key");
  c.key = key == "exporter" ? kafka::Key::exporter : key == "flow" ? kafka::Key::flow : kafka::Key::none;
  c.compression = options.string("compression");
  c.flows_per_message = static_cast<std::size_t>(options.integer("flows_per_message"));
  c.properties = properties_from(options);
  if (buffered) c.properties.insert(c.properties.begin(), {"message.timeout.ms", "0"});
  return c;
}

// The engine's delivery contract over librdkafka's queue: a batch the queue
// cannot take whole is held (the rest of it), and consume() refuses the next
// batch (TransientError: none of it taken) until what is held has gone in.
class KafkaSink final : kafka::ProducerEvents {
 public:
  // A batch is delivered once the brokers have acknowledged (or refused for
  // good) every message of its flows and of the batches before it.
  static constexpr bool acknowledges_later = true;

  KafkaSink(const sluice::Options& options, sluice::Host& host)
      : host_(host),
        topic_(options.string("topic")),
        producer_(checked([&] {
          return kafka::FlowProducer(producer_config(options, host.acknowledgements_awaited()), *this, host.texts());
        })),
        delivered_(host.counter("delivered_flows_total", "Flows the brokers acknowledged", {{"topic", topic_}})),
        failed_(host.counter("failed_flows_total", "Flows that will not be delivered (refused, or timed out)",
                             {{"topic", topic_}})),
        retried_(host.counter("retried_requests_total", "Produce requests librdkafka sent again", {{"topic", topic_}})),
        unacknowledged_(
            host.gauge("unacknowledged_flows", "Flows in librdkafka's queue or in flight", {{"topic", topic_}})) {}

  void start() { producer_.start(); }

  void consume(const sluice::BatchPtr& batch) {
    // A full queue is most often librdkafka's broker thread behind by a few
    // milliseconds: wait for it here rather than have the engine back off
    // (100 ms at least) before the next batch.
    for (auto waited = 0ms; !send_held() && waited < queue_full_wait; waited += queue_full_step)
      producer_.poll(queue_full_step);
    if (!send_held())
      throw sluice::TransientError(
          fmt::format("librdkafka's queue is full ({} flows unacknowledged): brokers slow "
                      "or away",
                      producer_.unacknowledged()));
    held_ = batch;
    held_from_ = 0;
    unsettled_.taken(batch->id, producer_.taken() + batch->records.size());
    send_held();
    acknowledge_settled();
  }

  std::chrono::milliseconds tick_period() const { return sink_tick; }

  void tick() {
    producer_.poll();
    send_held();
    acknowledge_settled();
  }

  // Retried by the engine until drain_timeout: then abandon().
  void finish() {
    if (abandoned_) return;
    const bool flushed = send_held() && producer_.flush(flush_step);
    acknowledge_settled();
    if (!flushed) {
      throw sluice::TransientError(
          fmt::format("{} flows not acknowledged by the brokers yet", held_count() + producer_.unacknowledged()));
    }
    unacknowledged_.set(0);
  }

  std::uint64_t abandon() {
    abandoned_ = true;
    unsettled_.clear();  // purged, never to be acknowledged
    const std::uint64_t dropped = held_count() + producer_.purge();
    held_.reset();
    unacknowledged_.set(0);
    return dropped;
  }

  std::string report() const {
    std::string r = fmt::format("  {} flows delivered to topic {}", delivered_.value(), topic_);
    if (const auto failed = failed_.value()) r += fmt::format(", {} failed", failed);
    if (const auto retried = retried_.value()) r += fmt::format(", {} produce requests retried", retried);
    return r + "\n";
  }

 private:
  // The batches whose flows, and every earlier one, are settled.
  void acknowledge_settled() {
    unsettled_.delivered(producer_.settled(), host_);
    unacknowledged_.set(static_cast<double>(producer_.unacknowledged()));
  }

  std::uint64_t held_count() const { return held_ ? held_->records.size() - held_from_ : 0; }

  // Offers what is held to the producer; true when nothing is held any more.
  bool send_held() {
    if (!held_) return true;
    const std::span<const sluice::FlowRecord> rest = std::span(held_->records).subspan(held_from_);
    held_from_ += producer_.send(rest);
    if (held_from_ < held_->records.size()) return false;
    held_.reset();
    return true;
  }

  // kafka::ProducerEvents
  void log(sluice::LogLevel level, std::string_view message) override { host_.log(level, message); }
  void delivered(std::uint64_t flows) override { delivered_.add(flows); }
  void failed(std::uint64_t flows, std::string_view error) override {
    failed_.add(flows);
    host_.count_lost(flows);
    failures_unlogged_ += flows;
    if (failure_log_.allow()) {
      host_.log(sluice::LogLevel::error,
                fmt::format("{} flows not delivered to topic {}: {}", failures_unlogged_, topic_, error));
      failures_unlogged_ = 0;
    }
  }
  void retried(std::uint64_t requests) override { retried_.add(requests); }

  sluice::Host& host_;
  const std::string topic_;
  kafka::FlowProducer producer_;
  sluice::Counter delivered_;
  sluice::Counter failed_;
  sluice::Counter retried_;
  sluice::Gauge unacknowledged_;
  sluice::DeliveredPrefix unsettled_;  // batches by the producer's flows
  sluice::BatchPtr held_;              // the batch the producer has not taken all of
  std::size_t held_from_ = 0;
  bool abandoned_ = false;
  sluice::RateLimit failure_log_{warning_interval};
  std::uint64_t failures_unlogged_ = 0;
};

kafka::ConsumerConfig consumer_config(const sluice::Options& options) {
  kafka::ConsumerConfig c;
  c.brokers = options.strings("brokers");
  if (c.brokers.empty()) throw sluice::OptionError("brokers", "give at least one \"host:port\"");
  c.topics = options.strings("topics");
  if (c.topics.empty()) throw sluice::OptionError("topics", "give at least one topic");
  c.group = options.string("group");
  if (c.group.empty()) throw sluice::OptionError("group", "must not be empty");
  c.format = format_from(options);
  c.start = options.string("start") == "earliest" ? kafka::Start::earliest : kafka::Start::latest;
  c.properties = properties_from(options);
  return c;
}

// Emits each poll's flows as one batch, and commits the offsets after it
// once the engine says every sink has delivered it and every batch before:
// what was not delivered is read again after a restart.
class KafkaSource final : kafka::ConsumerEvents {
 public:
  KafkaSource(const sluice::Options& options, sluice::Host& host)
      : host_(host),
        format_(options.string("format")),
        stop_at_end_(options.boolean("stop_at_end")),
        batch_size_(options.integer("batch_size")),
        consumer_(checked([&] { return kafka::FlowConsumer(consumer_config(options), *this, host.texts()); })),
        flows_(host.counter("flows_total", "Flows read from messages")) {}

  void start() { consumer_.start(); }

  bool poll(sluice::Emitter& out) {
    auto batch = sluice::make_batch(static_cast<std::size_t>(batch_size_));
    consumer_.poll(batch->records, static_cast<std::size_t>(batch_size_), source_wait);
    flows_.add(batch->records.size());
    kafka::Positions positions = consumer_.take_positions();
    if (!batch->records.empty()) {
      const sluice::BatchPtr sent = std::move(batch);
      out.emit(sent);  // which gives it its id
      unsettled_.push_back({sent->id.sequence, std::move(positions), false});
    } else if (!unsettled_.empty()) {
      // Messages without flows: committed with the batch before them.
      for (auto& [where, offset] : positions) unsettled_.back().positions[where] = offset;
    } else {
      consumer_.commit(positions);
    }
    return !(stop_at_end_ && consumer_.at_end());
  }

  // Offsets are committed in the order batches were emitted, up to the first
  // one not delivered yet.
  void delivered(sluice::BatchId batch) {
    const auto it = std::lower_bound(unsettled_.begin(), unsettled_.end(), batch.sequence,
                                     [](const Unsettled& u, std::uint64_t sequence) { return u.sequence < sequence; });
    if (it == unsettled_.end() || it->sequence != batch.sequence) return;
    it->delivered = true;
    while (!unsettled_.empty() && unsettled_.front().delivered) {
      consumer_.commit(unsettled_.front().positions);
      unsettled_.pop_front();
    }
  }

  std::string report() const {
    std::string r = fmt::format("  {} flows read\n", flows_.value());
    for (const auto& [where, counters] : partitions_)
      if (const auto bad = counters.malformed.value())
        r += fmt::format("  {} [{}]: {} malformed messages (not {})\n", where.first, where.second, bad, format_);
    return r;
  }

 private:
  struct PartitionCounters {
    sluice::Counter messages;
    sluice::Counter malformed;
  };

  // A batch emitted, and where its partitions' reading was after it.
  struct Unsettled {
    std::uint64_t sequence;
    kafka::Positions positions;
    bool delivered;
  };

  PartitionCounters& counters(std::string_view topic, std::int32_t partition) {
    if (last_ && last_->first.first == topic && last_->first.second == partition) return last_->second;
    auto it = partitions_.find({std::string(topic), partition});
    if (it == partitions_.end()) {
      const std::string number = std::to_string(partition);
      const sluice::Label labels[] = {{"topic", topic}, {"partition", number}};
      it = partitions_
               .emplace(std::pair(std::string(topic), partition),
                        PartitionCounters{host_.counter("messages_total", "Messages read", labels),
                                          host_.counter("malformed_messages_total",
                                                        "Messages not (all) flows of the format; never fatal", labels)})
               .first;
    }
    last_ = &*it;
    return it->second;
  }

  // kafka::ConsumerEvents
  void log(sluice::LogLevel level, std::string_view message) override { host_.log(level, message); }
  void message(std::string_view topic, std::int32_t partition, std::size_t) override {
    counters(topic, partition).messages.add();
  }
  void malformed(std::string_view topic, std::int32_t partition, std::int64_t offset) override {
    counters(topic, partition).malformed.add();
    host_.count_errors(1);
    ++malformed_unlogged_;
    if (malformed_log_.allow()) {
      host_.log(sluice::LogLevel::warning,
                fmt::format("{} [{}] offset {}: not {} flows ({} such messages since the last warning); kept what "
                            "could be read",
                            topic, partition, offset, format_, malformed_unlogged_));
      malformed_unlogged_ = 0;
    }
  }

  sluice::Host& host_;
  const std::string format_;
  const bool stop_at_end_;
  const std::int64_t batch_size_;
  kafka::FlowConsumer consumer_;
  sluice::Counter flows_;
  std::deque<Unsettled> unsettled_;  // in the order emitted
  std::map<std::pair<std::string, std::int32_t>, PartitionCounters> partitions_;
  std::pair<const std::pair<std::string, std::int32_t>, PartitionCounters>* last_ = nullptr;
  sluice::RateLimit malformed_log_{warning_interval};
  std::uint64_t malformed_unlogged_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<KafkaSink>("kafka", "produces flows to a Kafka topic (GoFlow2 protobuf, JSON or CSV)",
                                      sink_options),
              sluice::source<KafkaSource>("kafka", "consumes flows from Kafka topics as a consumer group member",
                                          source_options))
