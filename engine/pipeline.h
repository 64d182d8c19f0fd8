// A pipeline: components created from a checked config, wired into a graph,
// run until every source ends or a stop is requested.
#pragma once

#include "config.h"
#include "log.h"
#include "plugin_catalog.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sluice::engine {

struct RunOptions {
  std::chrono::seconds stats_interval{10};  // 0: no periodic stats line
  std::size_t queue_records = 65536;        // capacity of each sink's queue (about 10 MiB)
  bool handle_signals = true;               // SIGINT/SIGTERM stop, SIGHUP rotates
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
  // stop() is called, drains the queues and finishes every sink. Returns 0,
  // or 1 if a component failed.
  int run();

  // Asks the sources to end; what is in flight is drained and written.
  void stop() noexcept;
  // Sends a Rotate event to every sink, behind what is already queued.
  void rotate();

  // The end-of-run table: per component records in, out, dropped, errors;
  // wall time and records/s; then each plugin's own report.
  std::string summary() const;

  struct Node;

 private:
  void fail(Node& node, const Status& status);
  void run_source(Node& node);
  void run_sink(Node& node);
  void thread_done();
  std::string stats_line() const;

  const Logger& log_;
  RunOptions options_;
  std::string file_;
  std::vector<std::unique_ptr<Node>> nodes_;  // sources, transforms, sinks
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> failed_{false};
  std::atomic<int> running_threads_{0};
  std::function<void()> on_all_threads_done_;
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::steady_clock::duration wall_time_{};
};

}  // namespace sluice::engine
