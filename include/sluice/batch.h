// sluice SDK: batches of flow records with in-order control events.
#pragma once

#include <sluice/flow_record.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace sluice {

// A control event travels in order with the data it separates.
struct Event {
  enum class Kind : std::uint8_t {
    rotate,  // close the current output; what follows belongs to [window_start_ms, window_end_ms)
    flush,   // push buffered output to the operating system now
  };
  Kind kind = Kind::flush;
  std::uint32_t offset = 0;  // the event comes before records[offset]
  std::uint64_t window_start_ms = 0;
  std::uint64_t window_end_ms = 0;
};

// Which batch this is: the component that made it (numbered by the engine
// from 1) and that component's count of batches made so far. The engine sets
// it when a batch is emitted; a plugin never does. A transform's result for
// an input batch keeps the input's id, so order and acknowledgements follow
// batches through the graph (docs/architecture.md, "Batches, order and
// acknowledgements"). A batch a transform makes on a tick or at the end takes
// the next sequence of the transform itself.
struct BatchId {
  std::uint32_t source = 0;  // 0: not emitted yet
  std::uint64_t sequence = 0;
  friend bool operator==(const BatchId&, const BatchId&) = default;
};

// A contiguous run of records plus the events among them, ordered by offset.
// Batches are shared between consumers once emitted (BatchPtr is const), so
// a transform that changes records builds a new batch.
struct Batch {
  std::vector<FlowRecord> records;
  std::vector<Event> events;
  BatchId id;

  // Appends an event after the records added so far.
  void add_event(Event event) {
    event.offset = static_cast<std::uint32_t>(records.size());
    events.push_back(event);
  }
};

using BatchPtr = std::shared_ptr<const Batch>;

inline std::shared_ptr<Batch> make_batch(std::size_t reserve_records = 1024) {
  auto batch = std::make_shared<Batch>();
  batch->records.reserve(reserve_records);
  return batch;
}

// Calls on_records(std::span<const FlowRecord>) for each run of records and
// on_event(const Event&) for each event, in stream order. Empty runs are skipped.
template <class OnRecords, class OnEvent>
void visit(const Batch& batch, OnRecords&& on_records, OnEvent&& on_event) {
  std::span<const FlowRecord> all(batch.records);
  std::size_t done = 0;
  for (const Event& event : batch.events) {
    const std::size_t at = event.offset < all.size() ? event.offset : all.size();
    if (at > done) on_records(all.subspan(done, at - done));
    done = at > done ? at : done;
    on_event(event);
  }
  if (done < all.size()) on_records(all.subspan(done));
}

}  // namespace sluice
