// The HTTP endpoint of a running pipeline: /metrics (Prometheus text),
// /health (200 while running, 503 once draining or failed) and the routes
// it is given (the console: engine/console). Runs on the
// engine's control thread (Boost.Asio); every request is answered from
// atomics, so it never waits on a component.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::engine {

class MetricsServer {
 public:
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

  boost::asio::ip::tcp::acceptor acceptor_;
  std::function<std::string()> metrics_;
  std::function<Health()> health_;
  Routes routes_;
};

}  // namespace sluice::engine
