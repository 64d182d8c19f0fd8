#include "sluice/kafka_client/producer.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>

#include "client.h"
#include "sluice/sampling/sampling.h"

namespace sluice::kafka_client {
namespace {

// Set by their own options, or what sluice's accounting rests on.
constexpr Reserved reserved[] = {
    {"bootstrap.servers", "use the option `brokers`"},
    {"metadata.broker.list", "use the option `brokers`"},
    {"compression.type", "use the option `compression`"},
    {"compression.codec", "use the option `compression`"},
    {"log.queue", "sluice serves librdkafka's logs on the sink's thread"},
};

MessageKey key_of(Key key, const FlowRecord& flow) {
  MessageKey k;
  switch (key) {
    case Key::none: break;
    case Key::exporter:
      k.size = flow.exporter.is_v4() ? 4 : 16;
      std::memcpy(k.bytes, flow.exporter.bytes.data() + 16 - k.size, k.size);
      break;
    case Key::flow: {
      static const auto five_tuple = sampling::five_tuple();
      std::uint64_t hash = sampling::hash_key(flow, five_tuple);
      for (int i = 7; i >= 0; --i, hash >>= 8) k.bytes[i] = static_cast<char>(hash);
      k.size = 8;
      break;
    }
  }
  return k;
}

}  // namespace

bool MessageKey::operator==(const MessageKey& other) const {
  return size == other.size && std::memcmp(bytes, other.bytes, size) == 0;
}

std::size_t flows_per_message_default(flowcodec::Format format) noexcept {
  return format == flowcodec::Format::protobuf ? 64 : 1;
}

MessageEncoder::MessageEncoder(const ProducerConfig& config, const TextTable& texts)
    : key_(config.key),
      flows_per_message_(config.flows_per_message != 0 ? config.flows_per_message
                                                       : flows_per_message_default(config.format)),
      encoder_(flowcodec::make_encoder(config.format, texts, config.time_format)) {}

std::size_t MessageEncoder::append(std::span<const FlowRecord> flows, csv::Buffer& out, MessageKey& key) {
  key = key_of(key_, flows[0]);
  encoder_->encode(flows[0], out);
  std::size_t n = 1;
  for (; n < flows.size() && n < flows_per_message_ && key_of(key_, flows[n]) == key; ++n) {
    out.append(encoder_->separator());
    encoder_->encode(flows[n], out);
  }
  return n;
}

EncodedMessages MessageEncoder::encode(std::span<const FlowRecord> flows) {
  EncodedMessages encoded;
  for (std::size_t at = 0; at < flows.size();) {
    EncodedMessages::Message& message = encoded.messages.emplace_back();
    message.flows = append(flows.subspan(at), encoded.bytes, message.key);
    message.end = encoded.bytes.size();
    at += message.flows;
  }
  return encoded;
}

struct FlowProducer::State final : detail::Client {
  State(ProducerConfig c, ProducerEvents& e)
      : Client(defaults(c), c.properties, detail::bootstrap_servers(c.brokers),
               [&e](LogLevel level, std::string_view message) { e.log(level, message); }),
        config(std::move(c)),
        events(e) {
    refuse_reserved(config.properties, reserved);
    if (config.topic.empty()) throw PropertyError("no topic");
    rd_kafka_conf_set_dr_msg_cb(conf(), &State::on_delivery);
  }

  ~State() override {
    abandoned = true;
    if (topic) rd_kafka_topic_destroy(topic);
  }

  static Properties defaults(const ProducerConfig& c) {
    return {{"bootstrap.servers", detail::bootstrap_servers(c.brokers)},
            // No flow twice when a request is retried, none out of order.
            {"enable.idempotence", "true"},
            {"compression.type", c.compression},
            {"log.queue", "true"},
            // For the retried requests (txretries) only.
            {"statistics.interval.ms", "1000"}};
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto& self = static_cast<State&>(*static_cast<detail::Client*>(opaque));
    if (self.abandoned) return;
    // The opaque is the message's first flow: in_flight knows how many it has.
    const auto first = reinterpret_cast<std::uintptr_t>(message->_private);
    const auto sent = std::lower_bound(self.in_flight.begin(), self.in_flight.end(), first,
                                       [](const Sent& s, std::uint64_t f) { return s.first < f; });
    if (sent == self.in_flight.end() || sent->first != first || sent->settled) return;
    sent->settled = true;
    const std::uint64_t flows = sent->flows;
    while (!self.in_flight.empty() && self.in_flight.front().settled) self.in_flight.pop_front();
    self.unacknowledged -= flows;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR)
      self.delivered += flows;  // told once the poll is over: one report may carry thousands
    else
      self.events.failed(flows, rd_kafka_err2str(message->err));
  }

  // Serves what librdkafka has for us (delivery reports, logs, errors).
  void poll(int wait_ms) {
    rd_kafka_poll(handle(), wait_ms);
    report_delivered();
  }

  void report_delivered() {
    if (delivered > 0) events.delivered(std::exchange(delivered, 0));
  }

  // The brokers' txretries, summed: librdkafka counts them from its start.
  void statistics(std::string_view json) override {
    static constexpr std::string_view name = "\"txretries\":";
    std::uint64_t total = 0;
    for (auto at = json.find(name); at != std::string_view::npos; at = json.find(name, at)) {
      at += name.size();
      std::uint64_t n = 0;
      std::from_chars(json.data() + at, json.data() + json.size(), n);
      total += n;
    }
    if (total > retries_seen) events.retried(total - retries_seen);
    retries_seen = std::max(total, retries_seen);
  }

  // Hands librdkafka one message of `flows` flows, the next taken; false
  // when its queue is full (nothing taken).
  bool produce(std::string_view message, const MessageKey& key, std::size_t flows) {
    // The message's opaque carries its first flow's number back to
    // on_delivery; it is never dereferenced.
    const std::uint64_t first = taken;
    void* const opaque =
        reinterpret_cast<void*>(static_cast<std::uintptr_t>(first));  // NOLINT(performance-no-int-to-ptr)
    if (rd_kafka_produce(topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, const_cast<char*>(message.data()),
                         message.size(), key.size ? key.bytes : nullptr, key.size, opaque) != 0) {
      const rd_kafka_resp_err_t error = rd_kafka_last_error();
      if (error == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
      if (error != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        throw_if_fatal();
        throw std::runtime_error(fmt::format("cannot produce to \"{}\": {}", config.topic, rd_kafka_err2str(error)));
      }
      events.failed(flows, fmt::format("a message of {} bytes is larger than message.max.bytes", message.size()));
    } else {
      unacknowledged += flows;
      in_flight.push_back({first, flows, false});
    }
    taken += flows;
    return true;
  }

  ProducerConfig config;
  ProducerEvents& events;
  rd_kafka_topic_t* topic = nullptr;
  std::uint64_t unacknowledged = 0;
  // A message produced: its first flow (of those taken, counted from the
  // first) and its flows.
  struct Sent {
    std::uint64_t first;
    std::uint64_t flows;
    bool settled;
  };
  std::uint64_t taken = 0;      // flows of the messages send() took
  std::deque<Sent> in_flight;   // in the order produced, from the first not settled
  std::uint64_t delivered = 0;  // acknowledged flows not reported yet
  std::uint64_t retries_seen = 0;
  bool abandoned = false;  // purged: what is left is no longer ours to count
};

FlowProducer::FlowProducer(ProducerConfig config, ProducerEvents& events)
    : state_(std::make_unique<State>(std::move(config), events)) {}

FlowProducer::~FlowProducer() = default;

void FlowProducer::start() {
  state_->create(RD_KAFKA_PRODUCER);
  state_->topic = rd_kafka_topic_new(state_->handle(), state_->config.topic.c_str(), nullptr);
  if (!state_->topic)
    throw std::runtime_error(
        fmt::format("topic \"{}\": {}", state_->config.topic, rd_kafka_err2str(rd_kafka_last_error())));
}

std::size_t FlowProducer::send(const EncodedMessages& messages, std::size_t from) {
  State& s = *state_;
  s.poll(0);
  s.throw_if_fatal();
  std::size_t at = from;
  for (; at < messages.messages.size(); ++at) {
    const auto& message = messages.messages[at];
    const std::size_t begin = at == 0 ? 0 : messages.messages[at - 1].end;
    if (!s.produce(messages.bytes.view().substr(begin, message.end - begin), message.key, message.flows)) break;
  }
  return at - from;
}

void FlowProducer::poll(std::chrono::milliseconds wait) {
  state_->poll(static_cast<int>(wait.count()));
  state_->throw_if_fatal();
}

bool FlowProducer::flush(std::chrono::milliseconds wait) {
  rd_kafka_flush(state_->handle(), static_cast<int>(wait.count()));  // serves delivery reports meanwhile
  state_->report_delivered();
  state_->throw_if_fatal();
  return state_->unacknowledged == 0;
}

std::uint64_t FlowProducer::unacknowledged() const noexcept { return state_->unacknowledged; }

std::uint64_t FlowProducer::taken() const noexcept { return state_->taken; }

std::uint64_t FlowProducer::settled() const noexcept {
  return state_->in_flight.empty() ? state_->taken : state_->in_flight.front().first;
}

std::uint64_t FlowProducer::purge() {
  State& s = *state_;
  if (!s.handle()) return 0;
  s.report_delivered();
  s.abandoned = true;
  rd_kafka_purge(s.handle(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  s.in_flight.clear();
  return std::exchange(s.unacknowledged, 0);
}

}  // namespace sluice::kafka_client
