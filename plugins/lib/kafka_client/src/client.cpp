#include "client.h"

#include <fmt/format.h>

#include <stdexcept>

namespace sluice::kafka_client::detail {

std::string bootstrap_servers(const std::vector<std::string>& brokers) {
  if (brokers.empty()) throw PropertyError("no brokers: give at least one \"host:port\"");
  return fmt::format("{}", fmt::join(brokers, ","));
}

Client::Client(const Properties& defaults, const Properties& properties, std::string brokers, Log log)
    : conf_(rd_kafka_conf_new()), brokers_(std::move(brokers)), log_(std::move(log)) {
  char error[512];
  for (const Properties* list : {&defaults, &properties})
    for (const auto& [name, value] : *list)
      if (rd_kafka_conf_set(conf_.get(), name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
        throw PropertyError(fmt::format("\"{}={}\": {}", name, value, error));
  rd_kafka_conf_set_opaque(conf_.get(), this);
  rd_kafka_conf_set_log_cb(conf_.get(), &Client::on_log);
  rd_kafka_conf_set_error_cb(conf_.get(), &Client::on_error);
  rd_kafka_conf_set_stats_cb(conf_.get(), &Client::on_statistics);
}

void Client::create(rd_kafka_type_t type) {
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf_.get(), error, sizeof error);
  if (!rk) throw std::runtime_error(fmt::format("cannot create a Kafka client: {}", error));
  (void)conf_.release();  // rd_kafka_new owns it now
  handle_.reset(rk);
  // Logs come through poll on our thread from now on, as everything else.
  rd_kafka_set_log_queue(rk, nullptr);
}

void Client::throw_if_fatal() const {
  if (!fatal_.empty()) throw std::runtime_error(fatal_);
}

void Client::on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  auto& self = *static_cast<Client*>(rd_kafka_opaque(rk));
  // librdkafka's own lines (syslog `level`): what matters of its warnings
  // and errors on_error says as well, worded for the user; the lines
  // themselves are for --log-level debug.
  self.log(LogLevel::debug, fmt::format("librdkafka {} (level {}): {}", facility, level, message));
}

void Client::on_error(rd_kafka_t* rk, int error, const char* reason, void* opaque) {
  auto& self = *static_cast<Client*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(error);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char why[512] = "";
    rd_kafka_fatal_error(rk, why, sizeof why);
    self.fatal_ = fmt::format("Kafka client failed for good: {}", why[0] ? why : reason);
    self.log(LogLevel::error, self.fatal_);
    return;
  }
  // The brokers being away is what a user needs to hear, whatever else
  // librdkafka said just before; each is said once per interval.
  const bool all_down = code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
  Repeated& repeated = all_down ? self.all_down_ : self.other_errors_;
  if (!repeated.limit.allow()) {
    ++repeated.held;
    return;
  }
  std::string message =
      all_down ? fmt::format("no broker reachable of {} ({}); is Kafka running there? Retrying", self.brokers_, reason)
               : fmt::format("Kafka: {}", reason);
  if (repeated.held > 0)
    message += fmt::format(" ({} more such messages since the last)", std::exchange(repeated.held, 0));
  self.log(LogLevel::warning, message);
}

int Client::on_statistics(rd_kafka_t*, char* json, size_t size, void* opaque) {
  static_cast<Client*>(opaque)->statistics(std::string_view(json, size));
  return 0;  // librdkafka frees the text
}

}  // namespace sluice::kafka_client::detail
