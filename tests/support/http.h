// Test support: a plain HTTP/1.1 GET against a server on loopback.
#pragma once

#include <optional>
#include <string>

namespace sluice::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// nullopt when nothing answers (connection refused, timeout).
std::optional<HttpResponse> http_get(unsigned short port, const std::string& target,
                                     const std::string& host = "127.0.0.1");

// The value of the series `name{labels...}` in a Prometheus exposition.
std::optional<double> metric(const std::string& text, const std::string& series);

// A TCP socket listening on a free port of 127.0.0.1 while it lives: a port
// that is taken.
class TcpListener {
 public:
  TcpListener();
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  unsigned short port() const noexcept { return port_; }

 private:
  int fd_ = -1;
  unsigned short port_ = 0;
};

}  // namespace sluice::testing
