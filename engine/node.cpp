#include "node.h"

#include <sluice/clock.h>

#include <fmt/format.h>

#include <algorithm>

namespace sluice::engine {

std::string_view to_string(LossReason reason) noexcept {
  switch (reason) {
    case LossReason::sink_failed: return "sink failed";
    case LossReason::transform_failed: return "transform failed";
    case LossReason::drain_timeout: return "drain timeout";
    case LossReason::undeliverable: return "undeliverable";
  }
  return "?";
}

void RunState::begin_drain() noexcept {
  stop_requested = true;
  const Clock::rep deadline = (Clock::now() + drain_timeout).time_since_epoch().count();
  Clock::rep expected = no_deadline;
  drain_deadline_ns_.compare_exchange_strong(expected, deadline);
}

namespace {

std::string unique_id(const ComponentConfig& config, unsigned instance, unsigned instances) {
  return instances > 1 ? fmt::format("{}#{}", config.id, instance) : config.id;
}

}  // namespace

Node::Node(RunState& run_state, const ComponentConfig& config, unsigned instance, unsigned instances,
           std::uint32_t node_number)
    : run(run_state),
      id(unique_id(config, instance, instances)),
      config_id(config.id),
      plugin(config.plugin),
      kind(config.role),
      drop_when_full(config.drop_when_full),
      instance_index(instance),
      instance_count(instances),
      number(node_number),
      workers(config.workers),
      limit(config.limit),
      disk_buffer_config(config.disk_buffer),
      busy_ns(std::make_unique<std::atomic<std::uint64_t>[]>(config.workers + 1)) {
  const std::string_view kind_name = to_string(kind);
  const Label labels[] = {{"component_id", id}, {"component_kind", kind_name}, {"plugin", plugin}};
  MetricsRegistry& m = run.metrics;
  received = m.counter("sluice_component_received_records_total", "Records that reached the component", labels);
  sent = m.counter("sluice_component_sent_records_total",
                   "Records the component emitted (sources, transforms) or delivered (sinks)", labels);
  dropped = m.counter("sluice_component_dropped_records_total",
                      "Records dropped: a full queue with when_full = \"drop\", or discarded by the plugin", labels);
  errors = m.counter("sluice_component_errors_total",
                     "Bad inputs or failed operations the component survived or died of", labels);
  for (std::size_t r = 0; r < loss_reasons; ++r) {
    const Label with_reason[] = {labels[0], labels[1], labels[2], {"reason", to_string(static_cast<LossReason>(r))}};
    lost[r] = m.counter("sluice_component_lost_records_total", "Records that entered the component and never left it",
                        with_reason);
  }
  if (kind == PluginKind::sink)
    retries = m.counter("sluice_sink_retries_total", "Deliveries tried again after a transient failure", labels);
  if (kind == PluginKind::source) return;  // a source's poll() also waits for input: not a measure of load
  // A sink on several workers commits on a thread of its own: worker "commit".
  const unsigned slots = kind == PluginKind::sink && workers > 1 ? workers + 1 : workers;
  for (unsigned w = 0; w < slots; ++w) {
    const std::string worker = w == workers ? "commit" : std::to_string(w);
    const Label by_worker[] = {{"component_id", id}, {"worker", worker}};
    m.computed_counter("sluice_component_busy_seconds_total",
                       "Seconds a worker of the component spent in its plugin: near 1 a second, the stage is saturated",
                       by_worker, [this, w] { return static_cast<double>(busy_ns[w].load()) / 1e9; });
  }
}

std::uint64_t Node::lost_total() const noexcept {
  std::uint64_t total = 0;
  for (const Counter& c : lost) total += c.value();
  return total;
}

void Node::fail(const Status& status) {
  errors.add();
  run.failed = true;
  run.begin_drain();
  if (failed.exchange(true)) {
    run.log.write(LogLevel::debug, id, fmt::format("also failed: {}", status.message()));
    return;
  }
  run.log.error("component \"{}\" (plugin {}) failed: {}", id, plugin, status.message());
}

void Node::log(LogLevel level, std::string_view message) { run.log.write(level, id, message); }

std::string Node::metric_name(std::string_view name) const { return fmt::format("sluice_{}_{}", plugin, name); }

std::vector<Label> Node::metric_labels(std::span<const Label> labels) const {
  std::vector<Label> all{{"component_id", id}};
  all.insert(all.end(), labels.begin(), labels.end());
  return all;
}

Counter Node::counter(std::string_view name, std::string_view help, std::span<const Label> labels) {
  return run.metrics.counter(metric_name(name), help, metric_labels(labels));
}

Gauge Node::gauge(std::string_view name, std::string_view help, std::span<const Label> labels) {
  return run.metrics.gauge(metric_name(name), help, metric_labels(labels));
}

void Node::acknowledge(BatchId batch) noexcept {
  try {
    if (buffer) buffer->acknowledge(batch);
    if (acknowledgements.acknowledge(batch) && run.deliveries.tracked(batch)) run.deliveries.release(batch);
  } catch (...) {  // a lock: nothing a plugin's caller could handle
  }
}

thread_local std::uint64_t Node::step_time_ms = 0;

std::uint64_t Node::now_ms() const noexcept { return step_time_ms != 0 ? step_time_ms : sluice::now_ms(); }

void Node::push_step(KeyedStep::Kind kind, BatchPtr batch) { keyed->push(kind, std::move(batch), sluice::now_ms()); }

void Node::inputs_passed_on() noexcept {
  // On several workers the engine cannot tell which input is current: their
  // inputs are passed on at finish.
  if (!held || workers > 1) return;
  try {
    held->passed_on(processing_, next_sequence_.load());
  } catch (...) {  // a lock: the inputs stay held, and are passed on at finish
  }
}

void Node::never_delivered(BatchId batch) {
  if (run.deliveries.tracked(batch)) run.deliveries.retain(batch);  // a hold never released
}

void Node::passed_on_everything() {
  if (held) held->passed_on(std::nullopt, next_sequence_.load());
}

void Node::delivered(std::uint64_t sequence) {
  if (held) {
    held->output_delivered(sequence);
    return;
  }
  std::lock_guard lock(delivered_mutex_);
  delivered_.push_back({number, sequence});
}

void Node::tell_delivered() {
  std::vector<BatchId> batches;
  {
    std::lock_guard lock(delivered_mutex_);
    batches.swap(delivered_);
  }
  for (const BatchId batch : batches) source().delivered(batch);
}

void Node::stamp(const BatchPtr& batch, BatchId id) noexcept {
  // Only a batch nobody has seen yet has no id: the plugin made it (a
  // non-const Batch, from make_batch) and hands it over in emit().
  if (batch->id.source == 0) const_cast<Batch&>(*batch).id = id;
}

void Node::remove_metrics(std::span<const Label> labels) { run.metrics.remove(metric_name(""), metric_labels(labels)); }

void Node::emit(BatchPtr batch) {
  if (!batch) return;
  // A holding transform's output carries many inputs: it is a batch of its own.
  if (batch->id.source == 0) stamp(batch, processing_ && !held ? *processing_ : next_batch_id());
  pass_on(batch);
}

void Node::pass_on(const BatchPtr& batch) {
  sent.add(batch->records.size());
  const bool followed = batch->id.source == number && run.deliveries.tracked(batch->id);
  if (followed) run.deliveries.retain(batch->id);
  for (Node* next : downstream) next->deliver(batch);
  if (followed) run.deliveries.release(batch->id);
}

void Node::hand_on(const TransformResult& result) {
  for (const BatchPtr& batch : result.batches) pass_on(batch);
  if (!run.deliveries.tracked(result.input)) return;
  if (held)
    held->take(result.input);
  else
    run.deliveries.release(result.input);  // retained when it was queued
}

BatchPtr Node::within_limit(const BatchPtr& batch) {
  const std::uint64_t n = batch->records.size();
  const std::uint64_t before = limit_taken_.fetch_add(n);
  if (before + n >= limit && n != 0) run.stop_requested = true;  // the sources end; what is in flight drains
  if (before + n <= limit) return batch;
  const std::uint64_t keep = before < limit ? limit - before : 0;
  dropped.add(n - keep);
  if (keep == 0 && batch->events.empty()) return nullptr;
  auto part = std::make_shared<Batch>();
  part->id = batch->id;
  part->records.assign(batch->records.begin(), batch->records.begin() + static_cast<std::ptrdiff_t>(keep));
  for (const Event& event : batch->events)
    if (event.offset <= keep) part->events.push_back(event);
  return part;
}

void Node::deliver(const BatchPtr& offered) {
  received.add(offered->records.size());
  const BatchPtr batch = limit != 0 ? within_limit(offered) : offered;
  if (!batch) return;
  const std::size_t n = batch->records.size();
  if (kind == PluginKind::transform && workers == 1) {
    std::lock_guard lock(transform_mutex);
    if (failed) {
      count_lost(LossReason::transform_failed, n);
      never_delivered(batch->id);
      return;
    }
    if (held && run.deliveries.tracked(batch->id)) {
      run.deliveries.retain(batch->id);
      held->take(batch->id);
    }
    processing_ = batch->id;
    const Status s = busy(0, [&] { return transform().process(batch, *this); });
    processing_.reset();
    if (!s) {
      fail(s);
      never_delivered(batch->id);  // what it did not emit is lost
    }
    return;
  }
  if (keyed) {
    std::lock_guard lock(transform_mutex);
    if (failed) {
      count_lost(LossReason::transform_failed, n);
      never_delivered(batch->id);
      return;
    }
    if (run.deliveries.tracked(batch->id)) run.deliveries.retain(batch->id);  // until its step is handed on
    push_step(KeyedStep::Kind::batch, batch);
    return;
  }
  if (buffer) {
    buffer->append(batch);
    return;
  }
  // Event-only batches weigh 1, so they too are bounded.
  const std::size_t weight = std::max<std::size_t>(n, 1);
  // Held while queued, and by the sink until it acknowledges it. A batch
  // lost here stays held: its source never commits it.
  const bool followed = run.deliveries.tracked(batch->id);
  if (followed) run.deliveries.retain(batch->id);
  if (drop_when_full) {
    if (!queue->try_push(batch, weight)) {
      if (queue->closed()) {
        count_lost(closed_because.load(), n);
      } else {
        dropped.add(n);
        if (followed) run.deliveries.release(batch->id);  // dropped on purpose
      }
    }
  } else if (!queue->push(batch, weight)) {
    count_lost(closed_because.load(), n);
  }
}

void Node::end_of_input() {
  if (open_inputs.fetch_sub(1) != 1) return;
  if (buffer) {
    buffer->input_ended();  // the buffer's pump closes the queue once it has handed on what it holds
    return;
  }
  if (keyed) {
    std::lock_guard lock(transform_mutex);
    transform_finished = true;
    push_step(KeyedStep::Kind::finish);
    keyed->close();  // the last worker out ends the node
    return;
  }
  if (kind == PluginKind::sink || workers > 1) {
    queue->close();  // the sink's thread or the last worker takes it from here
    return;
  }
  {
    std::lock_guard lock(transform_mutex);
    transform_finished = true;
    if (!failed) {
      if (Status s = busy(0, [&] { return transform().finish(*this); }); !s)
        fail(s);
      else
        passed_on_everything();
    }
  }
  end_of_output();
}

void Node::end_of_output() {
  for (Node* next : downstream) next->end_of_input();
}

}  // namespace sluice::engine
