// What producer and consumer share: librdkafka's configuration from
// properties, and its logs, errors and statistics brought to the thread that
// polls (log.queue), worded and rate-limited for the user.
#pragma once

#include <librdkafka/rdkafka.h>
#include <sluice/clock.h>
#include <sluice/host.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/kafka_client/properties.h"

namespace sluice::kafka_client::detail {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const noexcept { rd_kafka_conf_destroy(conf); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

// bootstrap.servers from the brokers; throws PropertyError if there are none.
std::string bootstrap_servers(const std::vector<std::string>& brokers);

// One client's logs and errors, and its fatal error once it has one.
class Client {
 public:
  using Log = std::function<void(LogLevel, std::string_view)>;

  // `defaults` first, then the user's `properties` over them. Throws
  // PropertyError with librdkafka's words for a property it refuses.
  Client(const Properties& defaults, const Properties& properties, std::string brokers, Log log);
  virtual ~Client() = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Creates the handle from the configuration (which it consumes).
  void create(rd_kafka_type_t type);
  rd_kafka_t* handle() const noexcept { return handle_.get(); }
  rd_kafka_conf_t* conf() const noexcept { return conf_.get(); }

  // Throws std::runtime_error once librdkafka has reported a fatal error.
  void throw_if_fatal() const;

 protected:
  void log(LogLevel level, std::string_view message) const { log_(level, message); }
  // librdkafka's statistics (JSON), every statistics.interval.ms.
  virtual void statistics(std::string_view) {}

 private:
  static void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message);
  static void on_error(rd_kafka_t* rk, int error, const char* reason, void* opaque);
  static int on_statistics(rd_kafka_t* rk, char* json, size_t size, void* opaque);

  Conf conf_;
  Handle handle_;
  const std::string brokers_;
  Log log_;
  std::string fatal_;
  // Warnings that repeat while a condition lasts: at most one per interval.
  struct Repeated {
    RateLimit limit{std::chrono::seconds(10)};
    std::uint64_t held = 0;  // not said while the limit held them back
  };
  Repeated all_down_;
  Repeated other_errors_;
};

}  // namespace sluice::kafka_client::detail
