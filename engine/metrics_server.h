// The HTTP endpoint of a running pipeline: /metrics (Prometheus text) and
// /health (200 while running, 503 once draining or failed). Runs on the
// engine's control thread (Boost.Asio); every request is answered from
// atomics, so it never waits on a component.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>

namespace sluice::engine {

class MetricsServer {
 public:
  struct Health {
    bool ok = true;
    std::string text;  // "running", "draining", "failed"
  };

  // Binds `listen` ("host:port", "[v6]:port") at once; throws
  // std::runtime_error naming the address when it cannot.
  MetricsServer(boost::asio::io_context& io, const std::string& listen, std::function<std::string()> metrics,
                std::function<Health()> health);

  // "host:port" as bound (port 0 in `listen` picks a free one).
  std::string address() const;

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::function<std::string()> metrics_;
  std::function<Health()> health_;
};

}  // namespace sluice::engine
