#include "metrics_server.h"

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <stdexcept>

namespace sluice::engine {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

tcp::endpoint parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw std::runtime_error(fmt::format("metrics = \"{}\": expected \"host:port\"", listen));
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    port = 65536;
  }
  if (ec || port > 65535)
    throw std::runtime_error(fmt::format("metrics = \"{}\": expected \"host:port\" with an IP address", listen));
  return {address, static_cast<unsigned short>(port)};
}

// One connection: requests answered in turn while the client keeps it alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::function<std::string()>& metrics,
          const std::function<MetricsServer::Health()>& health, const MetricsServer::Routes& routes)
      : stream_(std::move(socket)), metrics_(metrics), health_(health), routes_(routes) {}

  void read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->respond();
    });
  }

 private:
  void respond() {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request_.version());
    response->keep_alive(request_.keep_alive());
    const std::string_view target(request_.target().data(), request_.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      response->result(http::status::method_not_allowed);
      response->body() = "GET only\n";
    } else if (path == "/metrics") {
      response->result(http::status::ok);
      response->set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response->body() = metrics_();
    } else if (path == "/health") {
      const auto health = health_();
      response->result(health.ok ? http::status::ok : http::status::service_unavailable);
      response->body() = health.text + "\n";
    } else if (auto reply = routes_ ? routes_(path) : std::nullopt) {
      response->result(http::status::ok);
      response->set(http::field::content_type, reply->content_type);
      response->set(http::field::cache_control, "no-store");
      response->body() = std::move(reply->body);
    } else {
      response->result(http::status::not_found);
      response->body() = "sluice serves /metrics and /health\n";
    }
    if (response->find(http::field::content_type) == response->end())
      response->set(http::field::content_type, "text/plain; charset=utf-8");
    response->prepare_payload();
    http::async_write(stream_, *response, [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
      if (!ec && response->keep_alive()) self->read();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  const std::function<std::string()>& metrics_;
  const std::function<MetricsServer::Health()>& health_;
  const MetricsServer::Routes& routes_;
};

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, const std::string& listen, std::function<std::string()> metrics,
                             std::function<Health()> health, Routes routes)
    : acceptor_(io), metrics_(std::move(metrics)), health_(std::move(health)), routes_(std::move(routes)) {
  const tcp::endpoint endpoint = parse_listen(listen);
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot serve metrics on {}: {}", listen, ec.message()));
  accept();
}

std::string MetricsServer::address() const {
  const auto endpoint = acceptor_.local_endpoint();
  const auto host = endpoint.address().to_string();
  return endpoint.address().is_v6() ? fmt::format("[{}]:{}", host, endpoint.port())
                                    : fmt::format("{}:{}", host, endpoint.port());
}

void MetricsServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(std::move(socket), metrics_, health_, routes_)->read();
    accept();
  });
}

}  // namespace sluice::engine
