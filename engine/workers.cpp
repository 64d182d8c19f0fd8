#include "workers.h"

#include <algorithm>
#include <optional>

namespace sluice::engine {

namespace {

// Collects what a transform emits for one input: that input's result,
// carrying its id (or, on a tick, the node's own next ids).
// A holding transform's batches are its own, made of many inputs.
class ResultCollector final : public Emitter {
 public:
  ResultCollector(Node& node, std::optional<BatchId> input)
      : node_(node), input_(node.held ? std::nullopt : input), result_{input.value_or(BatchId{}), {}} {}

  void emit(BatchPtr batch) override {
    if (!batch) return;
    if (batch->id.source == 0) Node::stamp(batch, input_ ? *input_ : node_.next_batch_id());
    weight_ += batch->records.size();
    result_.batches.push_back(std::move(batch));
  }

  // The input was lost here (the transform failed): it is never delivered.
  void lose_input() {
    node_.never_delivered(result_.input);
    result_.input = {};
  }

  std::size_t weight() const noexcept { return weight_; }
  TransformResult take() { return std::move(result_); }

 private:
  Node& node_;
  std::optional<BatchId> input_;
  TransformResult result_;
  std::size_t weight_ = 0;
};

// What one partition of a keyed transform emits for a step: part of its
// result, for merge() (not stamped: it goes no further).
class PartCollector final : public Emitter {
 public:
  void emit(BatchPtr batch) override {
    if (batch) part_.push_back(std::move(batch));
  }
  KeyedSteps::Part take() { return std::move(part_); }

 private:
  KeyedSteps::Part part_;
};

// Partition `partition`'s share of a step, on its own instance.
Status take_step(abi::Transform& transform, const KeyedStep& step, Emitter& out) {
  switch (step.kind) {
    case KeyedStep::Kind::batch: return transform.process(step.batch, out);
    case KeyedStep::Kind::tick: return transform.tick(out);
    case KeyedStep::Kind::finish: return transform.finish(out);
  }
  return Status::ok();
}

// The step's result: what the last partition to finish it merges.
TransformResult merged(Node& node, unsigned partition, const KeyedStep& step,
                       const std::vector<KeyedSteps::Part>& parts) {
  const bool batch = step.kind == KeyedStep::Kind::batch;
  ResultCollector out(node, batch ? std::optional(step.batch->id) : std::nullopt);
  if (node.failed) {
    if (batch) node.count_lost(LossReason::transform_failed, step.batch->records.size());
    if (batch) out.lose_input();
    return out.take();
  }
  const bool empty = std::all_of(parts.begin(), parts.end(), [](const KeyedSteps::Part& p) { return p.empty(); });
  if (!empty)
    if (Status s = node.busy(partition, [&] { return node.transform(partition).merge(parts, out); }); !s) {
      node.fail(s);
      if (batch) out.lose_input();
    }
  return out.take();
}

class TransformWorker {
 public:
  TransformWorker(Node& node, unsigned worker)
      : node_(node),
        worker_(worker),
        transform_(node.transform(worker)),
        period_(std::chrono::milliseconds(transform_.tick_period_ms())),
        next_tick_(Clock::now() + period_) {}

  void run() {
    InOrder<TransformResult>& order = *node_.transform_order;
    while (true) {
      order.enter();
      auto popped = node_.queue->pop_until(period_.count() > 0 ? std::optional(next_tick_) : std::nullopt);
      if (popped.item) {
        process(*popped.item, popped.ticket);
      } else {
        order.leave();
        if (popped.closed) break;
      }
      if (period_.count() > 0 && Clock::now() >= next_tick_) tick();
    }
  }

 private:
  void process(const BatchPtr& batch, std::uint64_t ticket) {
    ResultCollector out(node_, batch->id);
    if (node_.failed) {
      node_.count_lost(LossReason::transform_failed, batch->records.size());
      out.lose_input();
    } else if (Status s = node_.busy(worker_, [&] { return transform_.process(batch, out); }); !s) {
      node_.fail(s);
      out.lose_input();
    }
    const std::size_t weight = out.weight();
    node_.transform_order->complete(ticket, out.take(), weight, [&](TransformResult&& r) { node_.hand_on(r); });
  }

  // A tick's batches are the node's own (new ids), so they need not wait
  // for the results before them.
  void tick() {
    next_tick_ = Clock::now() + period_;
    if (node_.failed) return;
    ResultCollector out(node_, std::nullopt);
    if (Status s = node_.busy(worker_, [&] { return transform_.tick(out); }); !s) node_.fail(s);
    node_.hand_on(out.take());
  }

  Node& node_;
  const unsigned worker_;
  abi::Transform& transform_;
  const Clock::duration period_;
  Clock::time_point next_tick_;
};

}  // namespace

void run_transform_worker(Node& node, unsigned worker) {
  TransformWorker(node, worker).run();
  if (node.running_workers.fetch_sub(1) != 1) return;
  // The last worker out: every instance finishes, then the node has ended.
  for (unsigned w = 0; w < node.workers && !node.failed; ++w) {
    ResultCollector out(node, std::nullopt);
    if (Status s = node.busy(w, [&] { return node.transform(w).finish(out); }); !s) node.fail(s);
    node.hand_on(out.take());
  }
  if (!node.failed) node.passed_on_everything();
  node.end_of_output();
}

void run_keyed_worker(Node& node, unsigned partition) {
  KeyedSteps& steps = *node.keyed;
  abi::Transform& transform = node.transform(partition);
  while (auto step = steps.pop(partition)) {
    PartCollector part;
    Node::step_time_ms = step->time_ms;
    if (!node.failed)
      if (Status s = node.busy(partition, [&] { return take_step(transform, *step, part); }); !s) node.fail(s);
    Node::step_time_ms = 0;
    auto parts = steps.arrive(step->ticket, partition, part.take());
    if (!parts) continue;
    TransformResult result = merged(node, partition, *step, *parts);
    std::size_t weight = 0;
    for (const BatchPtr& batch : result.batches) weight += batch->records.size();
    steps.order.complete(step->ticket, std::move(result), weight, [&](TransformResult&& r) { node.hand_on(r); });
  }
  if (node.running_workers.fetch_sub(1) != 1) return;
  // The last worker out: every step has been handed on, the finish's too.
  if (!node.failed) node.passed_on_everything();
  node.end_of_output();
}

void run_prepare_worker(Node& node, unsigned worker) {
  abi::Sink& sink = node.sink(worker + 1);  // [0] commits
  InOrder<PreparedItem>& order = *node.prepare_order;
  while (true) {
    order.enter();
    auto popped = node.queue->pop_until(std::nullopt);
    if (!popped.item) {
      order.leave();
      break;
    }
    PreparedItem item{std::move(*popped.item), nullptr, {}};
    const std::size_t records = item.batch->records.size();
    if (!node.failed)
      if (Status s = node.busy(worker, [&] { return sink.prepare(item.batch, item.payload); }); !s) node.fail(s);
    order.complete(popped.ticket, std::move(item), records, [&](PreparedItem&& ready) {
      const std::size_t n = ready.batch->records.size();
      if (!node.prepared->push(std::move(ready))) node.count_lost(node.closed_because.load(), n);
    });
  }
  if (node.running_workers.fetch_sub(1) == 1) node.prepared->close();
}

void run_sink_steps(Node& node) {
  SinkSteps& steps = *node.sink_steps;
  const Clock::duration period = std::chrono::milliseconds(node.component->tick_period_ms());
  Clock::time_point next_tick = Clock::now() + period;
  while (true) {
    auto popped = node.queue->pop_until(period.count() > 0 ? std::optional(next_tick) : std::nullopt);
    if (popped.item)
      steps.push(KeyedStep::Kind::batch, std::move(*popped.item), 0);
    else if (popped.closed)
      break;
    if (period.count() > 0 && Clock::now() >= next_tick) {
      steps.push(KeyedStep::Kind::tick, nullptr, 0);
      next_tick = Clock::now() + period;
    }
  }
  steps.push(KeyedStep::Kind::finish, nullptr, 0);  // what the partitions still hold
  steps.close();
}

void run_sink_partition(Node& node, unsigned partition) {
  SinkSteps& steps = *node.sink_steps;
  abi::Sink& sink = node.sink(partition + 1);  // [0] commits
  while (auto step = steps.pop(partition)) {
    std::unique_ptr<abi::Prepared> part;
    if (!node.failed) {
      const bool batch = step->kind == KeyedStep::Kind::batch;
      const Status s =
          node.busy(partition, [&] { return batch ? sink.prepare(step->batch, part) : sink.prepare_tick(part); });
      if (!s) node.fail(s);
    }
    auto parts = steps.arrive(step->ticket, partition, std::move(part));
    if (!parts) continue;
    const std::size_t records = step->batch ? step->batch->records.size() : 0;
    steps.order.complete(step->ticket, PreparedItem{step->batch, nullptr, std::move(*parts)}, records,
                         [&](PreparedItem&& ready) {
                           const std::size_t n = ready.batch ? ready.batch->records.size() : 0;
                           if (!node.prepared->push(std::move(ready))) node.count_lost(node.closed_because.load(), n);
                         });
  }
  if (node.running_workers.fetch_sub(1) == 1) node.prepared->close();
}

}  // namespace sluice::engine
