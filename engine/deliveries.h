// End-to-end acknowledgements: which batches of the components that must
// know (a source that redelivers, a transform that holds records) are still
// on their way to the sinks. Each such batch counts its holders: the emit
// handing it on, each queue it waits in, each sink that has taken it and not
// yet acknowledged it, a holding transform that has not passed it on. When
// the count falls to zero, everything made of the batch downstream is
// delivered (or dropped on purpose), and its maker is told.
//
// A batch a transform makes from an input keeps the input's id, so one count
// follows the input through filters and enrichers into every sink.
// A sink that loses a batch (it failed, drain_timeout) never releases it: its
// source then never commits it, and reads it again after a restart.
#pragma once

#include <sluice/batch.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace sluice::engine {

class Deliveries {
 public:
  using Done = std::function<void(std::uint64_t sequence)>;

  // The batches `maker` (a node's number) makes are counted; `done` is
  // called, on whichever thread released the last hold, when one is
  // delivered. Before the run starts.
  void track(std::uint32_t maker, Done done);

  // Cheap enough for every batch: only counted batches pay more.
  bool tracked(BatchId batch) const noexcept {
    return batch.source < makers_.size() && makers_[batch.source] != nullptr;
  }

  // One more holder of `batch` (the first, when its maker hands it on).
  void retain(BatchId batch);
  // A holder is done with `batch`; the last one makes it delivered.
  void release(BatchId batch);
  // Batches still held, of every maker.
  std::size_t outstanding() const;

 private:
  struct Maker {
    Done done;
    mutable std::mutex mutex;
    std::unordered_map<std::uint64_t, std::uint32_t> holders;  // by sequence
  };

  std::vector<std::unique_ptr<Maker>> makers_;  // by node number; null: not counted
};

// A holding transform's inputs: held from the time it takes them until its
// output carrying them is delivered. Its outputs are numbered by the node, so
// "carrying" is "emitted before the inputs were said to be passed on".
class HeldInputs {
 public:
  explicit HeldInputs(Deliveries& deliveries) : deliveries_(deliveries) {}

  // The transform has taken `input` (which the caller has retained).
  void take(BatchId input);
  // Every input taken before `current` (all, when none) is passed on in the
  // outputs numbered below `outputs_made`.
  void passed_on(std::optional<BatchId> current, std::uint64_t outputs_made);
  // Output `sequence` of the transform is delivered.
  void output_delivered(std::uint64_t sequence);

 private:
  struct Covered {
    BatchId input;
    std::uint64_t outputs_made;  // delivered once every output below this is
  };
  // Takes what is covered by delivered outputs off covered_ (under mutex_).
  std::vector<BatchId> take_releasable();

  Deliveries& deliveries_;
  std::mutex mutex_;
  std::vector<BatchId> taken_;               // not passed on yet, in the order taken
  std::deque<Covered> covered_;              // in the order passed on
  std::uint64_t outputs_delivered_ = 0;      // every output below it is delivered
  std::set<std::uint64_t> delivered_ahead_;  // delivered beyond that prefix
};

}  // namespace sluice::engine
