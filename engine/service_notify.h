// Tells systemd how the service is doing (sd_notify, for Type=notify units):
// READY=1 once every component has started, STOPPING=1 when the drain
// begins, STATUS= with the stats line, and WATCHDOG=1 while the engine's
// control thread runs. Outside systemd (no NOTIFY_SOCKET) every call does
// nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace sluice::engine {

class ServiceNotifier {
 public:
  ServiceNotifier();

  void ready() const;
  void stopping() const;
  void status(std::string_view line) const;
  void watchdog() const;

  // How often to send WATCHDOG=1: half the unit's WatchdogSec=; nothing
  // when the unit asks for no watchdog.
  std::optional<std::chrono::microseconds> watchdog_period() const noexcept { return watchdog_period_; }

 private:
  std::optional<std::chrono::microseconds> watchdog_period_;
};

}  // namespace sluice::engine
