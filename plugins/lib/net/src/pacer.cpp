#include "sluice/net/pacer.h"

#include <algorithm>

namespace sluice::net {

namespace {
constexpr auto window = std::chrono::seconds(1);
}

Pacer::Pacer(double max_burst, Clock::duration drain)
    : max_burst_(std::max(max_burst, 1.0)),
      drain_seconds_(std::chrono::duration<double>(drain).count()),
      tokens_(max_burst_) {}

double Pacer::rate() const noexcept {
  return static_cast<double>(last_window_) / std::chrono::duration<double>(window).count() + backlog_rate_;
}

void Pacer::refill(Clock::time_point now) {
  if (refilled_ != Clock::time_point{} && now > refilled_)
    tokens_ = std::min(max_burst_, tokens_ + rate() * std::chrono::duration<double>(now - refilled_).count());
  refilled_ = now;
}

void Pacer::arrived(std::uint64_t n, Clock::time_point now) {
  refill(now);
  if (now - window_start_ >= window) {
    // A quiet second in between leaves nothing to go by.
    last_window_ = now - window_start_ < 2 * window ? this_window_ : 0;
    this_window_ = 0;
    window_start_ = now;
  }
  this_window_ += n;
  waiting_ += n;
  backlog_rate_ = static_cast<double>(waiting_) / drain_seconds_;
}

bool Pacer::ready(Clock::time_point now) {
  refill(now);
  return waiting_ > 0 && tokens_ >= 1;
}

void Pacer::sent(std::uint64_t n) {
  tokens_ -= static_cast<double>(n);
  waiting_ -= std::min(n, waiting_);
  if (waiting_ == 0) backlog_rate_ = 0;
}

Pacer::Clock::time_point Pacer::next(Clock::time_point now) const {
  if (tokens_ >= 1 || rate() <= 0) return now;
  return now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>((1 - tokens_) / rate()));
}

}  // namespace sluice::net
