#include "pipeline.h"

#include "bounded_queue.h"
#include "options_binder.h"
#include "text.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

namespace sluice::engine {

// One component in the running graph. It is the plugin's Host (logging,
// counters) and its Emitter (fan-out to the nodes downstream).
struct Pipeline::Node final : Host, Emitter {
  Node(Pipeline& owner, const ComponentConfig& config)
      : pipeline(owner),
        id(config.id),
        plugin(config.plugin),
        kind(config.role),
        drop_when_full(config.drop_when_full) {}

  Pipeline& pipeline;
  const std::string id;
  const std::string plugin;
  const PluginKind kind;
  const bool drop_when_full;

  std::shared_ptr<abi::Component> component;
  std::vector<Node*> downstream;
  std::atomic<std::size_t> open_inputs{0};
  std::atomic<bool> failed{false};
  std::mutex transform_mutex;                     // a transform fed by several threads runs one batch at a time
  std::unique_ptr<BoundedQueue<BatchPtr>> queue;  // sinks only

  std::atomic<std::uint64_t> records_in{0};
  std::atomic<std::uint64_t> records_out{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> errors{0};

  abi::Source& source() { return static_cast<abi::Source&>(*component); }
  abi::Transform& transform() { return static_cast<abi::Transform&>(*component); }
  abi::Sink& sink() { return static_cast<abi::Sink&>(*component); }

  // Host
  void log(LogLevel level, std::string_view message) override { pipeline.log_.write(level, id, message); }
  bool stopping() const noexcept override { return pipeline.stop_requested_.load(std::memory_order_relaxed); }
  void count_dropped(std::uint64_t n) noexcept override { dropped.fetch_add(n, std::memory_order_relaxed); }
  void count_errors(std::uint64_t n) noexcept override { errors.fetch_add(n, std::memory_order_relaxed); }

  // Emitter
  void emit(BatchPtr batch) override {
    if (!batch) return;
    records_out.fetch_add(batch->records.size(), std::memory_order_relaxed);
    for (Node* next : downstream) next->deliver(batch);
  }

  void deliver(const BatchPtr& batch) {
    const std::size_t n = batch->records.size();
    if (kind == PluginKind::transform) {
      std::lock_guard lock(transform_mutex);
      if (failed) {
        dropped.fetch_add(n, std::memory_order_relaxed);
        return;
      }
      records_in.fetch_add(n, std::memory_order_relaxed);
      if (Status s = transform().process(batch, *this); !s) pipeline.fail(*this, s);
      return;
    }
    // Event-only batches weigh 1, so they too are bounded.
    const std::size_t weight = std::max<std::size_t>(n, 1);
    const bool queued = drop_when_full ? queue->try_push(batch, weight) : queue->push(batch, weight);
    if (!queued) dropped.fetch_add(n, std::memory_order_relaxed);
  }

  // One upstream has ended; when the last one has, this node ends too.
  void end_of_input() {
    if (open_inputs.fetch_sub(1) != 1) return;
    if (kind == PluginKind::sink) {
      queue->close();
      return;
    }
    {
      std::lock_guard lock(transform_mutex);
      if (!failed)
        if (Status s = transform().finish(*this); !s) pipeline.fail(*this, s);
    }
    end_of_output();
  }

  void end_of_output() {
    for (Node* next : downstream) next->end_of_input();
  }
};

Pipeline::Pipeline(const PipelineConfig& config, PluginCatalog& catalog, const Logger& log, RunOptions options)
    : log_(log), options_(options), file_(config.file) {
  ProblemList problems(config.file);
  std::vector<std::shared_ptr<const LoadedPlugin>> plugins;
  std::vector<Options> bound;
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
      std::string message = fmt::format("unknown plugin \"{}\"", c.plugin);
      if (auto guess = nearest(c.plugin, known)) message += fmt::format("; did you mean \"{}\"?", *guess);
      message += known.empty() ? "; no plugins were found on the search path (see --plugin-dir)"
                               : "; known plugins: " + join_names(known);
      problems.add(plugin_node, plugin_key, std::move(message));
      continue;
    }
    if (plugin->descriptor->kind != c.role) {
      problems.add(plugin_node, plugin_key,
                   fmt::format("plugin {} is a {}; [{}] needs a {}", c.plugin, to_string(plugin->descriptor->kind),
                               c.key, to_string(c.role)));
      continue;
    }
    bound.push_back(bind_options(c, plugin->descriptor->options, problems));
    plugins.push_back(std::move(plugin));
    nodes_.push_back(std::make_unique<Node>(*this, c));
  }
  problems.raise_if_any();

  // Every option is well-typed: now each plugin checks its own values.
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = *nodes_[i];
    const ComponentConfig& c = *config.find(node.id);
    Status status;
    node.component = instantiate(plugins[i], bound[i], node, status);
    if (!node.component) {
      const toml::node* at = status.key().empty() ? nullptr : c.table->get(status.key());
      const std::string key = status.key().empty() ? c.key : c.key + "." + status.key();
      problems.add(at ? at : c.table, key, fmt::format("plugin {}: {}", c.plugin, status.message()));
    }
  }
  problems.raise_if_any();

  for (auto& node : nodes_) {
    const ComponentConfig& c = *config.find(node->id);
    node->open_inputs = c.inputs.size();
    for (const std::string& input : c.inputs)
      for (auto& upstream : nodes_)
        if (upstream->id == input) upstream->downstream.push_back(node.get());
    if (node->kind == PluginKind::sink) node->queue = std::make_unique<BoundedQueue<BatchPtr>>(options_.queue_records);
  }
}

Pipeline::~Pipeline() {
  // Queued batches may have been made by any plugin: release them while every
  // library is still loaded, then destroy components downstream-first so that
  // a transform holding a source's batch goes before that source's library.
  for (auto& node : nodes_) node->queue.reset();
  while (!nodes_.empty()) nodes_.pop_back();
}

void Pipeline::stop() noexcept { stop_requested_ = true; }

void Pipeline::rotate() {
  using namespace std::chrono;
  const auto now =
      static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  auto batch = std::make_shared<Batch>();
  batch->add_event({.kind = Event::Kind::rotate, .window_start_ms = now, .window_end_ms = 0});
  for (auto& node : nodes_)
    if (node->queue) node->queue->push_urgent(batch);
}

void Pipeline::fail(Node& node, const Status& status) {
  node.failed = true;
  node.errors.fetch_add(1, std::memory_order_relaxed);
  failed_ = true;
  log_.error("component \"{}\" (plugin {}) failed: {}", node.id, node.plugin, status.message());
  stop();
}

void Pipeline::run_source(Node& node) {
  bool more = true;
  while (more && !stop_requested_.load(std::memory_order_relaxed)) {
    if (Status s = node.source().poll(node, more); !s) {
      fail(node, s);
      break;
    }
  }
  node.end_of_output();
}

void Pipeline::run_sink(Node& node) {
  while (std::optional<BatchPtr> batch = node.queue->pop()) {
    node.records_in.fetch_add((*batch)->records.size(), std::memory_order_relaxed);
    if (Status s = node.sink().consume(**batch); !s) {
      fail(node, s);
      // Producers must never block on a sink that has gone.
      node.queue->abandon();
    }
  }
  // Even a failed sink is finished: it closes what it has written.
  if (Status s = node.sink().finish(); !s) fail(node, s);
}

void Pipeline::thread_done() {
  if (running_threads_.fetch_sub(1) == 1) on_all_threads_done_();
}

int Pipeline::run() {
  started_at_ = std::chrono::steady_clock::now();
  // Sinks first, so that files and sockets are ready before data flows.
  std::vector<Node*> start_order;
  for (PluginKind kind : {PluginKind::sink, PluginKind::transform, PluginKind::source})
    for (auto& node : nodes_)
      if (node->kind == kind) start_order.push_back(node.get());
  std::vector<Node*> started;
  for (Node* node : start_order) {
    log_.log(LogLevel::debug, "starting {} ({})", node->id, node->plugin);
    if (Status s = node->component->start(); !s) {
      fail(*node, s);
      break;
    }
    started.push_back(node);
  }
  if (failed_) {
    for (Node* node : started)
      if (node->kind == PluginKind::sink) (void)node->sink().finish();
    wall_time_ = std::chrono::steady_clock::now() - started_at_;
    return 1;
  }

  boost::asio::io_context io;
  on_all_threads_done_ = [&io] { boost::asio::post(io, [&io] { io.stop(); }); };

  std::optional<boost::asio::signal_set> signals;
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      log_.info("SIGHUP: rotating every sink's output");
      rotate();
    } else if (stop_requested_) {
      log_.warning("second signal: exiting now without draining");
      std::_Exit(128 + signal);
    } else {
      log_.info("{}: stopping sources, draining and closing (signal again to exit now)",
                signal == SIGINT ? "SIGINT" : "SIGTERM");
      stop();
    }
    signals->async_wait(on_signal);
  };
  if (options_.handle_signals) {
    signals.emplace(io, SIGINT, SIGTERM, SIGHUP);
    signals->async_wait(on_signal);
  }

  boost::asio::steady_timer stats_timer(io);
  std::function<void(const boost::system::error_code&)> on_stats = [&](const boost::system::error_code& ec) {
    if (ec) return;
    log_.info("{}", stats_line());
    stats_timer.expires_after(options_.stats_interval);
    stats_timer.async_wait(on_stats);
  };
  if (options_.stats_interval.count() > 0) {
    stats_timer.expires_after(options_.stats_interval);
    stats_timer.async_wait(on_stats);
  }

  std::vector<std::thread> threads;
  running_threads_ = 0;
  for (auto& node : nodes_)
    if (node->kind != PluginKind::transform) ++running_threads_;
  for (auto& node : nodes_) {
    if (node->kind == PluginKind::sink) threads.emplace_back([this, n = node.get()] { run_sink(*n), thread_done(); });
  }
  for (auto& node : nodes_) {
    if (node->kind == PluginKind::source)
      threads.emplace_back([this, n = node.get()] { run_source(*n), thread_done(); });
  }
  io.run();
  for (auto& t : threads) t.join();
  wall_time_ = std::chrono::steady_clock::now() - started_at_;
  return failed_ ? 1 : 0;
}

namespace {

std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string Pipeline::stats_line() const {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
  std::string line = "stats:";
  for (const auto& node : nodes_) {
    const std::uint64_t n = node->kind == PluginKind::source ? node->records_out.load() : node->records_in.load();
    fmt::format_to(std::back_inserter(line), " {} {} {} ({:.0f}/s)", node->id,
                   node->kind == PluginKind::source ? "out" : "in", grouped(n), seconds > 0 ? n / seconds : 0.0);
    if (node->dropped) fmt::format_to(std::back_inserter(line), " dropped {}", grouped(node->dropped));
    if (node->errors) fmt::format_to(std::back_inserter(line), " errors {}", grouped(node->errors));
    line += ';';
  }
  line.pop_back();
  return line;
}

std::string Pipeline::summary() const {
  std::size_t id_width = 9, plugin_width = 6;
  for (const auto& node : nodes_) {
    id_width = std::max(id_width, node->id.size());
    plugin_width = std::max(plugin_width, node->plugin.size());
  }
  std::string out = fmt::format("\n{:<{}}  {:<{}}  {:<9}  {:>14}  {:>14}  {:>12}  {:>8}\n", "component", id_width,
                                "plugin", plugin_width, "kind", "records in", "records out", "dropped", "errors");
  std::uint64_t from_sources = 0;
  for (const auto& node : nodes_) {
    const bool is_source = node->kind == PluginKind::source;
    const bool is_sink = node->kind == PluginKind::sink;
    if (is_source) from_sources += node->records_out;
    fmt::format_to(std::back_inserter(out), "{:<{}}  {:<{}}  {:<9}  {:>14}  {:>14}  {:>12}  {:>8}\n", node->id,
                   id_width, node->plugin, plugin_width, to_string(node->kind),
                   is_source ? "-" : grouped(node->records_in), is_sink ? "-" : grouped(node->records_out),
                   grouped(node->dropped), grouped(node->errors));
  }
  const double seconds = std::chrono::duration<double>(wall_time_).count();
  fmt::format_to(std::back_inserter(out), "wall time {:.3f} s, {} records from sources, {} records/s\n", seconds,
                 grouped(from_sources), grouped(seconds > 0 ? static_cast<std::uint64_t>(from_sources / seconds) : 0));
  for (const auto& node : nodes_) {
    if (!node->component) continue;
    const std::string report = node->component->report();
    if (report.empty()) continue;
    fmt::format_to(std::back_inserter(out), "\n[{}]\n{}", node->id, report);
    if (report.back() != '\n') out += '\n';
  }
  if (failed_) out += "\nthe pipeline stopped because a component failed (see the error above)\n";
  return out;
}

}  // namespace sluice::engine
