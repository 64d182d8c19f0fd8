// Every counter and gauge of a running pipeline, the engine's and the
// plugins': registered once under a lock, updated lock-free through the
// handles (sluice::Counter, sluice::Gauge), rendered as Prometheus text.
#pragma once

#include <sluice/metrics.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::engine {

class MetricsRegistry {
 public:
  enum class Type { counter, gauge };

  // Returns the series `name{labels}`, creating it (and its family) on first
  // use. Throws std::invalid_argument for a name or label that Prometheus
  // would reject, a counter whose name does not end in _total, or a name
  // already registered with another type.
  Counter counter(std::string_view name, std::string_view help, std::span<const Label> labels);
  Gauge gauge(std::string_view name, std::string_view help, std::span<const Label> labels);

  // A gauge whose value is computed when read (a queue's length).
  void computed_gauge(std::string_view name, std::string_view help, std::span<const Label> labels,
                      std::function<double()> read);

  // A counter whose value is computed when read (seconds busy, summed from nanoseconds).
  void computed_counter(std::string_view name, std::string_view help, std::span<const Label> labels,
                        std::function<double()> read);
  // Removes every series of the families named `prefix`... whose labels
  // begin with `labels` (the state of a sender a plugin forgot), at the cost
  // of a lookup per family. Their cells are reused by later series: the
  // handles to them must not be used again.
  void remove(std::string_view prefix, std::span<const Label> labels);

  // The Prometheus text exposition format (version 0.0.4) of every series.
  std::string render() const;

  // Every series' value now (computed gauges read), by name then labels: the
  // console's view of the same numbers.
  struct Value {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
  };
  std::vector<Value> snapshot() const;

 private:
  struct Series {
    std::string labels;  // rendered: {a="1",b="2"}, or empty
    std::vector<std::pair<std::string, std::string>> label_values;
    std::atomic<std::uint64_t> count{0};
    std::atomic<double> value{0};
    std::function<double()> read;
  };
  struct Family {
    Type type = Type::counter;
    std::string help;
    std::map<std::string, Series*, std::less<>> series;  // by rendered labels
  };

  void computed(Type type, std::string_view name, std::string_view help, std::span<const Label> labels,
                std::function<double()> read);
  static double value_of(Type type, const Series& series);
  Series& series(Type type, std::string_view name, std::string_view help, std::span<const Label> labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
  std::deque<Series> cells_;         // a deque: series never move, so handles stay valid
  std::vector<Series*> free_cells_;  // of removed series, reused first
};

}  // namespace sluice::engine
