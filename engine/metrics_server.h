// The HTTP endpoint of a running pipeline: /metrics (Prometheus text),
// /health (200 while running, 503 once draining or failed) and the routes
// it is given (the console: engine/console). Runs on the
// engine's control thread (Boost.Asio); every request is answered from
// atomics, so it never waits on a component. It holds at most
// max_connections clients (more are closed at once), each for a few seconds
// unless it asks, so idle clients cannot take the process's descriptors.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::engine {

class MetricsServer {
 public:
  static constexpr std::size_t max_connections = 64;

  struct Health {
    bool ok = true;
    std::string text;  // "running", "draining", "failed"
  };

  // An answer to a GET of another path.
  struct Reply {
    std::string content_type;
    std::string body;
  };
  // The answer for a path, or nullopt when the path is not theirs (404).
  using Routes = std::function<std::optional<Reply>(std::string_view path)>;

  // Binds `listen` ("host:port", "[v6]:port") at once; throws
  // std::runtime_error naming the address when it cannot.
  MetricsServer(boost::asio::io_context& io, const std::string& listen, std::function<std::string()> metrics,
                std::function<Health()> health, Routes routes = {});

  // "host:port" as bound (port 0 in `listen` picks a free one).
  std::string address() const;

 private:
  void accept();
  // accept() failed (EMFILE: no descriptor left): try again after a pause.
  void pause_accepting();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_pause_;
  std::chrono::milliseconds pause_;  // before the next try after a failed accept()
  std::size_t open_ = 0;             // connections open
  std::function<std::string()> metrics_;
  std::function<Health()> health_;
  Routes routes_;
};

}  // namespace sluice::engine
