// A disk buffer: batches of flow records kept in a folder until a consumer
// acknowledges them, so that what was accepted survives an outage of the
// consumer and a restart of the process (Vector's disk buffers).
//
// Batches are appended to segment files, each entry with its length, its
// CRC-32C, a sequence number of the buffer and the batch's id; every segment
// starts with a header naming the format version and the FlowRecord layout,
// so a buffer left by another sluice is refused, never misread. A small
// ledger file keeps the reader's and the writer's positions, replaced
// atomically (written beside, then renamed). Data and ledger are synced
// every `sync_interval` (checked on append and acknowledge; a caller that
// may go idle calls sync() on a timer): what a power cut may lose is what
// was appended since the last sync, and acknowledgements since then come
// again. A killed process loses nothing it appended (the page cache keeps it).
//
// Entries are read in order and acknowledged in any order; the reader's
// position is the first entry not acknowledged, and a segment is deleted
// once every entry in it is acknowledged. On open, the entries left pending
// come first, in order. A torn or corrupt entry (bad length, bad checksum) is
// skipped and counted, never read and never an error.
//
// Thread-safe: one thread may append while another reads and acknowledges.
#pragma once

#include <sluice/batch.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>

namespace sluice::disk_buffer {

// A buffer that cannot be opened or written (foreign format, disk full, I/O
// error); the message names the file.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class WhenFull : std::uint8_t {
  block,  // append() waits for acknowledgements to make room
  drop,   // append() drops the batch at once, counted
};

struct Settings {
  std::filesystem::path folder;              // created if missing
  std::uint64_t max_size = 256ULL << 20;     // bytes of segment files
  std::uint64_t segment_size = 16ULL << 20;  // a segment is closed past this (at most max_size / 4)
  std::chrono::milliseconds sync_interval{500};
  WhenFull when_full = WhenFull::block;
};

enum class Appended : std::uint8_t {
  written,
  dropped,  // full, when_full = drop (counted)
  full,     // full, when_full = block, and no room came before the wait ended
};

// A batch read back, with its entry's sequence number for acknowledge().
// The batch is the reader's own copy: it may give it another id.
struct Entry {
  std::uint64_t sequence = 0;
  std::shared_ptr<Batch> batch;
};

struct Stats {
  std::uint64_t bytes = 0;            // in segment files
  std::uint64_t records = 0;          // appended and not acknowledged
  std::uint64_t entries = 0;          // batches appended and not acknowledged
  std::uint64_t unread = 0;           // of them, not yet handed out by read()
  std::uint64_t oldest_ms = 0;        // when the oldest of them was appended (ms since the epoch); 0: none
  std::uint64_t dropped_full = 0;     // records dropped because the buffer was full
  std::uint64_t corrupt_entries = 0;  // torn or corrupt places skipped
  std::uint64_t corrupt_bytes = 0;    // bytes skipped with them
};

class DiskBuffer {
 public:
  // Opens the buffer in `settings.folder`, creating it if need be, and checks
  // what is pending. Throws Error for a segment of another format or record
  // layout, or a folder that cannot be read.
  explicit DiskBuffer(Settings settings);
  // Syncs (errors are lost here: call close() to see them).
  ~DiskBuffer();
  DiskBuffer(const DiskBuffer&) = delete;
  DiskBuffer& operator=(const DiskBuffer&) = delete;

  // Appends `batch` (records, events and id). When full (max_size), with
  // when_full = block, waits up to `wait` for room. An empty buffer takes a
  // batch of any size. Throws Error naming the file when the disk is full or
  // failing; the buffer then holds what it held before.
  Appended append(const Batch& batch, std::chrono::milliseconds wait = std::chrono::milliseconds::max());

  // The next entry not read yet, oldest first; nothing when all are read.
  std::optional<Entry> read();
  // The same, waiting up to `wait` for an append when all are read.
  std::optional<Entry> read(std::chrono::milliseconds wait);

  // The entry `sequence` (from read()) is delivered; false if it is not one
  // read and pending. Deletes the segments this completes.
  bool acknowledge(std::uint64_t sequence);

  // Syncs the segment being written and the ledger to the disk now.
  void sync();
  // Syncs and closes the files; errors are thrown. Nothing may be called after.
  void close();

  Stats stats() const;
  const std::filesystem::path& folder() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::disk_buffer
