// Batches a collector fills again once every consumer has let go.
//
// A batch of 4096 records is 655 KB: allocated afresh for each emit, its
// pages are faulted in and zeroed by the kernel every time (on a collector,
// more CPU than decoding into them). A source that takes its batches from a
// pool refills the same warm memory instead. Use from one thread (the
// source's); the consumers only drop their references, as with any batch.
//
//   sluice::net::BatchPool pool(4096);
//   auto batch = pool.get();        // empty, room for 4096 records
//   ... fill it ...
//   out.emit(std::move(batch));     // comes back to the pool when all are done with it
#pragma once

#include <sluice/batch.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace sluice::net {

class BatchPool {
 public:
  // Keeps at most `max_batches` batches; when all of them are still in use
  // downstream, get() makes a plain batch that is freed after use.
  explicit BatchPool(std::size_t records_per_batch, std::size_t max_batches = 4)
      : records_per_batch_(records_per_batch), max_batches_(max_batches) {}

  // An empty batch with room for records_per_batch records.
  std::shared_ptr<Batch> get() {
    for (auto& batch : batches_) {
      if (batch.use_count() != 1) continue;
      // The consumers' last reads of this batch happened before they
      // released it: order our writes after them.
      std::atomic_thread_fence(std::memory_order_acquire);
      batch->records.clear();
      batch->events.clear();
      return batch;
    }
    auto batch = make_batch(records_per_batch_);
    if (batches_.size() < max_batches_) batches_.push_back(batch);
    return batch;
  }

 private:
  std::size_t records_per_batch_;
  std::size_t max_batches_;
  std::vector<std::shared_ptr<Batch>> batches_;
};

}  // namespace sluice::net
