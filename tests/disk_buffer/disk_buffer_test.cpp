// The disk buffer on real files: what goes in comes out in order, survives a
// reopen until acknowledged, and what is damaged is skipped and counted.
#include "sluice/disk_buffer/disk_buffer.h"
#include "sluice/disk_buffer/crc32c.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstring>
#include <fstream>
#include <future>
#include <random>

#include "process.h"

namespace sluice::disk_buffer {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// `records` distinct records, numbered from `first`, a batch id and a rotation in the middle.
Batch numbered(std::uint64_t first, std::size_t records) {
  Batch batch;
  for (std::size_t i = 0; i < records; ++i) {
    if (i == records / 2) batch.add_event({Event::Kind::rotate, 0, first * 1000, first * 1000 + 60'000});
    FlowRecord record;
    record.packets = first + i;
    record.bytes = (first + i) * 1500;
    record.src_port = static_cast<std::uint16_t>(i);
    record.first_ms = 1'700'000'000'000 + first + i;
    batch.records.push_back(record);
  }
  batch.id = {3, first};
  return batch;
}

// `records` of random bytes, which do not compress: they are stored raw.
Batch noise(std::uint64_t first, std::size_t records) {
  Batch batch;
  batch.records.resize(records);
  std::mt19937_64 random(first);
  const auto bytes = std::as_writable_bytes(std::span(batch.records));
  for (std::size_t at = 0; at + sizeof(std::uint64_t) <= bytes.size(); at += sizeof(std::uint64_t)) {
    const std::uint64_t value = random();
    std::memcpy(bytes.data() + at, &value, sizeof value);
  }
  batch.id = {3, first};
  return batch;
}

void expect_same(const Batch& read, const Batch& written) {
  ASSERT_EQ(read.records.size(), written.records.size());
  EXPECT_TRUE(read.records == written.records);
  ASSERT_EQ(read.events.size(), written.events.size());
  for (std::size_t i = 0; i < written.events.size(); ++i) {
    EXPECT_EQ(read.events[i].kind, written.events[i].kind);
    EXPECT_EQ(read.events[i].offset, written.events[i].offset);
    EXPECT_EQ(read.events[i].window_start_ms, written.events[i].window_start_ms);
  }
  EXPECT_EQ(read.id, written.id);
}

std::vector<fs::path> segments(const fs::path& folder) {
  std::vector<fs::path> found;
  for (const auto& file : fs::directory_iterator(folder))
    if (file.path().extension() == ".segment") found.push_back(file.path());
  std::sort(found.begin(), found.end());
  return found;
}

// The batch ids (sequences) read until the buffer has no more.
std::vector<std::uint64_t> read_all(DiskBuffer& buffer, bool acknowledge) {
  std::vector<std::uint64_t> ids;
  while (auto entry = buffer.read()) {
    ids.push_back(entry->batch->id.sequence);
    if (acknowledge) {
      EXPECT_TRUE(buffer.acknowledge(entry->sequence));
    }
  }
  return ids;
}

void flip_byte(const fs::path& file, std::uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  const auto byte = static_cast<char>(f.get() ^ 0x5A);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(byte);
}

class DiskBufferTest : public ::testing::Test {
 protected:
  Settings settings(std::uint64_t max_size = 64ULL << 20) const {
    Settings s;
    s.folder = dir / "buffer";
    s.max_size = max_size;
    return s;
  }

  // Batches 1..`count` of `records` each into one segment, closed; where each entry ends.
  std::vector<std::uint64_t> write_one_segment(std::uint64_t count, std::size_t records) const {
    std::vector<std::uint64_t> ends;
    DiskBuffer buffer(settings());
    for (std::uint64_t id = 1; id <= count; ++id) {
      buffer.append(numbered(id, records));
      ends.push_back(fs::file_size(segments(buffer.folder()).at(0)));
    }
    return ends;
  }

  testing::TempDir dir;
};

TEST_F(DiskBufferTest, GivesBackWhatWentInInOrder) {
  DiskBuffer buffer(settings());
  const std::vector<Batch> batches{numbered(1, 100), numbered(200, 1), numbered(300, 1024), noise(400, 50)};
  for (const Batch& batch : batches) EXPECT_EQ(buffer.append(batch), Appended::written);
  EXPECT_EQ(buffer.stats().records, 1175U);
  EXPECT_EQ(buffer.stats().entries, 4U);
  EXPECT_GT(buffer.stats().oldest_ms, 0U);
  for (const Batch& batch : batches) {
    const auto entry = buffer.read();
    ASSERT_TRUE(entry);
    expect_same(*entry->batch, batch);
    EXPECT_TRUE(buffer.acknowledge(entry->sequence));
    EXPECT_FALSE(buffer.acknowledge(entry->sequence)) << "acknowledged twice";
  }
  EXPECT_FALSE(buffer.read());
  EXPECT_EQ(buffer.stats().records, 0U);
  EXPECT_EQ(buffer.stats().oldest_ms, 0U);
  EXPECT_EQ(buffer.stats().corrupt_entries, 0U);
}

// Records are stored packed: mostly zeros or as in the record before, they
// take a fraction of their 320 bytes in memory.
TEST_F(DiskBufferTest, PacksRecordsSmallerThanInMemory) {
  DiskBuffer buffer(settings());
  buffer.append(numbered(1, 1024));
  EXPECT_LT(buffer.stats().bytes, 1024 * sizeof(FlowRecord) / 4);
  const auto entry = buffer.read();
  ASSERT_TRUE(entry);
  expect_same(*entry->batch, numbered(1, 1024));
}

// Emptied and closed, a buffer leaves no segment behind; its sequences go on
// where they were when it is opened again.
TEST_F(DiskBufferTest, ClosedEmptyItLeavesNoSegment) {
  std::uint64_t last = 0;
  {
    DiskBuffer buffer(settings());
    for (std::uint64_t id = 1; id <= 3; ++id) buffer.append(numbered(id, 10));
    while (auto entry = buffer.read()) {
      buffer.acknowledge(entry->sequence);
      last = entry->sequence;
    }
    EXPECT_EQ(segments(dir / "buffer").size(), 1U) << "the segment being written stays while the buffer is open";
    buffer.close();
  }
  EXPECT_TRUE(segments(dir / "buffer").empty());
  DiskBuffer again(settings());
  again.append(numbered(4, 10));
  const auto entry = again.read();
  ASSERT_TRUE(entry);
  EXPECT_GT(entry->sequence, last);
}

TEST_F(DiskBufferTest, ReplaysWhatWasNotAcknowledgedAfterReopening) {
  {
    DiskBuffer buffer(settings());
    for (std::uint64_t id = 1; id <= 5; ++id) buffer.append(numbered(id, 10));
    const auto first = buffer.read();
    ASSERT_TRUE(buffer.read());  // read, never acknowledged: comes again
    buffer.acknowledge(first->sequence);
    buffer.close();
  }
  DiskBuffer buffer(settings());
  EXPECT_EQ(buffer.stats().records, 40U);
  buffer.append(numbered(6, 10));
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{2, 3, 4, 5, 6}));
  const auto reread = buffer.read();
  EXPECT_FALSE(reread);
}

TEST_F(DiskBufferTest, AcknowledgementsOutOfOrderDeleteSegmentsOnceComplete) {
  Settings s = settings();
  s.segment_size = 1;  // one entry a segment
  DiskBuffer buffer(s);
  for (std::uint64_t id = 1; id <= 4; ++id) buffer.append(numbered(id, 10));
  ASSERT_EQ(segments(s.folder).size(), 4U);
  std::vector<std::uint64_t> sequences;
  while (auto entry = buffer.read()) sequences.push_back(entry->sequence);
  ASSERT_EQ(sequences.size(), 4U);

  EXPECT_TRUE(buffer.acknowledge(sequences[2]));
  EXPECT_TRUE(buffer.acknowledge(sequences[1]));
  EXPECT_EQ(segments(s.folder).size(), 4U) << "the first is not acknowledged: nothing may go";
  EXPECT_EQ(buffer.stats().records, 20U);
  EXPECT_TRUE(buffer.acknowledge(sequences[0]));
  EXPECT_EQ(segments(s.folder).size(), 1U) << "the first three are complete";
  EXPECT_TRUE(buffer.acknowledge(sequences[3]));
  EXPECT_EQ(buffer.stats().records, 0U);
  buffer.close();

  DiskBuffer reopened(s);
  EXPECT_FALSE(reopened.read()) << "all was acknowledged";
  EXPECT_TRUE(segments(s.folder).empty());
}

TEST_F(DiskBufferTest, UnsyncedAcknowledgementsAreReplayedNotLost) {
  Settings s = settings();
  s.sync_interval = std::chrono::hours(1);
  {
    DiskBuffer buffer(s);
    buffer.append(numbered(1, 10));
    buffer.append(numbered(2, 10));
    buffer.sync();
    buffer.acknowledge(buffer.read()->sequence);
    // A crash now: the ledger still says nothing was acknowledged.
    fs::copy(s.folder, dir / "crashed");
  }
  s.folder = dir / "crashed";
  DiskBuffer buffer(s);
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{1, 2}));
}

// A power cut keeps what was synced: the segment as it was at the last
// sync (the ledger too, as it is replaced only on a sync).
TEST_F(DiskBufferTest, APowerCutLosesOnlyWhatFollowedTheLastSync) {
  Settings s = settings();
  s.sync_interval = std::chrono::hours(1);
  std::uint64_t synced_size = 0;
  {
    DiskBuffer buffer(s);
    buffer.append(numbered(1, 30));
    buffer.append(numbered(2, 30));
    buffer.acknowledge(buffer.read()->sequence);
    buffer.sync();
    synced_size = fs::file_size(segments(s.folder).at(0));
    buffer.append(numbered(3, 30));
    buffer.append(numbered(4, 30));
    fs::copy(s.folder, dir / "power-cut");
  }
  s.folder = dir / "power-cut";
  fs::resize_file(segments(s.folder).at(0), synced_size);
  DiskBuffer buffer(s);
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(buffer.stats().corrupt_entries, 0U);
  buffer.append(numbered(5, 30));
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{5}));
}

TEST_F(DiskBufferTest, SkipsAndCountsAFlippedByte) {
  const std::vector<std::uint64_t> ends = write_one_segment(4, 50);
  const fs::path segment = segments(settings().folder).at(0);
  flip_byte(segment, (ends[0] + ends[1]) / 2);  // in the second entry's records
  flip_byte(segment, ends[2] + 1);              // in the fourth entry's length
  DiskBuffer buffer(settings());
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(buffer.stats().corrupt_entries, 2U);
  EXPECT_EQ(buffer.stats().corrupt_bytes, ends[3] - ends[0] - (ends[2] - ends[1]));
  buffer.append(numbered(5, 50));
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{5}));
}

TEST_F(DiskBufferTest, FindsTheEntryAfterADamagedHeader) {
  const std::vector<std::uint64_t> ends = write_one_segment(3, 20);
  flip_byte(segments(settings().folder).at(0), ends[0] + 1);  // the second entry's length
  DiskBuffer buffer(settings());
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(buffer.stats().corrupt_entries, 1U);
}

TEST_F(DiskBufferTest, SkipsAndCountsARecordTornByACrash) {
  const std::vector<std::uint64_t> ends = write_one_segment(3, 50);
  const std::uint64_t torn_at = ends[1] + 100;  // the third entry, cut in its first record
  fs::resize_file(segments(settings().folder).at(0), torn_at);
  DiskBuffer buffer(settings());
  EXPECT_EQ(buffer.stats().corrupt_entries, 1U);
  EXPECT_EQ(buffer.stats().corrupt_bytes, torn_at - ends[1]);
  buffer.append(numbered(4, 50));
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{1, 2, 4}));
}

TEST_F(DiskBufferTest, RefusesASegmentOfAnotherLayoutNamingIt) {
  {
    DiskBuffer buffer(settings());
    buffer.append(numbered(1, 10));
  }
  const fs::path segment = segments(settings().folder).at(0);
  // Another sluice's header, checksum and all: FlowRecord of 300 bytes
  // (the header is magic[8], format, ABI, record size, event size,
  // first sequence, then the CRC-32C of those 32 bytes).
  std::string bytes = testing::read_file(segment);
  const std::uint32_t record_size = 300;
  std::memcpy(bytes.data() + 16, &record_size, sizeof record_size);
  const std::uint32_t crc = crc32c(std::as_bytes(std::span(bytes.data(), 32)));
  std::memcpy(bytes.data() + 32, &crc, sizeof crc);
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;

  try {
    DiskBuffer buffer(settings());
    FAIL() << "opened a foreign segment";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(segment.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("FlowRecord of 300 bytes"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::exists(segment)) << "a foreign buffer is left alone";
}

// A segment as buffer format 1 wrote it (sluice 9fc1f47, plugin ABI 5, before
// records were packed):
// header {magic, format, ABI, record size, event size, first sequence,
// CRC-32C of those 32 bytes, 0}; entries {length, CRC-32C of what follows
// it, sequence, written ms, batch sequence, batch source, record count,
// event count, 0}, then the records and events as in memory.
void write_format_1_segment(const fs::path& folder, const std::vector<Batch>& batches) {
  fs::create_directories(folder);
  std::ofstream out(folder / "00000000000000000001.segment", std::ios::binary);
  const auto put = [&](const auto& value) { out.write(reinterpret_cast<const char*>(&value), sizeof value); };
  struct {
    std::array<char, 8> magic{'S', 'L', 'U', 'I', 'C', 'E', 'S', 'G'};
    std::array<std::uint32_t, 4> layout{1, 5, sizeof(FlowRecord), sizeof(Event)};
    std::uint64_t first_sequence = 1;
  } header;
  put(header);
  put(std::array<std::uint32_t, 2>{crc32c(std::as_bytes(std::span(&header, 1))), 0});
  for (std::uint64_t sequence = 1; const Batch& batch : batches) {
    const auto records = std::as_bytes(std::span(batch.records));
    const auto events = std::as_bytes(std::span(batch.events));
    struct {
      std::uint64_t sequence, written_ms = 1'700'000'000'000, batch_sequence;
      std::uint32_t batch_source, record_count, event_count, reserved = 0;
    } entry{sequence++,
            1'700'000'000'000,
            batch.id.sequence,
            batch.id.source,
            static_cast<std::uint32_t>(batch.records.size()),
            static_cast<std::uint32_t>(batch.events.size())};
    const auto length = static_cast<std::uint32_t>(sizeof entry + records.size() + events.size());
    put(std::array<std::uint32_t, 2>{length,
                                     crc32c(events, crc32c(records, crc32c(std::as_bytes(std::span(&entry, 1)))))});
    put(entry);
    out.write(reinterpret_cast<const char*>(records.data()), static_cast<std::streamsize>(records.size()));
    out.write(reinterpret_cast<const char*>(events.data()), static_cast<std::streamsize>(events.size()));
  }
}

// A buffer left by the sluice before packing is read, then written on in
// the new format.
TEST_F(DiskBufferTest, ReadsWhatFormat1Left) {
  write_format_1_segment(settings().folder, {numbered(1, 100), numbered(2, 7)});
  {
    DiskBuffer buffer(settings());
    EXPECT_EQ(buffer.stats().records, 107U);
    EXPECT_EQ(buffer.stats().corrupt_entries, 0U);
    const auto first = buffer.read();
    ASSERT_TRUE(first);
    expect_same(*first->batch, numbered(1, 100));
    buffer.acknowledge(first->sequence);
    buffer.append(numbered(3, 100));
  }
  DiskBuffer buffer(settings());
  EXPECT_EQ(segments(settings().folder).size(), 2U) << "format 1's, then one of the new format";
  const auto second = buffer.read();
  ASSERT_TRUE(second);
  expect_same(*second->batch, numbered(2, 7));
  buffer.acknowledge(second->sequence);
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(buffer.stats().corrupt_entries, 0U);
}

TEST_F(DiskBufferTest, DropsAndCountsWhenFull) {
  const std::uint64_t entry = 10 * sizeof(FlowRecord) + 1024;  // about: records and headers
  Settings s = settings(8 * entry);
  s.when_full = WhenFull::drop;
  DiskBuffer buffer(s);
  std::uint64_t written = 0;
  while (buffer.append(numbered(written + 1, 10)) == Appended::written) ++written;
  EXPECT_GE(written, 6U);
  EXPECT_EQ(buffer.stats().dropped_full, 10U);
  EXPECT_EQ(buffer.append(numbered(99, 10)), Appended::dropped);
  EXPECT_EQ(buffer.stats().dropped_full, 20U);
  EXPECT_LE(buffer.stats().bytes, s.max_size);
  EXPECT_EQ(read_all(buffer, true).size(), written) << "what was buffered stays";
  EXPECT_EQ(buffer.append(numbered(100, 10)), Appended::written) << "acknowledged segments made room";
}

TEST_F(DiskBufferTest, BlocksWhenFullUntilAcknowledgementsMakeRoom) {
  const std::uint64_t entry = 10 * sizeof(FlowRecord) + 1024;
  DiskBuffer buffer(settings(8 * entry));
  std::uint64_t written = 0;
  while (buffer.append(numbered(written + 1, 10), 0ms) == Appended::written) ++written;
  EXPECT_EQ(buffer.stats().dropped_full, 0U);
  auto blocked = std::async(std::launch::async, [&] { return buffer.append(numbered(written + 1, 10)); });
  for (std::uint64_t id = 1; id <= written; ++id) {
    const auto entry = buffer.read();
    ASSERT_EQ(entry->batch->id.sequence, id);
    buffer.acknowledge(entry->sequence);
  }
  EXPECT_EQ(blocked.get(), Appended::written);
  EXPECT_EQ(read_all(buffer, true), (std::vector<std::uint64_t>{written + 1}));
}

// A 16 MiB tmpfs of its own, unmounted at the end.
class DiskBufferOnFullDisk : public DiskBufferTest {
 protected:
  void SetUp() override {
    mount_point = dir / "tmpfs";
    fs::create_directories(mount_point);
    ASSERT_EQ(::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=16m"), 0)
        << "mount tmpfs on " << mount_point << ": " << std::strerror(errno) << " (the tests run as root)";
  }
  void TearDown() override { EXPECT_EQ(::umount2(mount_point.c_str(), MNT_DETACH), 0) << std::strerror(errno); }

  fs::path mount_point;
};

TEST_F(DiskBufferOnFullDisk, NamesTheFileAndKeepsWhatWasWritten) {
  Settings s;
  s.folder = mount_point / "buffer";
  s.max_size = 64ULL << 20;  // more than the disk
  s.segment_size = 1ULL << 20;
  std::uint64_t written = 0;
  {
    DiskBuffer buffer(s);
    try {
      while (true) {
        buffer.append(noise(written + 1, 1024));  // raw: the disk fills in few entries
        ++written;
      }
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(s.folder.string() + "/"), std::string::npos) << message;
      EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
    }
    EXPECT_GT(written, 30U);
    std::uint64_t id = 0;
    while (const auto entry = buffer.read()) {
      ASSERT_EQ(entry->batch->id.sequence, ++id);
      expect_same(*entry->batch, noise(id, 1024));
    }
    EXPECT_EQ(id, written);
  }
  DiskBuffer reopened(s);
  EXPECT_EQ(reopened.stats().corrupt_entries, 0U) << "the failed write was cut off";
  EXPECT_EQ(read_all(reopened, true).size(), written);
}

}  // namespace
}  // namespace sluice::disk_buffer
