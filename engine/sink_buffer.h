// A sink's disk buffer (`buffer = "disk"`): what reaches the sink is
// appended to it, and a pump thread of its own moves it, in order, into the
// sink's queue; the sink's acknowledgements free it. What it still holds when
// the run ends stays for the next run, which delivers it first. So a sink's
// outage fills the disk instead of blocking the sources, and neither an
// outage nor a restart loses what was accepted.
#pragma once

#include "config.h"

#include <sluice/batch.h>
#include <sluice/disk_buffer/disk_buffer.h>

#include <atomic>
#include <cstdint>
#include <string>

namespace sluice::engine {

struct Node;

class SinkBuffer {
 public:
  // Opens (or creates) the buffer; throws disk_buffer::Error naming the file
  // that cannot be read or is of another format.
  SinkBuffer(Node& node, const DiskBufferConfig& config);

  // From the producers: `batch` into the buffer. A full buffer blocks or
  // drops by the sink's when_full; what cannot be written is counted.
  void append(const BatchPtr& batch);
  // The last producer has ended: the pump ends once the buffer is read.
  void input_ended() noexcept { input_ended_ = true; }
  // The pump thread: entries in order into the sink's queue, which it closes
  // when the input has ended and everything was handed on, the drain ran out,
  // or the queue was closed (the sink failed).
  void pump();
  // A batch the sink delivered; false if it did not come from the buffer.
  bool acknowledge(BatchId batch);

  disk_buffer::Stats stats() const { return buffer_.stats(); }
  // The end-of-run summary's line.
  std::string report() const;

 private:
  void register_metrics();
  void warn_if_stalled();

  Node& node_;
  const std::chrono::milliseconds sync_interval_;
  disk_buffer::DiskBuffer buffer_;
  const std::uint64_t records_at_start_;
  std::atomic<bool> input_ended_{false};
  std::atomic<bool> warned_stalled_{false};
};

}  // namespace sluice::engine
