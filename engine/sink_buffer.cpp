#include "sink_buffer.h"

#include "node.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::engine {

namespace {

using namespace std::chrono;

disk_buffer::Settings settings_for(const Node& node, const DiskBufferConfig& config) {
  return {.folder = config.path,
          .max_size = config.max_size,
          .segment_size = std::min<std::uint64_t>(16ULL << 20, config.max_size / 4),
          .sync_interval = config.sync,
          .when_full = node.drop_when_full ? disk_buffer::WhenFull::drop : disk_buffer::WhenFull::block};
}

// How long one wait lasts, so that the drain deadline and syncs are seen.
constexpr milliseconds wait_step(100);

}  // namespace

SinkBuffer::SinkBuffer(Node& node, const DiskBufferConfig& config)
    : node_(node),
      sync_interval_(config.sync),
      buffer_(settings_for(node, config)),
      records_at_start_(buffer_.stats().records) {
  register_metrics();
}

void SinkBuffer::register_metrics() {
  const Label labels[] = {{"component_id", node_.id}};
  MetricsRegistry& m = node_.run.metrics;
  const auto stat = [this](std::uint64_t disk_buffer::Stats::*field) {
    return [this, field] { return static_cast<double>(buffer_.stats().*field); };
  };
  m.computed_gauge("sluice_buffer_bytes", "Bytes of the sink's disk buffer's segment files", labels,
                   stat(&disk_buffer::Stats::bytes));
  m.computed_gauge("sluice_buffer_records", "Records in the sink's disk buffer, not yet delivered by the sink", labels,
                   stat(&disk_buffer::Stats::records));
  m.computed_gauge("sluice_buffer_oldest_seconds",
                   "Age of the oldest record in the sink's disk buffer; 0 when it is empty", labels, [this] {
                     const std::uint64_t oldest = buffer_.stats().oldest_ms;
                     const auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
                     return oldest == 0 ? 0.0 : std::max(0.0, static_cast<double>(now) / 1e3 - oldest / 1e3);
                   });
  const Label full[] = {labels[0], {"reason", "full"}};
  m.computed_counter("sluice_buffer_dropped_records_total",
                     "Records the disk buffer dropped, by reason: full, with when_full = \"drop\"", full,
                     stat(&disk_buffer::Stats::dropped_full));
  m.computed_counter("sluice_buffer_corrupt_entries_total",
                     "Torn or corrupt entries the disk buffer found on disk and skipped (their records are lost)",
                     labels, stat(&disk_buffer::Stats::corrupt_entries));
}

void SinkBuffer::append(const BatchPtr& batch) {
  const std::size_t n = batch->records.size();
  try {
    while (true) {
      switch (buffer_.append(*batch, wait_step)) {
        case disk_buffer::Appended::written: return;
        case disk_buffer::Appended::dropped: node_.dropped.add(n); return;
        case disk_buffer::Appended::full: warn_if_stalled(); break;
      }
      // Blocked by a full buffer: as long as the sink may still make room.
      if (Clock::now() >= node_.run.drain_deadline()) {
        node_.count_lost(LossReason::drain_timeout, n);
        node_.never_delivered(batch->id);
        return;
      }
    }
  } catch (const disk_buffer::Error& e) {
    node_.count_lost(LossReason::sink_failed, n);
    node_.never_delivered(batch->id);
    node_.fail(Status::failure(e.what()));
  }
}

// Full, yet the sink has read everything: it holds it all, not yet delivered
// for good. A file writer acknowledges when it closes its file, so one that
// never closes one stalls its buffer; say so once.
void SinkBuffer::warn_if_stalled() {
  const disk_buffer::Stats now = buffer_.stats();
  if (now.unread != 0 || warned_stalled_.exchange(true)) return;
  node_.log(LogLevel::warning,
            fmt::format("disk buffer {} is full ({} bytes) with {} records the sink has taken but not delivered for "
                        "good; a file writer delivers when it closes a file: put a rotator upstream, or raise "
                        "buffer_max_size above a window's records",
                        buffer_.folder().string(), now.bytes, now.records));
}

void SinkBuffer::pump() {
  auto next_sync = Clock::now() + sync_interval_;
  while (Clock::now() < node_.run.drain_deadline()) {
    const bool ended = input_ended_.load();  // before reading: an append before it is seen
    auto entry = buffer_.read(std::min<milliseconds>(wait_step, sync_interval_));
    if (entry) {
      // A sink never makes batches: its own number names the buffer's entries.
      entry->batch->id = {node_.number, entry->sequence};
      const std::size_t weight = std::max<std::size_t>(entry->batch->records.size(), 1);
      if (!node_.queue->push(std::move(entry->batch), weight)) break;  // the sink has failed
    } else if (ended) {
      break;
    }
    if (Clock::now() >= next_sync) {
      try {
        buffer_.sync();
      } catch (const disk_buffer::Error& e) {
        node_.fail(Status::failure(e.what()));
        break;
      }
      next_sync = Clock::now() + sync_interval_;
    }
  }
  node_.queue->close();
}

bool SinkBuffer::acknowledge(BatchId batch) {
  if (batch.source != node_.number) return false;
  try {
    buffer_.acknowledge(batch.sequence);
  } catch (const disk_buffer::Error& e) {  // syncing the buffer failed: it can no longer keep its promise
    node_.fail(Status::failure(e.what()));
  }
  return true;
}

std::string SinkBuffer::report() const {
  const disk_buffer::Stats now = buffer_.stats();
  std::string line = fmt::format("disk buffer {}: ", buffer_.folder().string());
  if (records_at_start_ != 0) line += fmt::format("{} records from the last run went first; ", records_at_start_);
  line += now.records == 0 ? "empty at the end"
                           : fmt::format("{} records ({} bytes) kept for the next run", now.records, now.bytes);
  if (now.dropped_full != 0) line += fmt::format("; {} records dropped, the buffer full", now.dropped_full);
  if (now.corrupt_entries != 0)
    line += fmt::format("; {} corrupt entries skipped ({} bytes)", now.corrupt_entries, now.corrupt_bytes);
  return line;
}

}  // namespace sluice::engine
