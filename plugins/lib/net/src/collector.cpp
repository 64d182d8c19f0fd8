#include "sluice/net/collector.h"

#include <sluice/clock.h>

#include <fmt/format.h>

#include <climits>
#include <stdexcept>

namespace sluice::net {
namespace {

using namespace std::chrono;

constexpr auto poll_timeout = milliseconds(100);

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
  const auto receive_buffer = options.integer("receive_buffer");
  if (receive_buffer < 0 || receive_buffer > INT_MAX) throw OptionError("receive_buffer", "must be 0 to 2^31-1");
  c.receive_buffer = static_cast<int>(receive_buffer);
  const auto batch_size = options.integer("batch_size");
  if (batch_size < 1) throw OptionError("batch_size", "must be >= 1");
  c.batch_size = static_cast<std::size_t>(batch_size);
  c.idle_timeout = options.duration("idle_timeout");
  return c;
}

UdpCollector::UdpCollector(CollectorConfig config, Host& host)
    : config_(std::move(config)),
      host_(host),
      kernel_drops_counter_(
          host.counter("kernel_drops_total", "Datagrams the kernel dropped: the socket's receive buffer was full")),
      refused_counter_(host.counter("refused_datagrams_total", "Datagrams from exporters not in allowed_exporters")) {}

void UdpCollector::start() {
  receiver_.emplace(ReceiverConfig{
      .listen = config_.listen, .receive_buffer = config_.receive_buffer, .reuse_port = host_.instances() > 1});
  host_.log(LogLevel::info, fmt::format("listening on {}", to_string(config_.listen)));
}

bool UdpCollector::poll(Emitter& out, const Decode& decode) {
  const bool ready = receiver_->wait(poll_timeout);
  if (ready) {
    receive(out, decode);
    last_datagram_ = steady_clock::now();
  }
  if (batch_ && !batch_->records.empty()) {
    out.emit(std::move(batch_));
    unflushed_ = true;
  } else if (!ready && unflushed_) {
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

void UdpCollector::receive(Emitter& out, const Decode& decode) {
  // Drain what is queued, up to a poll's worth of time, then return.
  const auto deadline = steady_clock::now() + poll_timeout;
  while (steady_clock::now() < deadline) {
    const auto datagrams = receiver_->receive();
    if (datagrams.empty()) break;
    const std::uint64_t received = now_ms();
    for (const auto& d : datagrams) {
      ++datagrams_;
      if (!allowed(d.sender)) {
        ++refused_;
        refused_counter_.add();
        continue;
      }
      if (!batch_) batch_ = make_batch(config_.batch_size);
      decode(d, received, batch_->records);
    }
    if (batch_ && batch_->records.size() >= config_.batch_size) {
      out.emit(std::move(batch_));
      batch_.reset();
      unflushed_ = true;
    }
  }
  note_kernel_drops();
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
