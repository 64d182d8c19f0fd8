// sluice SDK: acknowledgements for a sink that sends a stream of items
// (rows, flows) in order and hears back in any order (several INSERTs or
// produce requests on their way). It knows how far the stream is delivered
// without a gap; a batch is acknowledged once that prefix covers it.
#pragma once

#include <sluice/batch.h>
#include <sluice/host.h>

#include <cstdint>
#include <deque>

namespace sluice {

class DeliveredPrefix {
 public:
  // `batch` was taken whole; the stream's items taken so far end at `end`.
  void taken(BatchId batch, std::uint64_t end) { pending_.push_back({batch, end}); }
  // Items before `delivered` are delivered: acknowledges the batches they cover.
  void delivered(std::uint64_t delivered, Host& host) {
    while (!pending_.empty() && pending_.front().end <= delivered) {
      host.acknowledge(pending_.front().batch);
      pending_.pop_front();
    }
  }
  // What is pending will never be delivered (purged): forgotten.
  void clear() noexcept { pending_.clear(); }

 private:
  struct Pending {
    BatchId batch;
    std::uint64_t end;
  };
  std::deque<Pending> pending_;
};

}  // namespace sluice
