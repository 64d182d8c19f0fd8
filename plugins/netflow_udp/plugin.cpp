// netflow_udp: a NetFlow v5/v9/IPFIX collector. Receives datagrams in
// batches (recvmmsg), decodes them with the netflow codec's Decoder, and
// emits the flows; counts kernel drops (SO_RXQ_OVFL), foreign exporters and
// bad input, and lists every exporter in the end-of-run summary.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/netflow/decoder.h"

namespace {

using namespace sluice::netflow;
using namespace sluice::net;
using namespace std::chrono;
using sluice::IpAddress;

constexpr sluice::OptionSpec options[] = {
    {.name = "listen",
     .type = sluice::OptionType::string,
     .default_value = "\"0.0.0.0:2055\"",
     .help = "\"host:port\" to receive on (IPv6: \"[addr]:port\")"},
    {.name = "receive_buffer",
     .type = sluice::OptionType::integer,
     .default_value = "8388608",
     .help = "socket receive buffer in bytes (0: the system's default)"},
    {.name = "allowed_exporters",
     .type = sluice::OptionType::string_list,
     .default_value = "[]",
     .help = "prefixes of exporters to accept (empty: all); others are counted and ignored"},
    {.name = "max_templates_per_exporter",
     .type = sluice::OptionType::integer,
     .default_value = "256",
     .help = "v9/IPFIX templates kept per exporter; more are counted as malformed"},
    {.name = "batch_size",
     .type = sluice::OptionType::integer,
     .default_value = "4096",
     .help = "flows per batch at most"},
    {.name = "idle_timeout",
     .type = sluice::OptionType::duration,
     .default_value = "\"0s\"",
     .help = "end once no datagram has arrived for this long, after the first (0s: run until stopped)"},
};

constexpr std::size_t datagrams_per_receive = 64;
constexpr std::size_t max_datagram = 65536;
constexpr auto poll_timeout = milliseconds(100);
constexpr auto malformed_log_interval = seconds(10);
constexpr auto metrics_interval = seconds(1);

IpAddress address_of(const sockaddr_storage& s) {
  if (s.ss_family == AF_INET) return IpAddress::v4(ntohl(reinterpret_cast<const sockaddr_in&>(s).sin_addr.s_addr));
  IpAddress a;
  std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6&>(s).sin6_addr, 16);
  return a;
}

class NetflowUdp {
 public:
  NetflowUdp(const sluice::Options& options, sluice::Host& host) : host_(host) {
    try {
      listen_ = parse_endpoint(options.string("listen"));
    } catch (const std::invalid_argument& e) {
      throw sluice::OptionError("listen", e.what());
    }
    for (const auto& text : options.strings("allowed_exporters")) {
      try {
        allowed_.push_back(parse_prefix(text));
      } catch (const std::invalid_argument& e) {
        throw sluice::OptionError("allowed_exporters", e.what());
      }
    }
    receive_buffer_ = options.integer("receive_buffer");
    if (receive_buffer_ < 0 || receive_buffer_ > INT32_MAX)
      throw sluice::OptionError("receive_buffer", "must be 0 to 2^31-1");
    const auto templates = options.integer("max_templates_per_exporter");
    if (templates < 1 || templates > 65535)
      throw sluice::OptionError("max_templates_per_exporter", "must be 1 to 65535");
    decoder_ = Decoder({.max_templates_per_exporter = static_cast<std::size_t>(templates)});
    batch_size_ = options.integer("batch_size");
    if (batch_size_ < 1) throw sluice::OptionError("batch_size", "must be >= 1");
    idle_timeout_ = options.duration("idle_timeout");
  }

  ~NetflowUdp() {
    if (fd_ >= 0) close(fd_);
  }
  NetflowUdp(const NetflowUdp&) = delete;
  NetflowUdp& operator=(const NetflowUdp&) = delete;

  void start() {
    sockaddr_storage address{};
    socklen_t length = 0;
    if (listen_.address.is_v4()) {
      auto& a = reinterpret_cast<sockaddr_in&>(address);
      a.sin_family = AF_INET;
      a.sin_port = htons(listen_.port);
      a.sin_addr.s_addr = htonl(listen_.address.v4_value());
      length = sizeof a;
    } else {
      auto& a = reinterpret_cast<sockaddr_in6&>(address);
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(listen_.port);
      std::memcpy(&a.sin6_addr, listen_.address.bytes.data(), 16);
      length = sizeof a;
    }
    fd_ = socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    if (receive_buffer_ > 0) {
      const int bytes = static_cast<int>(receive_buffer_);
      // Beyond net.core.rmem_max only with privileges: try, then settle.
      if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
    const int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0)
      throw std::runtime_error(fmt::format("cannot listen on {}: {}", to_string(listen_), std::strerror(errno)));
    buffers_.resize(datagrams_per_receive * max_datagram);
    host_.log(sluice::LogLevel::info, fmt::format("listening on {}", to_string(listen_)));
  }

  bool poll(sluice::Emitter& out) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(poll_timeout.count()));
    if (ready > 0) {
      receive(out);
      last_datagram_ = steady_clock::now();
    }
    if (batch_ && !batch_->records.empty()) {
      out.emit(std::move(batch_));
      unflushed_ = true;
    } else if (ready == 0 && unflushed_) {
      // The exporters went quiet: let writers downstream push out what they hold.
      auto flush = sluice::make_batch(0);
      flush->add_event({.kind = sluice::Event::Kind::flush});
      out.emit(std::move(flush));
      unflushed_ = false;
    }
    batch_.reset();
    const bool more = !host_.stopping() && !idle();
    publish(!more);
    return more;
  }

  // The exporters have gone quiet for idle_timeout: a bounded run is over.
  bool idle() const {
    return idle_timeout_.count() > 0 && last_datagram_ && steady_clock::now() - *last_datagram_ >= idle_timeout_;
  }

  std::string report() const {
    std::string r = fmt::format("  {} datagrams received, {} dropped by the kernel (receive buffer full)\n", datagrams_,
                                kernel_drops_);
    if (foreign_) r += fmt::format("  {} datagrams from exporters not in allowed_exporters\n", foreign_);
    if (const auto n = decoder_.dropped_exporter_datagrams())
      r += fmt::format("  {} datagrams from exporters beyond the exporter limit\n", n);
    r += fmt::format("  {:<40} {:>5} {:>10} {:>12} {:>8} {:>10} {:>9} {:>11}\n", "exporter", "ver", "domain",
                     "datagrams", "records", "seq errs", "lost", "malformed");
    for (const auto& e : decoder_.exporters()) {
      r += fmt::format("  {:<40} {:>5} {:>10} {:>12} {:>8} {:>10} {:>9} {:>11}\n", to_string(e.address), e.version,
                       e.domain, e.datagrams, e.records, e.sequence_errors, e.lost, e.malformed_total());
      if (e.sets_without_template)
        r += fmt::format("    {} data sets arrived before their template and were dropped\n", e.sets_without_template);
    }
    return r;
  }

 private:
  void receive(sluice::Emitter& out) {
    std::vector<mmsghdr> messages(datagrams_per_receive);
    std::vector<iovec> parts(datagrams_per_receive);
    std::vector<sockaddr_storage> sources(datagrams_per_receive);
    std::vector<std::array<char, CMSG_SPACE(sizeof(std::uint32_t))>> controls(datagrams_per_receive);
    for (std::size_t i = 0; i < datagrams_per_receive; ++i) {
      parts[i] = {buffers_.data() + i * max_datagram, max_datagram};
      messages[i].msg_hdr = {};
      messages[i].msg_hdr.msg_name = &sources[i];
      messages[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      messages[i].msg_hdr.msg_iov = &parts[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_control = controls[i].data();
      messages[i].msg_hdr.msg_controllen = controls[i].size();
    }
    // Drain what is queued, up to a poll's worth of time, then return.
    const auto deadline = steady_clock::now() + poll_timeout;
    while (steady_clock::now() < deadline) {
      const int n = recvmmsg(fd_, messages.data(), datagrams_per_receive, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      const std::uint64_t received = sluice::now_ms();
      for (int i = 0; i < n; ++i) {
        auto& h = messages[static_cast<std::size_t>(i)].msg_hdr;
        note_kernel_drops(h);
        ++datagrams_;
        const IpAddress from = address_of(sources[static_cast<std::size_t>(i)]);
        if (!allowed(from)) {
          ++foreign_;
        } else {
          if (!batch_) batch_ = sluice::make_batch(static_cast<std::size_t>(batch_size_));
          decoder_.decode(from,
                          {reinterpret_cast<const std::uint8_t*>(h.msg_iov->iov_base),
                           messages[static_cast<std::size_t>(i)].msg_len},
                          received, batch_->records);
        }
        h.msg_namelen = sizeof(sockaddr_storage);
        h.msg_controllen = controls[static_cast<std::size_t>(i)].size();
      }
      if (batch_ && batch_->records.size() >= static_cast<std::size_t>(batch_size_)) {
        out.emit(std::move(batch_));
        batch_.reset();
        unflushed_ = true;
      }
    }
  }

  bool allowed(const IpAddress& from) const {
    if (allowed_.empty()) return true;
    for (const auto& p : allowed_)
      if (p.contains(from)) return true;
    return false;
  }

  // SO_RXQ_OVFL: the kernel's running count of datagrams dropped on this socket.
  void note_kernel_drops(msghdr& h) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        std::uint32_t dropped = 0;
        std::memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
        if (dropped > kernel_drops_) {
          host_.count_dropped(dropped - kernel_drops_);
          kernel_drops_counter_.add(dropped - kernel_drops_);
          kernel_drops_ = dropped;
        }
      }
    }
  }

  // What the decoder counts per exporter, as metrics (at most every
  // metrics_interval: copying the decoder's table costs), and a warning per
  // exporter whose malformed count grew, at most every malformed_log_interval.
  void publish(bool now) {
    if (!now && !metrics_due_.allow()) return;
    const bool log_now = malformed_log_.allow();
    for (const auto& e : decoder_.exporters()) {
      ExporterMetrics& m = metrics_for(e);
      m.datagrams.add(e.datagrams - m.published.datagrams);
      m.records.add(e.records - m.published.records);
      m.sequence_errors.add(e.sequence_errors - m.published.sequence_errors);
      m.lost.add(e.lost - m.published.lost);
      for (std::size_t k = 0; k < malformed_kinds; ++k) m.malformed[k].add(e.malformed[k] - m.published.malformed[k]);
      host_.count_errors(e.malformed_total() - m.published.malformed_total());
      m.published = e;
      if (log_now && e.malformed_total() != m.logged_malformed) {
        std::string reasons;
        for (std::size_t k = 0; k < malformed_kinds; ++k)
          if (e.malformed[k])
            reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", e.malformed[k],
                                   malformed_name(static_cast<Malformed>(k)));
        host_.log(sluice::LogLevel::warning,
                  fmt::format("exporter {} (version {}, domain {}): {} malformed so far ({})", to_string(e.address),
                              e.version, e.domain, e.malformed_total(), reasons));
        m.logged_malformed = e.malformed_total();
      }
    }
  }

  struct ExporterMetrics {
    sluice::Counter datagrams, records, sequence_errors, lost;
    std::array<sluice::Counter, malformed_kinds> malformed;
    ExporterStats published;  // what the counters hold
    std::uint64_t logged_malformed = 0;
  };

  ExporterMetrics& metrics_for(const ExporterStats& e) {
    auto key = std::make_tuple(e.address.bytes, e.version, e.domain);
    if (auto it = exporter_metrics_.find(key); it != exporter_metrics_.end()) return it->second;
    const std::string address = to_string(e.address), version = std::to_string(e.version),
                      domain = std::to_string(e.domain);
    const sluice::Label labels[] = {{"exporter", address}, {"version", version}, {"domain", domain}};
    ExporterMetrics m;
    m.datagrams = host_.counter("datagrams_total", "Datagrams decoded, per exporter", labels);
    m.records = host_.counter("records_total", "Flow records decoded, per exporter", labels);
    m.sequence_errors =
        host_.counter("sequence_errors_total", "Datagrams whose sequence number was not the expected one", labels);
    m.lost =
        host_.counter("lost_records_total",
                      "Gaps in the exporter's sequence numbers: flows (v5), datagrams (v9), records (IPFIX)", labels);
    for (std::size_t k = 0; k < malformed_kinds; ++k) {
      const sluice::Label with_reason[] = {
          labels[0], labels[1], labels[2], {"reason", malformed_name(static_cast<Malformed>(k))}};
      m.malformed[k] = host_.counter("malformed_total", "Datagrams or parts not decoded, by reason", with_reason);
    }
    m.published.address = e.address;
    return exporter_metrics_.emplace(key, m).first->second;
  }

  sluice::Host& host_;
  Endpoint listen_;
  std::vector<Prefix> allowed_;
  std::int64_t receive_buffer_ = 0;
  std::int64_t batch_size_ = 0;
  milliseconds idle_timeout_{0};
  std::optional<steady_clock::time_point> last_datagram_;
  Decoder decoder_;
  int fd_ = -1;
  std::vector<std::uint8_t> buffers_;
  std::shared_ptr<sluice::Batch> batch_;
  bool unflushed_ = false;  // records emitted since the last flush event
  std::uint64_t datagrams_ = 0;
  std::uint64_t foreign_ = 0;
  std::uint32_t kernel_drops_ = 0;
  sluice::Counter kernel_drops_counter_ =
      host_.counter("kernel_drops_total", "Datagrams the kernel dropped: the socket's receive buffer was full");
  sluice::RateLimit metrics_due_{metrics_interval};
  sluice::RateLimit malformed_log_{malformed_log_interval};
  std::map<std::tuple<std::array<std::uint8_t, 16>, std::uint16_t, std::uint32_t>, ExporterMetrics> exporter_metrics_;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<NetflowUdp>("netflow_udp", "receives and decodes NetFlow v5, v9 and IPFIX over UDP",
                                         options))
