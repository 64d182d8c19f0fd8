// Spreads sends evenly over time, as routers pace their export, rather than
// in bursts that a collector's socket buffer cannot hold.
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice::net {

// A token bucket whose rate follows the work: the arrival rate of the last
// whole second, plus what sends everything waiting when items arrive within
// `drain`. At most `max_burst` items go back to back. The unit is the
// caller's: datagrams, records, samples.
class Pacer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Pacer(double max_burst, Clock::duration drain = std::chrono::milliseconds(500));

  // `n` more items wait to go.
  void arrived(std::uint64_t n, Clock::time_point now);
  // Whether the next item may go now.
  bool ready(Clock::time_point now);
  // `n` items went; going beyond what the bucket held delays the next.
  void sent(std::uint64_t n);
  // When the next item may go (in the past: now).
  Clock::time_point next(Clock::time_point now) const;
  std::uint64_t waiting() const noexcept { return waiting_; }

 private:
  double rate() const noexcept;  // items per second
  void refill(Clock::time_point now);

  double max_burst_;
  double drain_seconds_;
  double tokens_;
  std::uint64_t waiting_ = 0;
  double backlog_rate_ = 0;  // what clears the backlog of the last arrival within drain
  // Arrivals counted per second: the one before, and the one under way.
  Clock::time_point window_start_{};
  std::uint64_t this_window_ = 0;
  std::uint64_t last_window_ = 0;
  Clock::time_point refilled_{};
};

}  // namespace sluice::net
