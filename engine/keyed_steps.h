// A keyed transform on N workers (Concurrency::keyed): partition k of its
// keys lives in instance k, on worker k. Every batch, tick and finish is a
// step that every partition takes, in the order the steps were made, each
// at the same time (Host::now_ms()), so time bins close together on all of
// them. The last partition to finish a step merges the N outputs on its own
// instance into the step's one result; InOrder hands results on in step
// order. A batch is shared by the N, never copied. A keyed sink's
// partitions take steps the same way; their parts go, joined, to its
// committing thread (workers.cpp).
#pragma once

#include "bounded_queue.h"
#include "in_order.h"

#include <sluice/batch.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace sluice::engine {

// What a transform emitted for one input batch: its result, handed on whole.
struct TransformResult {
  BatchId input;
  std::vector<BatchPtr> batches;
};

struct KeyedStep {
  enum class Kind : std::uint8_t { batch, tick, finish };
  Kind kind = Kind::batch;
  BatchPtr batch;  // Kind::batch
  std::uint64_t ticket = 0;
  std::uint64_t time_ms = 0;  // Host::now_ms() while the partitions take it
};

// Part: what one partition made of a step; Result: what the step's parts
// become, handed on in order.
template <class PartType, class Result>
class Steps {
 public:
  using Part = PartType;

  // At most `window` steps are between their making and their result's handing on.
  Steps(unsigned partitions, std::size_t window) : order(window), joins_(window) {
    for (unsigned p = 0; p < partitions; ++p) queues_.push_back(std::make_unique<BoundedQueue<KeyedStep>>(window));
    for (Join& join : joins_) join.parts.resize(partitions);
  }

  // Gives every partition the step; blocks while the window is full. One
  // caller at a time (the node's transform mutex), so every queue has the
  // steps in one order.
  void push(KeyedStep::Kind kind, BatchPtr batch, std::uint64_t time_ms) {
    order.enter();
    const KeyedStep step{kind, std::move(batch), next_ticket_++, time_ms};
    for (auto& queue : queues_) queue->push(step);
  }
  // After the last step (a finish): the workers end once they have taken it.
  void close() {
    for (auto& queue : queues_) queue->close();
  }
  std::optional<KeyedStep> pop(unsigned partition) { return queues_[partition]->pop(); }

  // Partition `partition`'s output for the step `ticket`: the last of the N
  // gets every part back, in partition order, to merge; the others nothing.
  std::optional<std::vector<Part>> arrive(std::uint64_t ticket, unsigned partition, Part part) {
    std::lock_guard lock(mutex_);
    Join& join = joins_[ticket % joins_.size()];
    join.parts[partition] = std::move(part);
    if (++join.arrived < join.parts.size()) return std::nullopt;
    join.arrived = 0;
    std::vector<Part> parts(join.parts.size());
    parts.swap(join.parts);
    return parts;
  }

  std::size_t partitions() const noexcept { return queues_.size(); }

  InOrder<Result> order;  // the steps' results, by ticket

 private:
  struct Join {
    std::vector<Part> parts;
    std::size_t arrived = 0;
  };

  std::vector<std::unique_ptr<BoundedQueue<KeyedStep>>> queues_;  // one per partition
  std::uint64_t next_ticket_ = 0;                                 // under the caller's lock
  std::mutex mutex_;
  std::vector<Join> joins_;  // by ticket modulo the window
};

// A keyed transform's: what each partition emitted.
using KeyedSteps = Steps<std::vector<BatchPtr>, TransformResult>;

}  // namespace sluice::engine
