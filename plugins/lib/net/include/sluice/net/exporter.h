// What every UDP exporter sink does around its encoder: send each datagram
// to one or more collectors, spread evenly over time at the rate the work
// arrives (as routers and switches pace their export), count per collector
// what went and what did not, and warn (at most every 10 s) while datagrams
// are not delivered.
#pragma once

#include <sluice/clock.h>
#include <sluice/host.h>
#include <sluice/options.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/net/pacer.h"
#include "sluice/net/udp.h"

namespace sluice::net {

inline constexpr OptionSpec target_option{
    .name = "target", .type = OptionType::string, .help = "collector \"host:port\" (IPv6: \"[addr]:port\")"};
inline constexpr OptionSpec targets_option{
    .name = "targets", .type = OptionType::string_list, .help = "several collectors, each gets every datagram"};
inline constexpr OptionSpec source_option{
    .name = "source",
    .type = OptionType::string,
    .help =
        "local address the datagrams leave from, which collectors see as the exporter's (a router's export "
        "source); unset: the system's choice"};

// The collectors of `target` and `targets`; throws OptionError naming the
// key of a bad one, or `target` when there is none.
std::vector<Endpoint> exporter_targets(const Options& options);
// The address of `source`, none when it is not set; throws OptionError when
// it is not an IPv4 or IPv6 address.
std::optional<IpAddress> exporter_source(const Options& options);

class UdpExporter {
 public:
  using Clock = Pacer::Clock;
  // A datagram to send (empty: none is waiting) and how many of the pace's
  // units it carries: datagrams, records, samples, as the caller counts.
  struct Datagram {
    std::span<const std::uint8_t> bytes;
    std::uint64_t units = 1;
  };
  static constexpr std::size_t datagrams_per_send = 64;  // one sendmmsg call at most
  // The tick period an exporter sink asks of the engine: each tick sends
  // what comes due within a period (send(now + tick_period, ...)); the engine
  // calls the next a period after it ends, the batches that queued meanwhile
  // first. consume() sends only what is due (send(now, ...)), never holding
  // back the flows upstream. Short, so that the gaps leave no more than a
  // few datagrams to catch up.
  static constexpr std::chrono::milliseconds tick_period{5};

  // Registers each collector's metrics; opens nothing yet. At most
  // `max_burst` units go back to back, the others evenly at the rate they
  // arrive (Pacer); 0: no pacing, every datagram goes as soon as it is made.
  // Datagrams leave from `source` when there is one.
  UdpExporter(const std::vector<Endpoint>& targets, Host& host, double max_burst,
              std::optional<IpAddress> source = std::nullopt);

  // Opens a socket per collector; throws std::runtime_error naming one that fails.
  void open() { sender_.open(); }

  // `units` more wait to go.
  void arrived(std::uint64_t units) {
    if (pacer_) pacer_->arrived(units, Clock::now());
  }

  // Sends the datagrams `next` makes until it makes an empty one or, when
  // paced, the next may not go before `deadline` (it sleeps until then).
  // next(slot) is called only when a datagram may go; `slot` (below
  // datagrams_per_send) names a buffer that a caller encoding on demand
  // may fill, untouched until that datagram has been sent.
  template <class Next>
  void send(Clock::time_point deadline, Next&& next) {
    const auto flush = [&] {
      if (batch_.empty()) return;
      sender_.send(batch_);
      batch_.clear();
    };
    for (;;) {
      if (pacer_ && pacer_->waiting() > 0 && !pacer_->ready(Clock::now())) {
        flush();
        const auto when = pacer_->next(Clock::now());
        if (when > deadline) break;
        std::this_thread::sleep_until(when);
        continue;
      }
      const Datagram d = next(batch_.size());
      if (d.bytes.empty()) break;
      batch_.push_back(d.bytes);
      if (pacer_) pacer_->sent(d.units);
      if (batch_.size() == datagrams_per_send) flush();
    }
    flush();
  }

  // Warns about datagrams not delivered since the last warning (and counts
  // them as the component's errors), at most every 10 s.
  void log_errors();
  // A line per collector that missed datagrams, for the summary.
  std::string report() const;

 private:
  Host& host_;
  UdpSender sender_;
  std::optional<Pacer> pacer_;  // none: not paced
  std::vector<std::span<const std::uint8_t>> batch_;
  std::vector<std::uint64_t> errors_logged_;  // per collector
  RateLimit error_log_;
};

}  // namespace sluice::net
