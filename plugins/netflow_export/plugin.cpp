// netflow_export: encodes flows as NetFlow v5, v9 or IPFIX and sends them
// over UDP to one or more collectors. The encoding is the netflow codec's;
// this adapter owns the sockets.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/netflow/encoder.h"

namespace {

using namespace sluice::netflow;
using namespace sluice::net;

constexpr sluice::OptionSpec options[] = {
    {.name = "version", .type = sluice::OptionType::integer, .default_value = "9", .help = "5, 9 or 10 (IPFIX)"},
    {.name = "target", .type = sluice::OptionType::string, .help = "collector \"host:port\" (IPv6: \"[addr]:port\")"},
    {.name = "targets",
     .type = sluice::OptionType::string_list,
     .help = "several collectors, each gets every datagram"},
    {.name = "mtu",
     .type = sluice::OptionType::integer,
     .default_value = "1400",
     .help = "largest datagram in bytes (v5 fits 30 records from 1464)"},
    {.name = "template_refresh_datagrams",
     .type = sluice::OptionType::integer,
     .default_value = "20",
     .help = "v9/IPFIX: send templates again after this many datagrams"},
    {.name = "template_refresh",
     .type = sluice::OptionType::duration,
     .default_value = "\"30s\"",
     .help = "v9/IPFIX: send templates again after this long"},
};

constexpr std::size_t datagrams_per_send = 64;  // one sendmmsg call
constexpr std::size_t max_held_records = 2048;
// Records wait for company at most this long; the engine's tick sends them
// when no more traffic comes.
constexpr auto max_hold = std::chrono::milliseconds(100);
constexpr auto hold_tick = std::chrono::milliseconds(50);
constexpr auto error_log_interval = std::chrono::seconds(10);

EncoderConfig config_from(const sluice::Options& options) {
  EncoderConfig c;
  const auto version = version_from_number(options.integer("version"));
  if (!version) throw sluice::OptionError("version", "must be 5, 9 or 10 (IPFIX)");
  c.version = *version;
  const auto mtu = options.integer("mtu");
  if (mtu < static_cast<std::int64_t>(Encoder::minimum_mtu) || mtu > 65507)
    throw sluice::OptionError("mtu", fmt::format("must be {} to 65507 bytes", Encoder::minimum_mtu));
  c.mtu = static_cast<std::size_t>(mtu);
  const auto refresh = options.integer("template_refresh_datagrams");
  if (refresh < 1) throw sluice::OptionError("template_refresh_datagrams", "must be >= 1");
  c.template_refresh_datagrams = static_cast<std::uint32_t>(refresh);
  c.template_refresh_ms = static_cast<std::uint64_t>(options.duration("template_refresh").count());
  return c;
}

std::vector<Endpoint> targets_from(const sluice::Options& options) {
  std::vector<std::pair<std::string, std::string>> texts;  // key, text
  if (options.has("target")) texts.emplace_back("target", options.string("target"));
  if (options.has("targets"))
    for (const auto& t : options.strings("targets")) texts.emplace_back("targets", t);
  if (texts.empty()) throw sluice::OptionError("target", "missing: give target = \"host:port\" or targets = [...]");
  std::vector<Endpoint> targets;
  for (const auto& [key, text] : texts) {
    try {
      targets.push_back(parse_endpoint(text));
    } catch (const std::invalid_argument& e) {
      throw sluice::OptionError(key, e.what());
    }
  }
  return targets;
}

sockaddr_storage socket_address(const Endpoint& e, socklen_t& length) {
  sockaddr_storage s{};
  if (e.address.is_v4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&s);
    a->sin_family = AF_INET;
    a->sin_port = htons(e.port);
    a->sin_addr.s_addr = htonl(e.address.v4_value());
    length = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&s);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(e.port);
    std::memcpy(&a->sin6_addr, e.address.bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  return s;
}

// One connected UDP socket per collector: connected, so that an ICMP "port
// unreachable" comes back as an error on a later send, which we count.
struct Collector {
  Endpoint endpoint;
  sluice::Counter datagrams;
  sluice::Counter errors;
  int fd = -1;
  std::uint64_t errors_logged = 0;
};

class NetflowExport {
 public:
  NetflowExport(const sluice::Options& options, sluice::Host& host)
      : encoder_(config_from(options)),
        host_(host),
        flows_(host.counter("flows_sent_total", "Flows encoded into datagrams")) {
    for (const auto& e : targets_from(options)) {
      const std::string name = to_string(e);
      const sluice::Label collector[] = {{"collector", name}};
      collectors_.push_back(
          {e, host.counter("datagrams_sent_total", "Datagrams sent", collector),
           host.counter("send_errors_total", "Datagrams not sent (a collector down, a full buffer)", collector)});
    }
    buffer_.resize(datagrams_per_send * encoder_.config().mtu);
  }

  ~NetflowExport() {
    for (auto& c : collectors_)
      if (c.fd >= 0) close(c.fd);
  }
  NetflowExport(const NetflowExport&) = delete;
  NetflowExport& operator=(const NetflowExport&) = delete;

  void start() {
    for (auto& c : collectors_) {
      socklen_t length = 0;
      const sockaddr_storage to = socket_address(c.endpoint, length);
      c.fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (c.fd < 0 || connect(c.fd, reinterpret_cast<const sockaddr*>(&to), length) != 0)
        throw std::runtime_error(
            fmt::format("cannot open a UDP socket to {}: {}", to_string(c.endpoint), std::strerror(errno)));
    }
  }

  // Records wait until a sendmmsg worth of datagrams is due, a flush event
  // comes, or the oldest has waited max_hold: full datagrams at any rate.
  void consume(const sluice::Batch& batch) {
    const auto now = std::chrono::steady_clock::now();
    if (held_.empty()) oldest_held_ = now;
    sluice::visit(
        batch,
        [&](std::span<const sluice::FlowRecord> records) { held_.insert(held_.end(), records.begin(), records.end()); },
        [&](const sluice::Event& e) {
          if (e.kind == sluice::Event::Kind::flush) send_held();
        });
    if (held_.size() >= max_held_records || now - oldest_held_ >= max_hold) send_held();
    log_errors();
  }

  std::chrono::milliseconds tick_period() const { return hold_tick; }

  void tick() {
    if (!held_.empty() && std::chrono::steady_clock::now() - oldest_held_ >= max_hold - hold_tick) send_held();
    log_errors();
  }

  void finish() { send_held(); }

  std::string report() const {
    const auto& s = encoder_.stats();
    std::string r = fmt::format("  sent {} flows in {} NetFlow {} datagrams", s.records, s.datagrams,
                                version_name(encoder_.config().version));
    if (s.skipped_ipv6) r += fmt::format(", skipped {} IPv6 flows (v5 cannot carry them)", s.skipped_ipv6);
    if (s.skipped_too_long)
      r += fmt::format(", skipped {} flows longer than 49 days (v5/v9 cannot carry them)", s.skipped_too_long);
    r += "\n";
    for (const auto& c : collectors_)
      if (const auto errors = c.errors.value())
        r += fmt::format("  {}: {} datagrams not delivered\n", to_string(c.endpoint), errors);
    return r;
  }

 private:
  std::uint64_t skipped() const { return encoder_.stats().skipped_ipv6 + encoder_.stats().skipped_too_long; }

  void send_held() {
    encoder_.group_by_stream(held_);
    std::span<const sluice::FlowRecord> rest(held_);
    const auto now_ms = sluice::now_ms();
    const auto skipped_before = skipped();
    const auto records_before = encoder_.stats().records;
    while (!rest.empty()) {
      std::span<std::uint8_t> slot(buffer_.data() + pending_.size() * encoder_.config().mtu, encoder_.config().mtu);
      const Encoded e = encoder_.encode(rest, now_ms, slot);
      rest = rest.subspan(e.consumed);
      if (e.size > 0) pending_.push_back(e.size);
      if (pending_.size() == datagrams_per_send) send_pending();
    }
    send_pending();
    held_.clear();
    flows_.add(encoder_.stats().records - records_before);
    if (const auto n = skipped() - skipped_before) host_.count_dropped(n);
  }

  void send_pending() {
    if (pending_.empty()) return;
    std::vector<mmsghdr> messages(pending_.size());
    std::vector<iovec> parts(pending_.size());
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      parts[i] = {buffer_.data() + i * encoder_.config().mtu, pending_[i]};
      messages[i].msg_hdr.msg_iov = &parts[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    for (auto& c : collectors_) {
      std::size_t sent = 0;
      while (sent < messages.size()) {
        const int n = sendmmsg(c.fd, messages.data() + sent, static_cast<unsigned>(messages.size() - sent), 0);
        if (n > 0) {
          sent += static_cast<std::size_t>(n);
          c.datagrams.add(static_cast<std::uint64_t>(n));
        } else if (errno == EINTR) {
          continue;
        } else {
          // The collector is down (ECONNREFUSED from an earlier ICMP) or the
          // buffer is full: count this datagram as lost and go on with the next.
          c.errors.add();
          ++sent;
        }
      }
    }
    pending_.clear();
  }

  void log_errors() {
    if (!error_log_.allow()) return;
    for (auto& c : collectors_) {
      const auto errors = c.errors.value();
      if (errors == c.errors_logged) continue;
      host_.log(sluice::LogLevel::warning,
                fmt::format("{} datagrams to {} not delivered (is the collector running?); still sending",
                            errors - c.errors_logged, to_string(c.endpoint)));
      host_.count_errors(errors - c.errors_logged);
      c.errors_logged = errors;
    }
  }

  Encoder encoder_;
  sluice::Host& host_;
  sluice::Counter flows_;
  std::vector<Collector> collectors_;
  std::vector<std::uint8_t> buffer_;  // datagrams_per_send slots of mtu bytes
  std::vector<std::size_t> pending_;  // sizes of the encoded datagrams in the slots
  std::vector<sluice::FlowRecord> held_;
  std::chrono::steady_clock::time_point oldest_held_{};
  sluice::RateLimit error_log_{error_log_interval};
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<NetflowExport>("netflow_export", "sends flows as NetFlow v5, v9 or IPFIX over UDP", options))
