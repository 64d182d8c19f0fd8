// A pipeline: components created from a checked config, wired into a graph,
// run until every source ends or a stop is requested.
#pragma once

#include "config.h"
#include "console/console.h"
#include "log.h"
#include "node.h"
#include "plugin_catalog.h"
#include "service_notify.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice::engine {

struct RunOptions {
  std::optional<std::chrono::seconds> stats_interval;  // 0: no periodic stats line; unset: [engine] or 10 s
  std::size_t queue_records = 65536;                   // capacity of each sink's queue (about 11 MiB)
  bool handle_signals = true;                          // SIGINT/SIGTERM stop, SIGHUP rotates
  std::optional<std::chrono::milliseconds> run_for{};  // then the sources are stopped, as by SIGTERM
};

class Pipeline {
 public:
  // Loads every plugin and creates every component, which validates its
  // options; nothing is started. Throws ConfigError (all problems at once).
  Pipeline(const PipelineConfig& config, PluginCatalog& catalog, const Logger& log, RunOptions options = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Starts the components (sinks first), streams until the sources end or
  // stop() is called, drains the queues (for at most drain_timeout) and
  // finishes every sink. Returns 0, or 1 if a component failed or records
  // were lost.
  int run();

  // Asks the sources to end; what is in flight is drained and written.
  void stop() noexcept;
  // Sends a Rotate event to every sink, behind what is already queued.
  void rotate();

  // The end-of-run table: per component records in, out, dropped, lost,
  // errors; each independent path's total and rate; each plugin's report.
  std::string summary() const;
  // The same counts as one JSON object on one line, for scripts and tests
  // (`sluice run --summary json`; docs/operations.md lists its keys).
  std::string summary_json() const;
  // Every metric, as /metrics serves it.
  std::string metrics() const { return run_.metrics.render(); }
  // The same as values.
  std::vector<MetricsRegistry::Value> metric_values() const { return run_.metrics.snapshot(); }
  // True when a component did not stop by drain_timeout and its thread was
  // left running: the process must exit without unwinding (std::_Exit).
  bool left_threads_running() const noexcept { return left_threads_running_; }

 private:
  class Control;
  void add_workers(Node& node);
  void follow_deliveries(Node& node, const PluginDescriptor& descriptor);
  // The threads a node runs on: a source's or sink's own, plus its workers.
  static int threads_of(const Node& node);
  bool start_components();
  static Status start(Node& node);
  void run_source(Node& node);
  void run_transform_ticks();
  void wait_for_threads();
  std::uint64_t lost_records() const;
  std::string stats_line() const;
  // "running"; "draining" once the sources have stopped; "failed".
  std::string health() const;
  // For a terminal: records, rate, and the share done with an ETA when the
  // sources report progress; empty when none does.
  std::string progress_line() const;

  RunState run_;
  const EngineConfig engine_;
  RunOptions options_;
  const ServiceNotifier service_;
  std::vector<std::unique_ptr<Node>> nodes_;   // sources, transforms, sinks
  std::unique_ptr<console::Console> console_;  // with [engine] metrics
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::steady_clock::duration wall_time_{};
  std::mutex threads_mutex_;
  std::condition_variable threads_done_;
  int running_threads_ = 0;  // under threads_mutex_
  int running_sources_ = 0;  // under threads_mutex_
  bool left_threads_running_ = false;
};

}  // namespace sluice::engine
