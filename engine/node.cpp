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
    acknowledgements.acknowledge(batch);
  } catch (...) {  // the ledger's lock: nothing a plugin's caller could handle
  }
}

thread_local std::uint64_t Node::step_time_ms = 0;

std::uint64_t Node::now_ms() const noexcept { return step_time_ms != 0 ? step_time_ms : sluice::now_ms(); }

void Node::push_step(KeyedStep::Kind kind, BatchPtr batch) { keyed->push(kind, std::move(batch), sluice::now_ms()); }

void Node::stamp(const BatchPtr& batch, BatchId id) noexcept {
  // Only a batch nobody has seen yet has no id: the plugin made it (a
  // non-const Batch, from make_batch) and hands it over in emit().
  if (batch->id.source == 0) const_cast<Batch&>(*batch).id = id;
}

void Node::remove_metrics(std::span<const Label> labels) { run.metrics.remove(metric_name(""), metric_labels(labels)); }

void Node::emit(BatchPtr batch) {
  if (!batch) return;
  if (batch->id.source == 0) stamp(batch, processing_ ? *processing_ : next_batch_id());
  sent.add(batch->records.size());
  for (Node* next : downstream) next->deliver(batch);
}

void Node::hand_on(const TransformResult& result) {
  for (const BatchPtr& batch : result) {
    sent.add(batch->records.size());
    for (Node* next : downstream) next->deliver(batch);
  }
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
      return;
    }
    processing_ = batch->id;
    const Status s = busy(0, [&] { return transform().process(batch, *this); });
    processing_.reset();
    if (!s) fail(s);
    return;
  }
  if (keyed) {
    std::lock_guard lock(transform_mutex);
    if (failed)
      count_lost(LossReason::transform_failed, n);
    else
      push_step(KeyedStep::Kind::batch, batch);
    return;
  }
  if (buffer) {
    buffer->append(batch);
    return;
  }
  // Event-only batches weigh 1, so they too are bounded.
  const std::size_t weight = std::max<std::size_t>(n, 1);
  if (drop_when_full) {
    if (!queue->try_push(batch, weight)) {
      if (queue->closed())
        count_lost(closed_because.load(), n);
      else
        dropped.add(n);
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
    if (!failed)
      if (Status s = busy(0, [&] { return transform().finish(*this); }); !s) fail(s);
  }
  end_of_output();
}

void Node::end_of_output() {
  for (Node* next : downstream) next->end_of_input();
}

}  // namespace sluice::engine
