#include "sluice/net/collector.h"

#include <sluice/clock.h>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace sluice::net {
namespace {

using namespace std::chrono;

constexpr auto poll_timeout = milliseconds(100);
// While datagrams flow, the collector sleeps between drains of the socket so
// that each wakeup takes many datagrams (one wakeup and a few receive calls
// for hundreds, not one each): as long as its receive buffer allows with room
// to spare, 1 ms per MB the kernel granted, from 1 ms (the system's default
// buffer, 208 KB, does not fill in 1 ms at 60k datagrams/s) to 8 ms
// (nfcapd's -B 8 MB holds 8 ms of datagrams at several hundred thousand a
// second).
std::chrono::microseconds coalesce_wait_for(std::size_t buffer_bytes) {
  constexpr std::size_t bytes_per_ms = std::size_t{1} << 20;
  return milliseconds(std::clamp<std::size_t>(buffer_bytes / bytes_per_ms, 1, 8));
}
// Room in a batch for the datagram that fills it past batch_size.
constexpr std::size_t batch_slack = 256;

}  // namespace

CollectorConfig collector_config(const Options& options) {
  CollectorConfig c;
  try {
    c.listen = parse_endpoint(options.string("listen"));
  } catch (const std::invalid_argument& e) {
    throw OptionError("listen", e.what());
  }
  for (const auto& text : options.strings("allowed_exporters")) {
    try {
      c.allowed.push_back(parse_prefix(text));
    } catch (const std::invalid_argument& e) {
      throw OptionError("allowed_exporters", e.what());
    }
  }
  c.receive_buffer = static_cast<int>(options.integer("receive_buffer"));
  c.batch_size = static_cast<std::size_t>(options.integer("batch_size"));
  c.idle_timeout = options.duration("idle_timeout");
  return c;
}

SenderLimits sender_limits(const Options& options) {
  const auto idle = options.duration("exporter_idle_timeout");
  if (idle.count() < 1) throw OptionError("exporter_idle_timeout", "must be more than 0s");
  return {.max_senders = static_cast<std::size_t>(options.integer("max_exporters")),
          .idle_ms = static_cast<std::uint64_t>(idle.count())};
}

std::string full_table_warning(std::string_view senders, const SenderLimits& limits) {
  return fmt::format(
      "{} {} known (max_exporters): each new one now replaces the longest-silent, whose state and metrics are "
      "forgotten; raise max_exporters, shorten exporter_idle_timeout ({} s) or accept only your {} with "
      "allowed_exporters (source addresses can be forged)",
      limits.max_senders, senders, limits.idle_ms / 1000, senders);
}

UdpCollector::UdpCollector(CollectorConfig config, Host& host)
    : config_(std::move(config)),
      host_(host),
      kernel_drops_counter_(
          host.counter("kernel_drops_total", "Datagrams the kernel dropped: the socket's receive buffer was full")),
      refused_counter_(host.counter("refused_datagrams_total", "Datagrams from exporters not in allowed_exporters")),
      batches_(config_.batch_size + batch_slack) {}

void UdpCollector::start() {
  receiver_.emplace(
      ReceiverConfig{.listen = config_.listen, .receive_buffer = config_.receive_buffer, .sockets = host_.instances()});
  coalesce_wait_ = coalesce_wait_for(receiver_->buffer_bytes());
  if (host_.instances() > 1)
    host_.log(LogLevel::info, fmt::format("listening on {}, socket {} of {} (senders steered by address)",
                                          to_string(config_.listen), host_.instance() + 1, host_.instances()));
  else
    host_.log(LogLevel::info, fmt::format("listening on {}", to_string(config_.listen)));
}

bool UdpCollector::poll(Emitter& out, const Decode& decode) {
  const auto deadline = steady_clock::now() + poll_timeout;
  bool received = false;
  for (auto now = steady_clock::now(); now < deadline && !host_.stopping(); now = steady_clock::now()) {
    const std::size_t taken = receive(out, decode);
    if (taken > 0) {
      received = true;
      last_datagram_ = now;
      // A full receive means more is waiting: go on at once.
      if (taken < UdpReceiver::batch_size)
        std::this_thread::sleep_for(std::min<steady_clock::duration>(coalesce_wait_, deadline - now));
    } else if (!receiver_->wait(duration_cast<milliseconds>(deadline - now) + milliseconds(1))) {
      break;
    }
  }
  note_kernel_drops();
  if (batch_ && !batch_->records.empty()) {
    out.emit(std::move(batch_));
    unflushed_ = true;
  } else if (!received && unflushed_) {
    // The senders went quiet: let writers downstream push out what they hold.
    auto flush = make_batch(0);
    flush->add_event({.kind = Event::Kind::flush});
    out.emit(std::move(flush));
    unflushed_ = false;
  }
  batch_.reset();
  return !host_.stopping() && !idle();
}

std::string UdpCollector::report() const {
  std::string r = fmt::format("  {} datagrams received, {} dropped by the kernel (receive buffer full)\n", datagrams_,
                              kernel_drops_);
  if (refused_) r += fmt::format("  {} datagrams from exporters not in allowed_exporters\n", refused_);
  return r;
}

std::size_t UdpCollector::receive(Emitter& out, const Decode& decode) {
  const auto datagrams = receiver_->receive();
  if (datagrams.empty()) return 0;
  const std::uint64_t received = now_ms();
  for (const auto& d : datagrams) {
    ++datagrams_;
    if (!allowed(d.sender)) {
      ++refused_;
      refused_counter_.add();
      continue;
    }
    if (!batch_) batch_ = batches_.get();
    decode(d, received, batch_->records);
    if (batch_->records.size() >= config_.batch_size) {
      out.emit(std::move(batch_));
      batch_.reset();
      unflushed_ = true;
    }
  }
  return datagrams.size();
}

bool UdpCollector::allowed(const IpAddress& sender) const {
  if (config_.allowed.empty()) return true;
  for (const auto& p : config_.allowed)
    if (p.contains(sender)) return true;
  return false;
}

bool UdpCollector::idle() const {
  return config_.idle_timeout.count() > 0 && last_datagram_ &&
         steady_clock::now() - *last_datagram_ >= config_.idle_timeout;
}

void UdpCollector::note_kernel_drops() {
  const std::uint64_t dropped = receiver_->kernel_drops();
  if (dropped <= kernel_drops_) return;
  host_.count_dropped(dropped - kernel_drops_);
  kernel_drops_counter_.add(dropped - kernel_drops_);
  kernel_drops_ = dropped;
}

}  // namespace sluice::net
