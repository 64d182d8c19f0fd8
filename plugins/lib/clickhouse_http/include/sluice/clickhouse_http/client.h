// A small HTTP/1.1 client for ClickHouse's HTTP interface: one keep-alive
// connection, a timeout on every step, and failures sorted into those that
// may pass (retry later) and those that will not.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::clickhouse_http {

// Where the server is and whom to log in as.
struct Endpoint {
  std::string host;
  std::string port;
  std::string user;
  std::string password;

  // "http://HOST[:PORT][/]"; the port defaults to 8123. Throws
  // std::invalid_argument saying what is wrong (https is not supported).
  static Endpoint from_url(std::string_view url);
  std::string address() const { return host + ":" + port; }  // for messages
};

class Error : public std::runtime_error {
 public:
  Error(const std::string& message, bool transient, bool maybe_applied = false)
      : std::runtime_error(message), transient_(transient), maybe_applied_(maybe_applied) {}
  // Connection refused or lost, a timeout, a 5xx: the same request may succeed later.
  bool transient() const noexcept { return transient_; }
  // The request reached the server whole but no answer came back: the server
  // may have applied it, so sending it again may apply it twice.
  bool maybe_applied() const noexcept { return maybe_applied_; }

 private:
  bool transient_;
  bool maybe_applied_;
};

using Body = std::span<const std::span<const std::byte>>;  // pieces sent in order

// How a request ended: the server's answer (HTTP 200), or the error.
struct Outcome {
  std::string answer;
  std::optional<Error> error;
};

class Client {
 public:
  // Up to `connections` requests run at once, each on its own keep-alive
  // connection, opened when first needed.
  Client(Endpoint endpoint, std::chrono::milliseconds timeout, std::size_t connections = 1);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs `query` (sent in the URL) with `body` as its data (an INSERT's rows,
  // in the format the query names) and returns the answer. Throws Error; no
  // message ever contains the password.
  std::string execute(std::string_view query, Body body = {}, std::string_view content_encoding = {});

  // The same without waiting: starts the request on an idle connection
  // (idle() must be > 0) and calls `done` from poll() or wait() once it has
  // ended. The body's bytes must stay put until then; `done` must not throw.
  using Done = std::function<void(Outcome&&)>;
  void start(std::string_view query, Body body, std::string_view content_encoding, Done done);
  std::size_t idle() const noexcept;
  std::size_t running() const noexcept;
  void poll();  // moves the running requests on, without blocking
  void wait();  // blocks until a running request has ended; returns at once when none runs
  // Closes every connection: the running requests end at once, with an error.
  void abort();

  const Endpoint& endpoint() const noexcept { return endpoint_; }
  std::size_t connections() const noexcept { return connections_.size(); }
  std::uint64_t connections_opened() const noexcept { return connections_opened_; }

 private:
  struct Connection;
  struct Io;
  Error error(std::string message, bool transient, bool maybe_applied = false) const;

  Endpoint endpoint_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Io> io_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::uint64_t connections_opened_ = 0;
  std::uint64_t ended_ = 0;  // requests ended so far
};

// Whether an HTTP status and ClickHouse's error code ("Code: 60" in the
// text, 0 when none) say the request may succeed later: 5xx, 408 and 429,
// except the errors in the request itself that 18.16 answers with 500.
bool is_transient(unsigned http_status, int clickhouse_code) noexcept;

// ClickHouse's error code: the X-ClickHouse-Exception-Code header's, or the
// "Code: N" its error text starts with; 0 when neither is there.
int error_code(std::string_view header, std::string_view text) noexcept;

}  // namespace sluice::clickhouse_http
