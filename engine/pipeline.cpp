#include "pipeline.h"

#include "metrics_server.h"
#include "options_binder.h"
#include "sink_runner.h"
#include "text.h"
#include "workers.h"

#include <sluice/clock.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <set>
#include <thread>

namespace sluice::engine {

namespace {

constexpr auto default_stats_interval = std::chrono::seconds(10);
constexpr auto progress_interval = std::chrono::milliseconds(250);
// After drain_timeout, how long a sink stuck inside its plugin gets before
// the engine stops waiting for its thread.
constexpr auto stuck_grace = std::chrono::seconds(2);

// A component whose plugin was found, with its options bound.
struct Planned {
  const ComponentConfig* config;
  std::shared_ptr<const LoadedPlugin> plugin;
  const PluginDescriptor* descriptor;
  Options options;
};

// The ids of the components that batches of a redelivering source reach:
// their sinks must acknowledge what is delivered for good.
std::set<std::string> redelivered_components(const std::vector<Planned>& planned) {
  std::set<std::string> reached;
  for (const Planned& p : planned)
    if (p.descriptor->redelivers) reached.insert(p.config->id);
  for (std::size_t grown = 1; grown != 0;) {  // until a pass adds none: inputs may come in any order
    grown = 0;
    for (const Planned& p : planned)
      if (!reached.contains(p.config->id))
        for (const std::string& input : p.config->inputs)
          if (reached.contains(input)) grown += reached.insert(p.config->id).second ? 1 : 0;
  }
  return reached;
}

}  // namespace

// A redelivering source is told which of its batches are delivered; a
// holding transform follows its own outputs to release its inputs.
void Pipeline::follow_deliveries(Node& node, const PluginDescriptor& descriptor) {
  if (node.kind == PluginKind::transform && descriptor.holds_records)
    node.held = std::make_unique<HeldInputs>(run_.deliveries);
  if (node.redelivers || node.held)
    run_.deliveries.track(node.number, [n = &node](std::uint64_t s) { n->delivered(s); });
}

// The engine's own thread: signals, the periodic stats line, the progress
// line, the metrics endpoint and systemd's watchdog. It runs from before the
// first component starts until every component has finished, and it never
// waits on one.
class Pipeline::Control {
 public:
  explicit Control(Pipeline& pipeline)
      : pipeline_(pipeline),
        stats_timer_(io_),
        progress_timer_(io_),
        console_timer_(io_),
        watchdog_timer_(io_),
        run_for_timer_(io_),
        show_progress_(isatty(STDERR_FILENO) == 1) {
    if (pipeline_.options_.handle_signals) {
      signals_.emplace(io_, SIGINT, SIGTERM, SIGHUP);
      wait_for_signal();
    }
    if (!pipeline_.engine_.metrics.empty()) {
      console::Console& console = *pipeline_.console_;
      server_.emplace(
          io_, pipeline_.engine_.metrics, [this] { return pipeline_.run_.metrics.render(); },
          [this] {
            std::string text = pipeline_.health();
            return MetricsServer::Health{text == "running", std::move(text)};
          },
          [&console](std::string_view path) { return console.answer(path); });
      pipeline_.run_.log.info("serving the console, /metrics and /health on http://{}", server_->address());
      schedule_console();
    }
    stats_interval_ =
        pipeline_.options_.stats_interval.value_or(pipeline_.engine_.stats_interval.value_or(default_stats_interval));
    if (stats_interval_.count() > 0) schedule_stats();
    if (show_progress_) schedule_progress();
    if (const auto period = pipeline_.service_.watchdog_period()) schedule_watchdog(*period);
    if (const auto run_for = pipeline_.options_.run_for) stop_after(*run_for);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Control() {
    io_.stop();
    thread_.join();
    if (progress_shown_) pipeline_.run_.log.status({});
  }

  Control(const Control&) = delete;
  Control& operator=(const Control&) = delete;

 private:
  void wait_for_signal() {
    signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      const Logger& log = pipeline_.run_.log;
      if (signal == SIGHUP) {
        log.info("SIGHUP: rotating every sink's output; components re-read their files");
        ++pipeline_.run_.reload_requests;
        pipeline_.rotate();
      } else if (pipeline_.run_.stop_requested) {
        log.warning("second signal: exiting now without draining");
        std::_Exit(128 + signal);
      } else {
        log.info("{}: stopping sources, draining (at most {} s) and closing (signal again to exit now)",
                 signal == SIGINT ? "SIGINT" : "SIGTERM",
                 std::chrono::duration<double>(pipeline_.run_.drain_timeout).count());
        pipeline_.stop();
      }
      wait_for_signal();
    });
  }

  void schedule_stats() {
    stats_timer_.expires_after(stats_interval_);
    stats_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const std::string line = pipeline_.stats_line();
      pipeline_.run_.log.info("{}", line);
      pipeline_.service_.status(line);
      schedule_stats();
    });
  }

  // The console's ring of rates gets a sample a second, whether anyone looks or not.
  void schedule_console() {
    console_timer_.expires_after(std::chrono::seconds(1));
    console_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      pipeline_.console_->sample();
      schedule_console();
    });
  }

  // One updating line on a terminal for finite runs: records, rate, share, ETA.
  void schedule_progress() {
    progress_timer_.expires_after(progress_interval);
    progress_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto line = pipeline_.progress_line(); !line.empty()) {
        pipeline_.run_.log.status(line);
        progress_shown_ = true;
      }
      schedule_progress();
    });
  }

  // While this thread turns, systemd hears from it; if it hangs, systemd
  // restarts the service.
  void schedule_watchdog(std::chrono::microseconds period) {
    pipeline_.service_.watchdog();
    watchdog_timer_.expires_after(period);
    watchdog_timer_.async_wait([this, period](const boost::system::error_code& ec) {
      if (!ec) schedule_watchdog(period);
    });
  }

  // A run of a given length (`--for`) ends as a signal ends it: sources
  // stop, what is in flight is drained and written.
  void stop_after(std::chrono::milliseconds run_for) {
    run_for_timer_.expires_after(run_for);
    run_for_timer_.async_wait([this, run_for](const boost::system::error_code& ec) {
      if (ec || pipeline_.run_.stop_requested) return;
      pipeline_.run_.log.info("ran for {}: stopping sources, draining and closing", format_duration(run_for));
      pipeline_.stop();
    });
  }

  Pipeline& pipeline_;
  boost::asio::io_context io_;
  std::optional<boost::asio::signal_set> signals_;
  boost::asio::steady_timer stats_timer_;
  boost::asio::steady_timer progress_timer_;
  boost::asio::steady_timer console_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer run_for_timer_;
  std::optional<MetricsServer> server_;
  std::chrono::seconds stats_interval_{0};
  const bool show_progress_;
  bool progress_shown_ = false;
  std::thread thread_;
};

Pipeline::Pipeline(const PipelineConfig& config, PluginCatalog& catalog, const Logger& log, RunOptions options)
    : run_(log, config.engine.drain_timeout), engine_(config.engine), options_(options) {
  ProblemList problems(config.file);
  std::vector<Planned> planned;
  for (const ComponentConfig& c : config.components) {
    const std::string plugin_key = c.key + ".plugin";
    const toml::node* plugin_node = c.table->get("plugin");
    std::shared_ptr<const LoadedPlugin> plugin;
    try {
      plugin = catalog.load(c.plugin);
    } catch (const PluginLoadError& e) {
      problems.add(plugin_node, plugin_key, e.what());
      continue;
    }
    if (!plugin) {
      auto known = catalog.names();
      problems.add(plugin_node, plugin_key,
                   fmt::format("unknown plugin \"{}\"{}", c.plugin,
                               known.empty() ? "; no plugins were found on the search path (see --plugin-dir)"
                                             : suggestion(c.plugin, known, "known plugins: ")));
      continue;
    }
    const PluginDescriptor* descriptor = plugin->find(c.role);
    if (!descriptor) {
      problems.add(
          plugin_node, plugin_key,
          fmt::format("plugin {} is a {}; [{}] needs a {}", c.plugin, plugin->kinds(), c.key, to_string(c.role)));
      continue;
    }
    if (c.parallel && descriptor->concurrency == Concurrency::serial)
      problems.add(c.table->get("workers"), c.key + ".workers",
                   fmt::format("plugin {} runs on one worker only (its {} keeps state across batches)", c.plugin,
                               to_string(c.role)));
    planned.push_back({&c, plugin, descriptor, bind_options(c, descriptor->options, problems)});
  }
  problems.raise_if_any();

  // Every option is well-typed: now each plugin checks its own values.
  const std::set<std::string> redelivered = redelivered_components(planned);
  for (const Planned& p : planned) {
    const ComponentConfig& c = *p.config;
    for (unsigned i = 0; i < c.instances; ++i) {
      auto node = std::make_unique<Node>(run_, c, i, c.instances, static_cast<std::uint32_t>(nodes_.size() + 1));
      node->concurrency = p.descriptor->concurrency;
      node->acknowledges_later = p.descriptor->acknowledges_later;
      node->redelivers = p.descriptor->redelivers;
      node->redelivered_upstream = redelivered.contains(c.id);
      follow_deliveries(*node, *p.descriptor);
      Status status;
      // A sink on workers commits on an instance of its own: prepare() and
      // commit() never run on one instance at once.
      const unsigned copies = c.workers > 1 && c.role == PluginKind::sink ? c.workers + 1 : c.workers;
      for (unsigned w = 0; w < copies && status; ++w)
        if (auto instance = instantiate(p.plugin, *p.descriptor, p.options, *node, status))
          node->instances_by_worker.push_back(std::move(instance));
      // A keyed transform's instances each keep a partition of the keys; a
      // keyed sink's preparing instances ([1..N]) each a share of the work.
      if (node->concurrency == Concurrency::keyed && c.workers > 1 && c.role == PluginKind::transform)
        for (unsigned w = 0; w < node->instances_by_worker.size() && status; ++w)
          status = node->transform(w).keep({w, c.workers});
      if (node->concurrency == Concurrency::keyed && c.workers > 1 && c.role == PluginKind::sink)
        for (unsigned w = 1; w < node->instances_by_worker.size() && status; ++w)
          status = node->sink(w).keep({w - 1, c.workers});
      if (status) node->component = node->instances_by_worker.front();
      if (!node->component) {
        // The key may reach into an array of tables: "scenarios[2].intensity".
        const toml::node* at = status.key().empty() ? nullptr : c.table->at_path(status.key()).node();
        const std::string key = status.key().empty() ? c.key : c.key + "." + status.key();
        problems.add(at ? at : c.table, key, fmt::format("plugin {}: {}", c.plugin, status.message()));
        break;  // the other instances would say the same
      }
      nodes_.push_back(std::move(node));
    }
  }
  problems.raise_if_any();

  for (auto& node : nodes_) {
    const ComponentConfig& c = *config.find(node->config_id);
    for (const std::string& input : c.inputs)
      for (auto& upstream : nodes_)
        if (upstream->config_id == input) {
          upstream->downstream.push_back(node.get());
          ++node->open_inputs;
        }
    if (node->workers > 1) add_workers(*node);
    if (node->kind == PluginKind::sink) {
      node->queue = std::make_unique<BoundedQueue<QueueItem>>(options_.queue_records);
      const Label labels[] = {{"component_id", node->id}, {"component_kind", "sink"}, {"plugin", node->plugin}};
      run_.metrics.computed_gauge("sluice_queue_records", "Records waiting in the sink's queue", labels,
                                  [n = node.get()] { return static_cast<double>(n->queue->weight()); });
      run_.metrics.computed_gauge(
          "sluice_sink_oldest_undelivered_seconds",
          "Age of the oldest record the sink has not delivered yet (queued or being retried); 0 when none", labels,
          [n = node.get()] {
            auto oldest = n->queue->oldest();
            if (const Clock::rep since = n->delivering_since.load(); since != 0)
              oldest = Clock::time_point(Clock::duration(since));
            return oldest ? std::chrono::duration<double>(Clock::now() - *oldest).count() : 0.0;
          });
    }
  }
  if (!engine_.metrics.empty())
    console_ = std::make_unique<console::Console>(config, nodes_, run_, [this] { return health(); });
}

std::string Pipeline::health() const {
  if (run_.failed) return "failed";
  if (run_.draining()) return "draining";
  return "running";
}

// The queue before the workers, the reorder window after them, and for a
// sink the ordered queue into its commits.
void Pipeline::add_workers(Node& node) {
  const std::size_t window = reorder_window(node.workers);
  const Label labels[] = {{"component_id", node.id}, {"component_kind", to_string(node.kind)}, {"plugin", node.plugin}};
  std::function<double()> parked;
  if (node.kind == PluginKind::sink && node.concurrency == Concurrency::keyed) {
    node.sink_steps = std::make_unique<SinkSteps>(node.workers, window);
    node.prepared = std::make_unique<BoundedQueue<PreparedItem>>(window);
    parked = [n = &node] { return static_cast<double>(n->sink_steps->order.parked_weight()); };
  } else if (node.kind == PluginKind::sink) {
    node.prepare_order = std::make_unique<InOrder<PreparedItem>>(window);
    node.prepared = std::make_unique<BoundedQueue<PreparedItem>>(window);
    parked = [n = &node] { return static_cast<double>(n->prepare_order->parked_weight()); };
  } else if (node.concurrency == Concurrency::keyed) {
    node.keyed = std::make_unique<KeyedSteps>(node.workers, window);
    parked = [n = &node] { return static_cast<double>(n->keyed->order.parked_weight()); };
  } else {
    node.queue = std::make_unique<BoundedQueue<QueueItem>>(options_.queue_records);
    node.transform_order = std::make_unique<InOrder<TransformResult>>(window);
    node.closed_because = LossReason::transform_failed;
    parked = [n = &node] { return static_cast<double>(n->transform_order->parked_weight()); };
    run_.metrics.computed_gauge("sluice_queue_records", "Records waiting in the sink's queue", labels,
                                [n = &node] { return static_cast<double>(n->queue->weight()); });
  }
  run_.metrics.computed_gauge(
      "sluice_component_reorder_records",
      "Records workers have finished that wait for an earlier batch to go first (the reorder window: at most two "
      "batches a worker)",
      labels, std::move(parked));
}

Pipeline::~Pipeline() {
  // A thread still inside a plugin would touch what is destroyed here.
  if (left_threads_running_) {
    for (auto& node : nodes_) (void)node.release();
    return;
  }
  // Queued batches may have been made by any plugin: release them while every
  // library is still loaded, then destroy components downstream-first so that
  // a transform holding a source's batch goes before that source's library.
  for (auto& node : nodes_) {
    node->queue.reset();
    node->prepared.reset();
    node->prepare_order.reset();
    node->transform_order.reset();
    node->keyed.reset();
    node->sink_steps.reset();
  }
  while (!nodes_.empty()) nodes_.pop_back();
}

void Pipeline::stop() noexcept {
  service_.stopping();
  run_.begin_drain();
}

void Pipeline::rotate() {
  auto batch = std::make_shared<Batch>();
  batch->add_event({.kind = Event::Kind::rotate, .window_start_ms = now_ms(), .window_end_ms = 0});
  for (auto& node : nodes_)
    if (node->kind == PluginKind::sink) node->queue->push_urgent(batch);
}

bool Pipeline::start_components() {
  // Sinks first, so that files and sockets are ready before data flows.
  std::vector<Node*> started;
  for (PluginKind kind : {PluginKind::sink, PluginKind::transform, PluginKind::source}) {
    for (auto& node : nodes_) {
      if (node->kind != kind) continue;
      run_.log.log(LogLevel::debug, "starting {} ({})", node->id, node->plugin);
      if (Status s = start(*node); !s) {
        node->fail(s);
        if (!s.key().empty()) run_.start_rejected_option = true;  // a file an option names is missing or bad
        // The sinks started close what they opened; they know the run failed.
        for (Node* done : started)
          if (done->kind == PluginKind::sink) (void)done->sink().finish();
        return false;
      }
      started.push_back(node.get());
    }
  }
  return true;
}

// Every instance of a transform runs batches, so each starts; a sink's other
// instances only prepare (no output of their own), so only the first starts.
Status Pipeline::start(Node& node) {
  if (node.disk_buffer_config) {
    try {
      node.buffer = std::make_unique<SinkBuffer>(node, *node.disk_buffer_config);
    } catch (const disk_buffer::Error& e) {
      return Status::failure(e.what());
    }
  }
  const std::size_t started = node.kind == PluginKind::transform ? node.instances_by_worker.size() : 1;
  for (std::size_t i = 0; i < started; ++i)
    if (Status s = node.instances_by_worker[i]->start(); !s) return s;
  return Status::ok();
}

void Pipeline::run_source(Node& node) {
  bool more = true;
  while (more && !run_.stop_requested.load(std::memory_order_relaxed)) {
    if (node.redelivers) node.tell_delivered();
    if (Status s = node.source().poll(node, more); !s) {
      node.fail(s);
      break;
    }
  }
  node.end_of_output();
}

// Ticks every transform that asks for them, from one thread of its own: a
// tick may block on a full queue downstream, which must not hold up signals.
void Pipeline::run_transform_ticks() {
  struct Ticking {
    Node* node;
    Clock::duration period;
    Clock::time_point next;
  };
  std::vector<Ticking> ticking;
  for (auto& node : nodes_)
    if (node->kind == PluginKind::transform && (node->workers == 1 || node->keyed))
      if (const auto ms = node->component->tick_period_ms(); ms > 0)
        ticking.push_back({node.get(), std::chrono::milliseconds(ms), Clock::now() + std::chrono::milliseconds(ms)});
  if (ticking.empty()) return;

  std::unique_lock lock(threads_mutex_);
  while (running_threads_ > 0) {
    Clock::time_point earliest = Clock::time_point::max();
    for (const Ticking& t : ticking) earliest = std::min(earliest, t.next);
    if (threads_done_.wait_until(lock, earliest, [&] { return running_threads_ == 0; })) break;
    lock.unlock();
    const auto now = Clock::now();
    for (Ticking& t : ticking) {
      if (now < t.next) continue;
      t.next = now + t.period;
      Node& node = *t.node;
      std::lock_guard transform_lock(node.transform_mutex);
      if (node.transform_finished || node.failed) continue;
      if (node.keyed)
        node.push_step(KeyedStep::Kind::tick);  // every partition's bins close on this one
      else if (Status s = node.transform().tick(node); !s)
        node.fail(s);
    }
    lock.lock();
  }
}

void Pipeline::wait_for_threads() {
  std::unique_lock lock(threads_mutex_);
  while (running_threads_ > 0) {
    if (!run_.draining()) {
      threads_done_.wait_for(lock, std::chrono::milliseconds(100));
      continue;
    }
    if (threads_done_.wait_until(lock, run_.drain_deadline() + stuck_grace, [&] { return running_threads_ == 0; }))
      break;
    run_.log.error("{} component thread(s) did not stop within drain_timeout; exiting without them", running_threads_);
    left_threads_running_ = true;
    run_.failed = true;
    return;
  }
}

int Pipeline::run() {
  started_at_ = Clock::now();
  std::optional<Control> control;
  try {
    control.emplace(*this);  // signals are handled from here on, also while components start
  } catch (const std::exception& e) {
    run_.log.error("{}", e.what());
    run_.failed = true;
    return 1;
  }
  if (!start_components()) {
    wall_time_ = Clock::now() - started_at_;
    return run_.start_rejected_option ? 78 : 1;  // main's exit_config: no flow moved
  }
  service_.ready();

  std::vector<std::thread> threads;
  const auto spawn = [&](auto body) {
    threads.emplace_back([this, body] {
      body();
      {
        std::lock_guard lock(threads_mutex_);
        --running_threads_;
      }
      threads_done_.notify_all();
    });
  };
  {
    std::lock_guard lock(threads_mutex_);
    for (auto& node : nodes_) running_threads_ += threads_of(*node);
    for (auto& node : nodes_) running_sources_ += node->kind == PluginKind::source;
  }
  for (auto& node : nodes_) {
    if (node->workers > 1) {
      node->running_workers = node->workers;
      for (unsigned w = 0; w < node->workers; ++w)
        spawn([n = node.get(), w] {
          if (n->sink_steps)
            run_sink_partition(*n, w);
          else if (n->kind == PluginKind::sink)
            run_prepare_worker(*n, w);
          else if (n->keyed)
            run_keyed_worker(*n, w);
          else
            run_transform_worker(*n, w);
        });
    }
    if (node->sink_steps) spawn([n = node.get()] { run_sink_steps(*n); });
    if (node->kind == PluginKind::sink) spawn([n = node.get()] { run_sink(*n); });
    if (node->buffer) spawn([n = node.get()] { n->buffer->pump(); });
  }
  for (auto& node : nodes_) {
    if (node->kind != PluginKind::source) continue;
    spawn([this, n = node.get()] {
      run_source(*n);
      std::lock_guard lock(threads_mutex_);
      // The last source has ended: what is in flight gets drain_timeout.
      if (--running_sources_ == 0) run_.begin_drain();
    });
  }
  std::thread ticker([this] { run_transform_ticks(); });

  wait_for_threads();
  wall_time_ = Clock::now() - started_at_;
  if (left_threads_running_) {
    for (auto& t : threads) t.detach();
    ticker.detach();
  } else {
    for (auto& t : threads) t.join();
    ticker.join();
    // The sinks have finished: what they delivered last is told now.
    for (auto& node : nodes_)
      if (node->redelivers) node->tell_delivered();
  }
  control.reset();
  return run_.failed || lost_records() > 0 ? 1 : 0;
}

int Pipeline::threads_of(const Node& node) {
  const int workers = node.workers > 1 ? static_cast<int>(node.workers) : 0;
  return workers + (node.kind == PluginKind::transform ? 0 : 1) + (node.buffer ? 1 : 0) + (node.sink_steps ? 1 : 0);
}

std::uint64_t Pipeline::lost_records() const {
  std::uint64_t lost = 0;
  for (const auto& node : nodes_) lost += node->lost_total();
  return lost;
}

}  // namespace sluice::engine
