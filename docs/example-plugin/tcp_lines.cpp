// tcp_lines: a sink that sends one line per flow ("SRC DST BYTES") to a TCP
// server. The second example of docs/plugins.md: a tick that flushes,
// metrics, and transient errors for a server that is not there yet or goes
// away, so that the engine retries and nothing is lost.
#include <sluice/plugin.h>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "host", .type = sluice::OptionType::string, .default_value = "\"127.0.0.1\"", .help = "server address"},
    {.name = "port", .type = sluice::OptionType::integer, .help = "server port", .required = true},
};

std::string address_text(const sluice::IpAddress& a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.is_v4()) {
    const in_addr v4{htonl(a.v4_value())};
    inet_ntop(AF_INET, &v4, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, a.bytes.data(), text, sizeof text);
  }
  return text;
}

class TcpLines {
 public:
  TcpLines(const sluice::Options& options, sluice::Host& host)
      : host_name_(options.string("host")),
        port_(std::to_string(options.integer("port"))),
        host_(host),
        lines_(host.counter("lines_sent_total", "Lines the server took")),
        connects_(host.counter("connects_total", "Connections opened to the server")) {
    if (options.integer("port") < 1 || options.integer("port") > 65535)
      throw sluice::OptionError("port", "must be 1 to 65535");
  }
  ~TcpLines() { disconnect(); }
  TcpLines(const TcpLines&) = delete;
  TcpLines& operator=(const TcpLines&) = delete;

  // A TransientError from consume() promises the engine that none of the
  // batch was taken: what is pending goes out first, and only then is the
  // batch added to it.
  void consume(const sluice::Batch& batch) {
    send_pending();
    for (const auto& f : batch.records)
      pending_ += address_text(f.src_addr) + ' ' + address_text(f.dst_addr) + ' ' + std::to_string(f.bytes) + '\n';
    pending_lines_ += batch.records.size();
  }

  // Lines reach the server within a tick even when no batch follows.
  std::chrono::milliseconds tick_period() const { return std::chrono::milliseconds(200); }
  void tick() { send_pending(); }
  void finish() { send_pending(); }

  // The engine gave up (drain_timeout): what is pending is lost, and counted.
  std::uint64_t abandon() {
    pending_.clear();
    return std::exchange(pending_lines_, 0);
  }

 private:
  void send_pending() {
    if (pending_.empty()) return;
    if (fd_ < 0) connect_to_server();
    while (!pending_.empty()) {
      const ssize_t n = ::send(fd_, pending_.data(), pending_.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        disconnect();  // the server went away: reconnect on the next attempt
        throw sluice::TransientError(std::string("sending to the server: ") + std::strerror(errno));
      }
      pending_.erase(0, static_cast<std::size_t>(n));
    }
    lines_.add(std::exchange(pending_lines_, 0));
  }

  void connect_to_server() {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int e = getaddrinfo(host_name_.c_str(), port_.c_str(), &hints, &found); e != 0)
      throw sluice::TransientError(host_name_ + ": " + gai_strerror(e));
    fd_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool connected = fd_ >= 0 && ::connect(fd_, found->ai_addr, found->ai_addrlen) == 0;
    const int error = errno;
    freeaddrinfo(found);
    if (!connected) {
      disconnect();
      throw sluice::TransientError("connecting to " + host_name_ + ":" + port_ + ": " + std::strerror(error));
    }
    connects_.add();
    host_.log(sluice::LogLevel::info, "connected to " + host_name_ + ":" + port_);
  }

  void disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  const std::string host_name_;
  const std::string port_;
  sluice::Host& host_;
  sluice::Counter lines_;
  sluice::Counter connects_;
  int fd_ = -1;
  std::string pending_;
  std::uint64_t pending_lines_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<TcpLines>("tcp_lines", "sends one line per flow to a TCP server", options))
