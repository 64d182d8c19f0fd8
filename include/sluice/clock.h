// sluice SDK: the wall clock in the unit FlowRecord uses.
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice {

// Milliseconds since the Unix epoch, now.
inline std::uint64_t now_ms() noexcept {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace sluice

namespace sluice {

// Says yes at most once per period: for warnings that repeat while a
// condition lasts ("datagrams not delivered"), so the log stays readable.
class RateLimit {
 public:
  explicit RateLimit(std::chrono::steady_clock::duration period) noexcept : period_(period) {}

  bool allow(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) noexcept {
    if (now - last_ < period_) return false;
    last_ = now;
    return true;
  }

 private:
  std::chrono::steady_clock::duration period_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace sluice
