// One component in the running graph, and the state every node shares.
// A node is its plugin's Host (logging, metrics, counters) and Emitter
// (fan-out to the nodes downstream).
#pragma once

#include "acknowledgements.h"
#include "bounded_queue.h"
#include "config.h"
#include "console/tables.h"
#include "deliveries.h"
#include "in_order.h"
#include "keyed_steps.h"
#include "log.h"
#include "metrics_registry.h"
#include "sink_buffer.h"

#include <sluice/abi.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
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
  console::PublishedTables tables;
  InternedTexts texts;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> failed{false};
  std::atomic<std::uint64_t> reload_requests{0};   // SIGHUPs
  Deliveries deliveries;                           // batches of redelivering sources on their way
  std::atomic<bool> start_rejected_option{false};  // a start() failed on an option's value: exit 78

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

// A batch a sink's worker has prepared, waiting for its commit. A null
// payload: preparing it failed (the sink has failed).
struct PreparedItem {
  BatchPtr batch;
  std::unique_ptr<abi::Prepared> payload;
  // A keyed sink's: the N partitions' parts (a null one: preparing it
  // failed); with no batch, a tick's.
  std::vector<std::unique_ptr<abi::Prepared>> parts;
};

// A keyed sink on several workers: every batch and tick to each partition.
using SinkSteps = Steps<std::unique_ptr<abi::Prepared>, PreparedItem>;

struct Node final : Host, Emitter {
  Node(RunState& run, const ComponentConfig& config, unsigned instance, unsigned instances, std::uint32_t number);

  RunState& run;
  const std::string id;         // unique: "collector", or "collector#1" for an instance
  const std::string config_id;  // as in the pipeline file: what `inputs` name
  const std::string plugin;
  const PluginKind kind;
  const bool drop_when_full;
  const unsigned instance_index;
  const unsigned instance_count;
  const std::uint32_t number;  // the `source` of the batches this node makes (BatchId), from 1
  const unsigned workers;      // `workers = N`: instances of a transform or sink
  const std::uint64_t limit;   // `limit = N`: records it takes at most; 0: all
  const std::optional<DiskBufferConfig> disk_buffer_config;  // sinks: `buffer = "disk"`
  Concurrency concurrency = Concurrency::serial;
  bool acknowledges_later = false;
  bool redelivers = false;  // a source: told which of its batches are delivered
  // A sink downstream of a redelivering source: it waits for acknowledgements too.
  bool redelivered_upstream = false;
  // A transform that holds records (PluginDescriptor::holds_records).
  std::unique_ptr<HeldInputs> held;

  std::shared_ptr<abi::Component> component;
  // One instance per worker, [0] = `component`, the one ticked and finished.
  // A sink on several workers has one more: [0] commits, [1..N] prepare.
  std::vector<std::shared_ptr<abi::Component>> instances_by_worker;
  std::vector<Node*> downstream;
  std::atomic<std::size_t> open_inputs{0};
  std::atomic<bool> failed{false};

  // Transforms: one batch, tick or finish at a time, whoever calls.
  std::mutex transform_mutex;
  bool transform_finished = false;  // under transform_mutex

  // Sinks, and transforms on several workers: the queue, and when the batch
  // being delivered was queued (0: none).
  std::unique_ptr<BoundedQueue<QueueItem>> queue;
  // Several workers: results back in the order their inputs were queued.
  std::unique_ptr<InOrder<TransformResult>> transform_order;
  std::unique_ptr<InOrder<PreparedItem>> prepare_order;
  // A keyed transform on several workers: its steps, to every partition.
  std::unique_ptr<KeyedSteps> keyed;
  // A keyed sink on several workers: its queue's batches and its ticks, to every partition.
  std::unique_ptr<SinkSteps> sink_steps;
  // A sink's prepared payloads, in order, for its committing thread.
  std::unique_ptr<BoundedQueue<PreparedItem>> prepared;
  std::atomic<unsigned> running_workers{0};
  // Sinks with `buffer = "disk"`, once started: between deliver() and the queue.
  std::unique_ptr<SinkBuffer> buffer;
  // Sinks: what each source's batches have been delivered up to.
  AckLedger acknowledgements;
  std::atomic<Clock::rep> delivering_since{0};
  std::atomic<LossReason> closed_because{LossReason::sink_failed};

  Counter received;
  Counter sent;
  Counter dropped;
  Counter errors;
  Counter retries;
  std::array<Counter, loss_reasons> lost;
  // Nanoseconds each worker spent inside the plugin (process, consume,
  // prepare, commit, tick, finish): sluice_component_busy_seconds_total.
  // [workers]: a sink's committing thread when it has prepare workers.
  std::unique_ptr<std::atomic<std::uint64_t>[]> busy_ns;
  std::atomic<double> progress_fraction{-1};  // -1: the source reports none

  abi::Source& source() { return static_cast<abi::Source&>(*component); }
  abi::Transform& transform() { return static_cast<abi::Transform&>(*component); }
  abi::Sink& sink() { return static_cast<abi::Sink&>(*component); }
  abi::Transform& transform(unsigned worker) { return static_cast<abi::Transform&>(*instances_by_worker[worker]); }
  abi::Sink& sink(unsigned instance) { return static_cast<abi::Sink&>(*instances_by_worker[instance]); }

  // Times `call` as `worker`'s busy time and returns what it returns.
  template <class Call>
  auto busy(unsigned worker, Call&& call) {
    const auto began = Clock::now();
    auto result = call();
    busy_ns[worker].fetch_add(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - began).count()),
        std::memory_order_relaxed);
    return result;
  }

  // The id for the next batch this node makes itself (a source's, or a
  // transform's on a tick or at the end).
  BatchId next_batch_id() noexcept { return {number, next_sequence_.fetch_add(1, std::memory_order_relaxed)}; }
  // Gives a batch a plugin made its id: `input`'s for a transform's result,
  // else the next of this node's own. A batch passed on keeps the id it has.
  static void stamp(const BatchPtr& batch, BatchId id) noexcept;
  // Hands a worker's result on downstream, as emit() does; the input it
  // was made of is done with here.
  void hand_on(const TransformResult& result);
  // `batch` was lost here (in part or whole): its maker is never told it
  // was delivered, so a redelivering source reads it again after a restart.
  void never_delivered(BatchId batch);
  // A transform has emitted what it holds: at finish, all of it.
  void passed_on_everything();
  // A source: tells the plugin which of its batches are delivered (on the
  // source's thread, or once every other thread has ended).
  void tell_delivered();
  // Called by the deliveries when one of this node's batches is delivered.
  void delivered(std::uint64_t sequence);

  std::uint64_t lost_total() const noexcept;
  // Records lost for one reason.
  void count_lost(LossReason reason, std::uint64_t records) noexcept {
    lost[static_cast<std::size_t>(reason)].add(records);
  }

  // Marks the node (and the run) failed and starts the drain. Only the first
  // failure of a node is logged as an error: what follows is its echo.
  void fail(const Status& status);

  // A keyed transform on several workers: a batch, tick or finish for every
  // partition. Under transform_mutex.
  void push_step(KeyedStep::Kind kind, BatchPtr batch = nullptr);

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
  void acknowledge(BatchId batch) noexcept override;
  bool acknowledgements_awaited() const noexcept override {
    return disk_buffer_config.has_value() || redelivered_upstream;
  }
  void inputs_passed_on() noexcept override;
  Counter counter(std::string_view name, std::string_view help, std::span<const Label> labels) override;
  Gauge gauge(std::string_view name, std::string_view help, std::span<const Label> labels) override;
  unsigned instance() const noexcept override { return instance_index; }
  unsigned instances() const noexcept override { return instance_count; }
  void publish_table(std::string_view name, std::span<const std::string_view> columns, std::size_t key_columns,
                     std::span<const std::string_view> cells) override {
    run.tables.publish(id, name, columns, key_columns, cells);
  }
  void progress(double fraction) noexcept override { progress_fraction.store(fraction, std::memory_order_relaxed); }
  TextTable& texts() noexcept override { return run.texts; }
  std::uint64_t now_ms() const noexcept override;
  // The time of the step this thread's plugin call takes (KeyedStep); 0: none, the wall clock.
  static thread_local std::uint64_t step_time_ms;
  std::uint64_t reload_requests() const noexcept override {
    return run.reload_requests.load(std::memory_order_relaxed);
  }
  void remove_metrics(std::span<const Label> labels) override;
  using Host::counter;
  using Host::gauge;

  // Emitter
  void emit(BatchPtr batch) override;

 private:
  // `batch` to every node downstream; a batch this node made and must
  // follow (a redelivering source's, a holding transform's) is held meanwhile.
  void pass_on(const BatchPtr& batch);
  // With a limit: the part of `batch` still within it (null when none is),
  // the rest counted as dropped; taking the last record stops the sources.
  BatchPtr within_limit(const BatchPtr& batch);

  std::atomic<std::uint64_t> next_sequence_{0};
  std::atomic<std::uint64_t> limit_taken_{0};  // records offered against `limit`
  // The input a serial transform is processing now (under transform_mutex):
  // what it emits is that input's result.
  std::optional<BatchId> processing_;
  // A source's batches delivered, not yet told to the plugin.
  std::mutex delivered_mutex_;
  std::vector<BatchId> delivered_;

  // The plugin's metric name and labels: sluice_<plugin>_<name>{component_id, ...}.
  std::string metric_name(std::string_view name) const;
  std::vector<Label> metric_labels(std::span<const Label> labels) const;
};

}  // namespace sluice::engine
