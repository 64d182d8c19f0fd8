// One component in the running graph, and the state every node shares.
// A node is its plugin's Host (logging, metrics, counters) and Emitter
// (fan-out to the nodes downstream).
#pragma once

#include "bounded_queue.h"
#include "config.h"
#include "log.h"
#include "metrics_registry.h"

#include <sluice/abi.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sluice::engine {

using Clock = std::chrono::steady_clock;

// Why records that entered a node never left it.
enum class LossReason : std::uint8_t {
  sink_failed,       // the sink failed for good; its queue was discarded
  transform_failed,  // the transform failed; what reached it afterwards went nowhere
  drain_timeout,     // still undelivered when drain_timeout ran out
  undeliverable,     // the plugin could not deliver them (an asynchronous send failed for good)
};
inline constexpr std::size_t loss_reasons = 4;
std::string_view to_string(LossReason reason) noexcept;

// What all nodes of one run share: the log, the metrics, stop and failure.
struct RunState {
  explicit RunState(const Logger& logger, std::chrono::milliseconds drain_timeout)
      : log(logger), drain_timeout(drain_timeout) {}

  const Logger& log;
  const std::chrono::milliseconds drain_timeout;
  MetricsRegistry metrics;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> failed{false};

  // Stop the sources, and give the sinks drain_timeout from now (the first
  // call counts) to deliver what is in flight.
  void begin_drain() noexcept;
  bool draining() const noexcept { return drain_deadline_ns_.load() != no_deadline; }
  // The time by which delivery must be done; max() while not draining.
  Clock::time_point drain_deadline() const noexcept {
    return Clock::time_point(Clock::duration(drain_deadline_ns_.load()));
  }

 private:
  static constexpr Clock::rep no_deadline = Clock::duration::max().count();
  std::atomic<Clock::rep> drain_deadline_ns_{no_deadline};
};

// A batch waiting in a sink's queue.
using QueueItem = BatchPtr;

struct Node final : Host, Emitter {
  Node(RunState& run, const ComponentConfig& config, unsigned instance, unsigned instances);

  RunState& run;
  const std::string id;         // unique: "collector", or "collector#1" for an instance
  const std::string config_id;  // as in the pipeline file: what `inputs` name
  const std::string plugin;
  const PluginKind kind;
  const bool drop_when_full;
  const unsigned instance_index;
  const unsigned instance_count;

  std::shared_ptr<abi::Component> component;
  std::vector<Node*> downstream;
  std::atomic<std::size_t> open_inputs{0};
  std::atomic<bool> failed{false};

  // Transforms: one batch, tick or finish at a time, whoever calls.
  std::mutex transform_mutex;
  bool transform_finished = false;  // under transform_mutex

  // Sinks: the queue, and when the batch being delivered was queued (0: none).
  std::unique_ptr<BoundedQueue<QueueItem>> queue;
  std::atomic<Clock::rep> delivering_since{0};
  std::atomic<LossReason> closed_because{LossReason::sink_failed};

  Counter received;
  Counter sent;
  Counter dropped;
  Counter errors;
  Counter retries;
  std::array<Counter, loss_reasons> lost;
  std::atomic<double> progress_fraction{-1};  // -1: the source reports none

  abi::Source& source() { return static_cast<abi::Source&>(*component); }
  abi::Transform& transform() { return static_cast<abi::Transform&>(*component); }
  abi::Sink& sink() { return static_cast<abi::Sink&>(*component); }

  std::uint64_t lost_total() const noexcept;
  // Records lost for one reason.
  void count_lost(LossReason reason, std::uint64_t records) noexcept {
    lost[static_cast<std::size_t>(reason)].add(records);
  }

  // Marks the node (and the run) failed and starts the drain. Only the first
  // failure of a node is logged as an error: what follows is its echo.
  void fail(const Status& status);

  // An upstream node has ended; when the last one has, this node ends too.
  void end_of_input();
  // This node has ended: tell the nodes downstream.
  void end_of_output();
  // A batch from upstream: into the transform, or into the sink's queue.
  void deliver(const BatchPtr& batch);

  // Host
  void log(LogLevel level, std::string_view message) override;
  bool stopping() const noexcept override { return run.stop_requested.load(std::memory_order_relaxed); }
  bool run_failed() const noexcept override { return run.failed.load(std::memory_order_relaxed); }
  void count_dropped(std::uint64_t records) noexcept override { dropped.add(records); }
  void count_lost(std::uint64_t records) noexcept override { count_lost(LossReason::undeliverable, records); }
  void count_errors(std::uint64_t n) noexcept override { errors.add(n); }
  Counter counter(std::string_view name, std::string_view help, std::span<const Label> labels) override;
  Gauge gauge(std::string_view name, std::string_view help, std::span<const Label> labels) override;
  unsigned instance() const noexcept override { return instance_index; }
  unsigned instances() const noexcept override { return instance_count; }
  void progress(double fraction) noexcept override { progress_fraction.store(fraction, std::memory_order_relaxed); }
  void remove_metrics(std::span<const Label> labels) override;
  using Host::counter;
  using Host::gauge;

  // Emitter
  void emit(BatchPtr batch) override;

 private:
  // The plugin's metric name and labels: sluice_<plugin>_<name>{component_id, ...}.
  std::string metric_name(std::string_view name) const;
  std::vector<Label> metric_labels(std::span<const Label> labels) const;
};

}  // namespace sluice::engine
