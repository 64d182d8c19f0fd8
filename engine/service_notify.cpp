#include "service_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

namespace sluice::engine {

ServiceNotifier::ServiceNotifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) watchdog_period_ = std::chrono::microseconds(usec / 2);
}

// sd_notify's result is only whether systemd listens: nothing to act on.
void ServiceNotifier::ready() const { (void)sd_notify(0, "READY=1"); }
void ServiceNotifier::stopping() const { (void)sd_notify(0, "STOPPING=1"); }
void ServiceNotifier::watchdog() const { (void)sd_notify(0, "WATCHDOG=1"); }
void ServiceNotifier::status(std::string_view line) const {
  (void)sd_notify(0, ("STATUS=" + std::string(line)).c_str());
}

}  // namespace sluice::engine
