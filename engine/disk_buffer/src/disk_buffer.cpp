#include "sluice/disk_buffer/disk_buffer.h"

#include "file.h"
#include "format.h"
#include "sluice/disk_buffer/crc32c.h"

#include <sluice/clock.h>

#include <fmt/format.h>
#include <fmt/std.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

namespace sluice::disk_buffer {

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

static_assert(std::is_trivially_copyable_v<FlowRecord> && std::is_trivially_copyable_v<Event>);

constexpr std::string_view segment_suffix = ".segment";
constexpr std::size_t segment_digits = 20;
constexpr std::string_view ledger_name = "ledger";
constexpr std::string_view ledger_replacement = "ledger.tmp";
constexpr std::string_view lock_name = "lock";

fs::path segment_path(const fs::path& folder, std::uint64_t first_sequence) {
  return folder / fmt::format("{:0{}}{}", first_sequence, segment_digits, segment_suffix);
}

// The first sequence a segment's file name gives; nothing for other files.
std::optional<std::uint64_t> segment_number(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.size() != segment_digits + segment_suffix.size() || !name.ends_with(segment_suffix)) return std::nullopt;
  std::uint64_t number = 0;
  const char* digits_end = name.data() + segment_digits;
  const auto [end, error] = std::from_chars(name.data(), digits_end, number);
  if (error != std::errc{} || end != digits_end) return std::nullopt;
  return number;
}

// The segments in `folder`, oldest first.
std::vector<std::pair<std::uint64_t, fs::path>> list_segments(const fs::path& folder) {
  std::vector<std::pair<std::uint64_t, fs::path>> segments;
  std::error_code error;
  for (const auto& file : fs::directory_iterator(folder, error))
    if (const auto number = segment_number(file.path())) segments.emplace_back(*number, file.path());
  if (error) throw Error(fmt::format("disk buffer: cannot read the folder {}: {}", folder, error.message()));
  std::sort(segments.begin(), segments.end());
  return segments;
}

std::string describe(const format::Layout& layout) {
  return fmt::format("buffer format {}, ABI {}, FlowRecord of {} bytes, Event of {} bytes", layout.format_version,
                     layout.abi_version, layout.record_size, layout.event_size);
}

// The positions last written; a missing or damaged ledger gives the start,
// so every entry found is replayed (duplicates rather than losses).
format::LedgerFile read_ledger(const fs::path& file) {
  if (!fs::exists(file)) return {};
  File in(file, File::Mode::read);
  format::LedgerFile ledger;
  const iovec all{&ledger, sizeof ledger};
  if (!in.read_at({&all, 1}, 0) || !format::ledger_intact(ledger)) return {};
  if (ledger.format_version != format::ledger_version)
    throw Error(
        fmt::format("disk buffer: {} is a ledger of format {}; this sluice reads format {}: drain the buffer "
                    "with the sluice that wrote it, or move the folder away",
                    file, ledger.format_version, format::ledger_version));
  return ledger;
}

struct Segment {
  std::uint64_t first_sequence = 0;
  std::uint64_t end_sequence = 0;  // past its last entry
  std::uint64_t bytes = 0;
  fs::path path;
};

// An entry not acknowledged yet, or acknowledged behind one that is not.
struct Pending {
  std::uint64_t sequence = 0;
  std::uint64_t segment = 0;  // the first sequence of its segment
  std::uint64_t offset = 0;
  std::uint64_t written_ms = 0;
  std::uint32_t records = 0;
  std::uint32_t events = 0;
  std::uint32_t packed_size = 0;  // as in its header
  bool acknowledged = false;

  std::uint64_t size() const { return format::entry_size(records, events, packed_size); }
};

// A batch's records as they go to disk: packed, or raw when that is not smaller.
struct StoredRecords {
  std::vector<std::byte> packed;
  std::uint32_t packed_size = 0;

  explicit StoredRecords(const Batch& batch) : packed_size(format::pack(batch.records, packed)) {}
  std::span<const std::byte> bytes(const Batch& batch) const {
    return packed_size == 0 ? std::as_bytes(std::span(batch.records)) : std::span<const std::byte>(packed);
  }
};

iovec part(const void* data, std::size_t size) { return {const_cast<void*>(data), size}; }

// The folder's lock, held while the buffer is open: a second user (another
// sink, another sluice) would interleave its entries with this one's.
class FolderLock {
 public:
  explicit FolderLock(const fs::path& folder) {
    const fs::path path = folder / lock_name;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(fmt::format("disk buffer: cannot open {}: {}", path, std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw Error(fmt::format("disk buffer {} is in use (another sink or process holds {})", folder, path));
    }
  }
  ~FolderLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

struct DiskBuffer::State {
  Settings settings;
  std::optional<FolderLock> lock;
  mutable std::mutex mutex;
  std::condition_variable room;      // segments were deleted
  std::condition_variable appended;  // an entry was written
  std::deque<Segment> segments;      // oldest first; the last is written while `writer` is open
  File writer;
  File reader;
  std::uint64_t reader_segment = 0;
  std::vector<std::byte> packed;  // the records of the entry read, as stored
  std::deque<Pending> pending;    // in sequence order, from the first not acknowledged
  std::size_t read_count = 0;     // the first pending entries, handed out by read()
  std::uint64_t next_sequence = 1;
  std::uint64_t unacknowledged = 0;
  Stats counts;               // bytes, records and the counters; the rest is computed
  format::LedgerFile ledger;  // as last written
  bool data_unsynced = false;
  bool folder_unsynced = false;
  bool closed = false;
  SteadyClock::time_point last_sync = SteadyClock::now();

  std::uint64_t first_pending() const { return pending.empty() ? next_sequence : pending.front().sequence; }

  bool has_room(std::uint64_t needed) const {
    return unacknowledged == 0 || counts.bytes + needed <= settings.max_size;
  }

  void count_corrupt(std::uint64_t bytes) {
    ++counts.corrupt_entries;
    counts.corrupt_bytes += bytes;
  }

  // Reads a segment left by an earlier run: its entries from `first_pending`
  // on are pending; torn and corrupt places, and entries out of order (before
  // `min_sequence`, the end of the segment before), are skipped and counted.
  void load_segment(const fs::path& path, std::uint64_t number, std::uint64_t min_sequence,
                    std::uint64_t first_pending) {
    const std::vector<std::byte> bytes = File(path, File::Mode::read).read_all();
    Segment segment{number, number, bytes.size(), path};
    counts.bytes += bytes.size();
    format::SegmentHeader header;
    if (bytes.size() >= sizeof header) std::memcpy(&header, bytes.data(), sizeof header);
    if (bytes.size() < sizeof header || !format::header_intact(header) || header.first_sequence != number) {
      count_corrupt(bytes.size());
      segments.push_back(segment);
      return;
    }
    if (!format::readable(header.layout))
      throw Error(
          fmt::format("disk buffer: {} was written by another sluice ({}); this one reads {}: drain the "
                      "buffer with the sluice that wrote it, or move the folder away",
                      path, describe(header.layout), describe(format::Layout{})));
    const std::span all(bytes);
    std::uint64_t next_valid = std::max(number, min_sequence);
    for (std::size_t offset = sizeof header; offset < all.size();) {
      if (const auto entry = format::check_entry(all.subspan(offset), next_valid)) {
        if (entry->sequence >= first_pending) {
          pending.push_back({entry->sequence, number, offset, entry->written_ms, entry->record_count,
                             entry->event_count, entry->packed_size, false});
          counts.records += entry->record_count;
          ++unacknowledged;
        }
        next_valid = segment.end_sequence = entry->sequence + 1;
        offset += format::checked_header_offset + entry->length;
      } else {
        const std::size_t resume = next_entry(all, offset + alignof(format::EntryHeader), next_valid);
        count_corrupt(resume - offset);
        offset = resume;
      }
    }
    segments.push_back(segment);
  }

  // Where the next good entry after a bad one starts: entries are 8-byte
  // aligned, so every 8th offset is tried.
  static std::size_t next_entry(std::span<const std::byte> all, std::size_t from, std::uint64_t min_sequence) {
    for (std::size_t at = from; at < all.size(); at += alignof(format::EntryHeader))
      if (format::check_entry(all.subspan(at), min_sequence)) return at;
    return all.size();
  }

  void open_segment() {
    const fs::path path = segment_path(settings.folder, next_sequence);
    File file(path, File::Mode::create_new);
    const format::SegmentHeader header = format::make_segment_header(next_sequence);
    const iovec all = part(&header, sizeof header);
    try {
      file.write_at({&all, 1}, 0);
    } catch (const Error&) {
      std::error_code ignored;
      fs::remove(path, ignored);
      throw;
    }
    segments.push_back({next_sequence, next_sequence, sizeof header, path});
    counts.bytes += sizeof header;
    writer = std::move(file);
    folder_unsynced = true;
  }

  // A segment past segment_size is closed (synced first: its file is not
  // written again), so that it can be deleted once acknowledged.
  void close_full_segment() {
    if (!writer.is_open() || segments.back().bytes < settings.segment_size) return;
    writer.sync();
    writer.close();
    delete_completed_segments();
  }

  void write(const Batch& batch, const StoredRecords& stored, std::uint64_t size) {
    if (!writer.is_open()) open_segment();
    Segment& segment = segments.back();
    format::EntryHeader header;
    header.length = static_cast<std::uint32_t>(size - format::checked_header_offset);
    header.sequence = next_sequence;
    header.written_ms = now_ms();
    header.batch_sequence = batch.id.sequence;
    header.batch_source = batch.id.source;
    header.record_count = static_cast<std::uint32_t>(batch.records.size());
    header.event_count = static_cast<std::uint32_t>(batch.events.size());
    header.packed_size = stored.packed_size;
    const auto records = stored.bytes(batch);
    const auto events = std::as_bytes(std::span(batch.events));
    header.crc =
        crc32c(events, crc32c(records, crc32c(format::bytes_of(header).subspan(format::checked_header_offset))));
    const std::array parts{part(&header, sizeof header), part(records.data(), records.size()),
                           part(events.data(), events.size())};
    writer.write_at(parts, segment.bytes);
    pending.push_back({next_sequence, segment.first_sequence, segment.bytes, header.written_ms, header.record_count,
                       header.event_count, header.packed_size, false});
    segment.bytes += size;
    segment.end_sequence = ++next_sequence;
    counts.bytes += size;
    counts.records += header.record_count;
    ++unacknowledged;
    data_unsynced = true;
  }

  // The batch of `entry` as written; nothing if it no longer reads back whole.
  std::shared_ptr<Batch> load(const Pending& entry) {
    if (!reader.is_open() || reader_segment != entry.segment) {
      reader = File(segment_path(settings.folder, entry.segment), File::Mode::read);
      reader_segment = entry.segment;
    }
    auto batch = std::make_shared<Batch>();
    batch->events.resize(entry.events);
    format::EntryHeader header;
    // Raw records are read in place; packed ones into `packed`, then unpacked.
    if (entry.packed_size == 0)
      batch->records.resize(entry.records);
    else
      packed.resize(entry.packed_size);
    const std::span<std::byte> records =
        entry.packed_size == 0 ? std::as_writable_bytes(std::span(batch->records)) : std::span(packed);
    const auto events = std::as_writable_bytes(std::span(batch->events));
    const std::array parts{part(&header, sizeof header), part(records.data(), records.size()),
                           part(events.data(), events.size())};
    if (!reader.read_at(parts, entry.offset)) return nullptr;
    const auto checked = format::bytes_of(header).subspan(format::checked_header_offset);
    if (header.sequence != entry.sequence || header.record_count != entry.records ||
        header.event_count != entry.events || header.packed_size != entry.packed_size ||
        crc32c(events, crc32c(records, crc32c(checked))) != header.crc)
      return nullptr;
    if (entry.packed_size != 0 && !format::unpack(records, entry.records, batch->records)) return nullptr;
    batch->id = {header.batch_source, header.batch_sequence};
    return batch;
  }

  bool acknowledge(std::uint64_t sequence) {
    const auto read_end = pending.begin() + static_cast<std::ptrdiff_t>(read_count);
    const auto it = std::lower_bound(pending.begin(), read_end, sequence,
                                     [](const Pending& p, std::uint64_t s) { return p.sequence < s; });
    if (it == read_end || it->sequence != sequence || it->acknowledged) return false;
    it->acknowledged = true;
    counts.records -= it->records;
    --unacknowledged;
    while (!pending.empty() && pending.front().acknowledged) {
      pending.pop_front();
      --read_count;
    }
    delete_completed_segments();
    return true;
  }

  // Deletes the oldest segments while every entry in them is acknowledged.
  void delete_completed_segments() {
    const std::uint64_t first = first_pending();
    bool deleted = false;
    while (segments.size() > (writer.is_open() ? 1U : 0U) && segments.front().end_sequence <= first) {
      std::error_code error;
      fs::remove(segments.front().path, error);
      if (error) throw Error(fmt::format("disk buffer: cannot delete {}: {}", segments.front().path, error.message()));
      counts.bytes -= segments.front().bytes;
      segments.pop_front();
      deleted = true;
    }
    if (!deleted) return;
    folder_unsynced = true;
    room.notify_all();
  }

  void sync() {
    if (data_unsynced && writer.is_open()) writer.sync();
    data_unsynced = false;
    const format::LedgerFile now = format::make_ledger(first_pending(), next_sequence);
    if (now.first_pending != ledger.first_pending || now.next_sequence != ledger.next_sequence) {
      write_ledger(now);
      ledger = now;
    }
    if (folder_unsynced) File::sync_folder(settings.folder);
    folder_unsynced = false;
    last_sync = SteadyClock::now();
  }

  void write_ledger(const format::LedgerFile& positions) {
    const fs::path replacement = settings.folder / ledger_replacement;
    File file(replacement, File::Mode::replace);
    const iovec all = part(&positions, sizeof positions);
    file.write_at({&all, 1}, 0);
    file.sync();
    file.close();
    std::error_code error;
    fs::rename(replacement, settings.folder / ledger_name, error);
    if (error) throw Error(fmt::format("disk buffer: cannot rename {}: {}", replacement, error.message()));
    folder_unsynced = true;
  }

  void sync_if_due() {
    if (SteadyClock::now() - last_sync >= settings.sync_interval) sync();
  }
};

DiskBuffer::DiskBuffer(Settings settings) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.settings = std::move(settings);
  s.settings.segment_size =
      std::clamp<std::uint64_t>(s.settings.segment_size, 1, std::max<std::uint64_t>(s.settings.max_size / 4, 1));
  std::error_code error;
  fs::create_directories(s.settings.folder, error);
  if (error)
    throw Error(fmt::format("disk buffer: cannot create the folder {}: {}", s.settings.folder, error.message()));
  s.lock.emplace(s.settings.folder);
  s.ledger = read_ledger(s.settings.folder / ledger_name);
  // Sequences are never used twice: the next is past every segment's name and entries.
  std::uint64_t next = std::max<std::uint64_t>(s.ledger.next_sequence, 1);
  std::uint64_t previous_end = 0;
  for (const auto& [number, path] : list_segments(s.settings.folder)) {
    s.load_segment(path, number, previous_end, s.ledger.first_pending);
    previous_end = s.segments.back().end_sequence;
    next = std::max({next, previous_end, number + 1});
  }
  s.next_sequence = next;
  s.delete_completed_segments();
}

DiskBuffer::~DiskBuffer() {
  try {
    close();
  } catch (const Error&) {
    // close() is where errors are seen; a destructor must not throw.
  }
}

Appended DiskBuffer::append(const Batch& batch, std::chrono::milliseconds wait) {
  if (format::entry_size(batch.records.size(), batch.events.size(), 0) - format::checked_header_offset >
      std::numeric_limits<std::uint32_t>::max())
    throw Error(fmt::format("disk buffer {}: a batch of {} records is too large for an entry", state_->settings.folder,
                            batch.records.size()));
  const StoredRecords stored(batch);  // packed before taking the lock: the reader goes on meanwhile
  const std::uint64_t size = format::entry_size(batch.records.size(), batch.events.size(), stored.packed_size);
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  s.close_full_segment();
  const auto fits = [&] { return s.has_room(size + (s.writer.is_open() ? 0 : sizeof(format::SegmentHeader))); };
  if (!fits()) {
    if (s.settings.when_full == WhenFull::drop) {
      s.counts.dropped_full += batch.records.size();
      return Appended::dropped;
    }
    if (wait == std::chrono::milliseconds::max())
      s.room.wait(lock, fits);
    else if (!s.room.wait_for(lock, wait, fits))
      return Appended::full;
  }
  s.sync_if_due();  // before writing: a failed sync must not leave an entry the caller thinks was refused
  s.write(batch, stored, size);
  s.appended.notify_all();
  return Appended::written;
}

std::optional<Entry> DiskBuffer::read() { return read(std::chrono::milliseconds(0)); }

std::optional<Entry> DiskBuffer::read(std::chrono::milliseconds wait) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  s.appended.wait_for(lock, wait, [&] { return s.read_count < s.pending.size() || s.closed; });
  while (s.read_count < s.pending.size()) {
    const Pending& entry = s.pending[s.read_count];
    auto batch = s.load(entry);
    ++s.read_count;
    if (batch) return Entry{entry.sequence, std::move(batch)};
    s.count_corrupt(entry.size());
    s.acknowledge(entry.sequence);
  }
  return std::nullopt;
}

bool DiskBuffer::acknowledge(std::uint64_t sequence) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  s.sync_if_due();
  return s.acknowledge(sequence);
}

void DiskBuffer::sync() {
  std::lock_guard lock(state_->mutex);
  state_->sync();
}

void DiskBuffer::close() {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.closed) return;
  s.closed = true;
  s.sync();
  s.writer.close();
  s.reader.close();
  // Closed, the last segment is deleted too once all of it is acknowledged:
  // a buffer emptied by a run leaves no segment behind.
  s.delete_completed_segments();
  if (s.folder_unsynced) File::sync_folder(s.settings.folder);
  s.lock.reset();
}

Stats DiskBuffer::stats() const {
  const State& s = *state_;
  std::lock_guard lock(s.mutex);
  Stats stats = s.counts;
  stats.entries = s.unacknowledged;
  stats.unread = s.pending.size() - s.read_count;
  stats.oldest_ms = s.pending.empty() ? 0 : s.pending.front().written_ms;
  return stats;
}

const std::filesystem::path& DiskBuffer::folder() const noexcept { return state_->settings.folder; }

}  // namespace sluice::disk_buffer
