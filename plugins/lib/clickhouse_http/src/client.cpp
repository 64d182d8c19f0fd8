#include "sluice/clickhouse_http/client.h"

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <vector>

namespace sluice::clickhouse_http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Answers are small (a version, a table's columns, an error text).
constexpr std::uint64_t max_answer = 16 << 20;
// Longest error text quoted in a message.
constexpr std::size_t max_quoted = 2000;

std::string url_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~')
      out += c;
    else
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

// "timeout=3" or "timeout=3, max=9999" from a Keep-Alive header; 0 when absent.
std::chrono::seconds keep_alive_timeout(std::string_view header) {
  const auto at = header.find("timeout=");
  int seconds = 0;
  if (at != std::string_view::npos) std::from_chars(header.data() + at + 8, header.data() + header.size(), seconds);
  return std::chrono::seconds(seconds);
}

// Boost 1.74's Beast has its own string_view.
std::string_view std_view(beast::string_view text) { return {text.data(), text.size()}; }
beast::string_view beast_view(std::string_view text) { return {text.data(), text.size()}; }

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text.substr(0, max_quoted);
}

}  // namespace

Endpoint Endpoint::from_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.starts_with("https://"))
    throw std::invalid_argument("https is not supported: use http:// (a TLS proxy can sit in front of ClickHouse)");
  if (!url.starts_with(scheme)) throw std::invalid_argument("\"" + std::string(url) + "\" is not http://HOST[:PORT]");
  std::string_view rest = url.substr(scheme.size());
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/")
      throw std::invalid_argument("no path after HOST:PORT please (ClickHouse's HTTP interface is at /)");
    rest = rest.substr(0, slash);
  }
  if (rest.find('@') != std::string_view::npos)
    throw std::invalid_argument("no user or password in the url: use the user and password options");
  Endpoint e;
  e.port = "8123";
  if (rest.starts_with('[')) {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("unclosed [ in the url's host");
    e.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) throw std::invalid_argument("expected :PORT after ]");
    if (!rest.empty()) e.port = rest.substr(1);
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    e.host = rest.substr(0, colon);
    e.port = rest.substr(colon + 1);
  } else {
    e.host = rest;
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(e.port.data(), e.port.data() + e.port.size(), port);
  if (e.host.empty() || ec != std::errc{} || end != e.port.data() + e.port.size() || port == 0 || port > 65535)
    throw std::invalid_argument("\"" + std::string(url) + "\" is not http://HOST[:PORT]");
  return e;
}

bool is_transient(unsigned http_status, int clickhouse_code) noexcept {
  // Errors in the request itself that ClickHouse 18.16 answers with 500:
  // NO_SUCH_COLUMN_IN_TABLE, CANNOT_PARSE_INPUT_ASSERTION_FAILED,
  // CANNOT_READ_ALL_DATA, TYPE_MISMATCH, CANNOT_CONVERT_TYPE,
  // INCORRECT_DATA, BAD_CAST. Sent again, they fail again.
  constexpr int request_errors[] = {16, 27, 33, 53, 70, 117, 368};
  if (http_status >= 500)
    return http_status != 501 &&
           std::find(std::begin(request_errors), std::end(request_errors), clickhouse_code) == std::end(request_errors);
  return http_status == 408 || http_status == 429;
}

int error_code(std::string_view header, std::string_view text) noexcept {
  int code = 0;
  if (!header.empty()) {
    std::from_chars(header.data(), header.data() + header.size(), code);
  } else if (text.starts_with("Code: ")) {
    std::from_chars(text.data() + 6, text.data() + text.size(), code);
  }
  return code;
}

struct Client::Io {
  net::io_context context;
};

// One keep-alive connection and the request under way on it, as a chain of
// asynchronous steps (connect, header, body, answer), each with its deadline.
struct Client::Connection {
  Connection(Client& client) : client(client), stream(client.io_->context) {}

  Client& client;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool open = false;
  bool busy = false;
  Clock::time_point idle_since;
  std::chrono::seconds keep_alive{0};  // how long the server keeps an idle connection open

  http::request<http::empty_body> request;
  std::optional<http::request_serializer<http::empty_body>> serializer;
  std::vector<net::const_buffer> body;
  std::optional<http::response_parser<http::string_body>> parser;
  beast::error_code send_error;
  Done done;

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    open = false;
  }

  // A connection idle for half the server's keep-alive timeout (or a second,
  // when it did not say) is not worth the race with the server closing it.
  bool stale(Clock::time_point now) const {
    const auto limit = keep_alive.count() > 0 ? std::chrono::duration_cast<Clock::duration>(keep_alive) / 2
                                              : std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1));
    return now - idle_since >= limit;
  }

  // Readable while idle: the server has closed its end (it restarted, say),
  // or sent what it should not have. Either way the connection is done.
  bool peer_closed() {
    pollfd p{stream.socket().native_handle(), POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) != 0;
  }

  void start() {
    busy = true;
    send_error = {};
    if (open && (stale(Clock::now()) || peer_closed())) close();
    if (open) return write_header();
    const Endpoint& e = client.endpoint_;
    tcp::resolver resolver(client.io_->context);
    beast::error_code ec;
    const auto addresses = resolver.resolve(e.host, e.port, ec);
    if (ec) {  // ended from poll() or wait(), like every request
      return net::post(client.io_->context,
                       [this, error = client.error(fmt::format("cannot resolve {}: {}", e.host, ec.message()), true)] {
                         end_with(error);
                       });
    }
    stream.expires_after(client.timeout_);
    stream.async_connect(addresses, [this](beast::error_code ec, const tcp::endpoint&) {
      if (ec)
        return end_with(client.error(
            fmt::format("cannot connect to ClickHouse at {}: {}", client.endpoint_.address(), ec.message()), true));
      stream.socket().set_option(tcp::no_delay(true));
      open = true;
      ++client.connections_opened_;
      write_header();
    });
  }

  void write_header() {
    serializer.emplace(request);
    stream.expires_after(client.timeout_);
    http::async_write_header(stream, *serializer, [this](beast::error_code ec, std::size_t) {
      if (ec || body.empty()) return sent(ec);
      stream.expires_after(client.timeout_);
      net::async_write(stream, body, [this](beast::error_code ec, std::size_t) { sent(ec); });
    });
  }

  // Reads the answer even when sending failed: a server that refuses a
  // request early (a wrong password) may answer before it has read it all.
  void sent(beast::error_code ec) {
    send_error = ec;
    if (ec == beast::error::timeout) {
      close();
      return end_with(client.error(fmt::format("ClickHouse at {} took more than {} ms to take the request",
                                               client.endpoint_.address(), client.timeout_.count()),
                                   true));
    }
    parser.emplace();
    parser->body_limit(max_answer);
    stream.expires_after(client.timeout_);
    http::async_read(stream, buffer, *parser, [this](beast::error_code ec, std::size_t) { answered(ec); });
  }

  void answered(beast::error_code ec) {
    const std::string address = client.endpoint_.address();
    if (ec) {
      close();
      if (send_error)
        return end_with(
            client.error(fmt::format("sending to ClickHouse at {} failed: {}", address, send_error.message()), true));
      return end_with(client.error(
          fmt::format("no answer from ClickHouse at {}: {}", address,
                      ec == beast::error::timeout ? fmt::format("nothing within {} ms", client.timeout_.count())
                                                  : ec.message()),
          true, true));
    }
    auto& response = parser->get();
    if (send_error || !response.keep_alive()) {
      close();
    } else {
      idle_since = Clock::now();
      keep_alive = keep_alive_timeout(std_view(response[http::field::keep_alive]));
    }
    const unsigned status = response.result_int();
    if (status == 200) return end({std::move(response.body()), std::nullopt});
    const std::string_view text = trimmed(response.body());
    const int code = error_code(std_view(response["X-ClickHouse-Exception-Code"]), text);
    end_with(client.error(
        fmt::format("ClickHouse at {} answered {} {}: {}", address, status, std_view(response.reason()), text),
        is_transient(status, code)));
  }

  void end_with(Error error) { end({{}, std::move(error)}); }

  void end(Outcome outcome) {
    busy = false;
    serializer.reset();
    parser.reset();
    ++client.ended_;
    Done callback = std::move(done);
    callback(std::move(outcome));
  }
};

Client::Client(Endpoint endpoint, std::chrono::milliseconds timeout, std::size_t connections)
    : endpoint_(std::move(endpoint)), timeout_(timeout), io_(std::make_unique<Io>()) {
  for (std::size_t i = 0; i < std::max<std::size_t>(connections, 1); ++i)
    connections_.push_back(std::make_unique<Connection>(*this));
}

Client::~Client() = default;

Error Client::error(std::string message, bool transient, bool maybe_applied) const {
  const std::string& password = endpoint_.password;
  if (!password.empty()) {
    for (auto at = message.find(password); at != std::string::npos; at = message.find(password, at + 3))
      message.replace(at, password.size(), "***");
  }
  return Error(message, transient, maybe_applied);
}

void Client::start(std::string_view query, Body body, std::string_view content_encoding, Done done) {
  const auto idle = std::find_if(connections_.begin(), connections_.end(), [](const auto& c) { return !c->busy; });
  if (idle == connections_.end()) throw std::logic_error("Client::start with every connection busy");
  Connection& c = **idle;
  c.request = {http::verb::post, "/?query=" + url_encode(query), 11};
  c.request.set(http::field::host, endpoint_.host);
  if (!endpoint_.user.empty()) c.request.set("X-ClickHouse-User", endpoint_.user);
  if (!endpoint_.password.empty()) c.request.set("X-ClickHouse-Key", endpoint_.password);
  if (!content_encoding.empty()) c.request.set(http::field::content_encoding, beast_view(content_encoding));
  c.body.clear();
  std::size_t length = 0;
  for (const auto& piece : body) {
    c.body.emplace_back(piece.data(), piece.size());
    length += piece.size();
  }
  c.request.content_length(length);
  c.request.keep_alive(true);
  c.done = std::move(done);
  c.start();
}

std::size_t Client::running() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(connections_.begin(), connections_.end(), [](const auto& c) { return c->busy; }));
}

std::size_t Client::idle() const noexcept { return connections_.size() - running(); }

void Client::poll() {
  io_->context.restart();
  io_->context.poll();
}

void Client::wait() {
  const std::uint64_t ended = ended_;
  while (running() > 0 && ended_ == ended) {
    io_->context.restart();
    io_->context.run_one();
  }
}

void Client::abort() {
  for (const auto& c : connections_) c->close();
  while (running() > 0) wait();
}

std::string Client::execute(std::string_view query, Body body, std::string_view content_encoding) {
  while (idle() == 0) wait();
  std::optional<Outcome> outcome;
  start(query, body, content_encoding, [&](Outcome&& o) { outcome = std::move(o); });
  while (!outcome) wait();
  if (outcome->error) throw *outcome->error;
  return std::move(outcome->answer);
}

}  // namespace sluice::clickhouse_http
