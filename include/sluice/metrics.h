// sluice SDK: counters and gauges a plugin updates and the engine owns.
//
// A plugin asks its Host for a metric once (by name and labels) and keeps the
// handle; updating it is one relaxed atomic operation, with no lock and no
// call into the engine. The engine serves every metric as Prometheus text,
// prints them in the periodic stats line and the summary, and keeps the
// values after the plugin is gone.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace sluice {

// One label of a metric: {"exporter", "192.0.2.1"}. The engine copies both.
struct Label {
  std::string_view name;
  std::string_view value;
};

// A count that only goes up (datagrams received, records lost).
class Counter {
 public:
  // Not registered: counts into a cell nobody reads, so that a member can be
  // declared before the Host hands out the real one.
  Counter() noexcept : cell_(&unregistered_cell()) {}
  explicit Counter(std::atomic<std::uint64_t>& cell) noexcept : cell_(&cell) {}

  void add(std::uint64_t n = 1) const noexcept { cell_->fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return cell_->load(std::memory_order_relaxed); }

 private:
  static std::atomic<std::uint64_t>& unregistered_cell() noexcept {
    static std::atomic<std::uint64_t> cell{0};
    return cell;
  }
  std::atomic<std::uint64_t>* cell_;
};

// A value that goes up and down (records queued, an interface's octets as an
// agent last reported them).
class Gauge {
 public:
  Gauge() noexcept : cell_(&unregistered_cell()) {}
  explicit Gauge(std::atomic<double>& cell) noexcept : cell_(&cell) {}

  void set(double value) const noexcept { cell_->store(value, std::memory_order_relaxed); }
  void add(double delta) const noexcept { cell_->fetch_add(delta, std::memory_order_relaxed); }
  double value() const noexcept { return cell_->load(std::memory_order_relaxed); }

 private:
  static std::atomic<double>& unregistered_cell() noexcept {
    static std::atomic<double> cell{0};
    return cell;
  }
  std::atomic<double>* cell_;
};

}  // namespace sluice
