// Which batches a sink has delivered for good, as each source's contiguous
// acknowledged prefix (Vector's ordered acknowledgements). A batch is issued
// when it reaches the sink, in the order it arrives (each source's batches
// arrive in that source's order), and acknowledged in any order: at once when
// consume() or commit() returns for a plain sink, later through
// Host::acknowledge for a sink that sends and awaits an answer. A source that
// can redeliver commits its position up to acknowledged_through(); a disk
// buffer frees what lies before it.
#pragma once

#include <sluice/batch.h>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

namespace sluice::engine {

class AckLedger {
 public:
  // `batch` has reached the sink (batches without an id are not tracked).
  void issue(BatchId batch);
  // `batch` is delivered; false if it was never issued or is acknowledged already.
  bool acknowledge(BatchId batch);
  // The last sequence of `source` up to which every batch issued is
  // acknowledged; nothing while none is.
  std::optional<std::uint64_t> acknowledged_through(std::uint32_t source) const;
  // Batches issued and not acknowledged yet.
  std::size_t outstanding() const;

 private:
  struct Pending {
    std::uint64_t sequence;
    bool acknowledged;
  };
  struct Source {
    std::deque<Pending> pending;  // issued, in order, from the first not acknowledged
    std::optional<std::uint64_t> through;
  };

  mutable std::mutex mutex_;
  std::map<std::uint32_t, Source> sources_;
  std::size_t outstanding_ = 0;
};

}  // namespace sluice::engine
