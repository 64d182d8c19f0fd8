// The bytes of a disk buffer on disk, in the host's byte order (a buffer
// moved to a machine of the other order fails the magic and is refused).
//
//   segment  = SegmentHeader, then Entry...
//   Entry    = EntryHeader, then the records, then event_count Events
//   records  = record_count FlowRecords as in memory when packed_size is 0
//              (always so in format 1), else packed_size bytes of packed
//              records: each one XORed with the record before it (the first
//              with zeros), as a 64-bit mask of its nonzero 8-byte words, then
//              those words
//   ledger   = LedgerFile
//
// Everything is a multiple of 8 bytes, so entries start 8-byte aligned and a
// reader looking for the next good entry after a corrupt one steps by 8.
//
// Format 2 packs the records: a FlowRecord is 320 bytes, mostly fields the
// flow does not have or shares with the flow before, and the synced writes
// of raw records bounded a buffered sink at 0.8M flows/s. Packing costs a
// pass over 40 words a record; LZ4 packed smaller but cost 0.3 CPU s per
// million flows. Format 1 segments are still read.
#pragma once

#include <sluice/abi.h>
#include <sluice/batch.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace sluice::disk_buffer::format {

inline constexpr std::uint32_t version = 2;  // of the segments written
inline constexpr std::uint32_t oldest_readable_version = 1;
inline constexpr std::uint32_t ledger_version = 1;

inline constexpr std::array<char, 8> segment_magic{'S', 'L', 'U', 'I', 'C', 'E', 'S', 'G'};
inline constexpr std::array<char, 8> ledger_magic{'S', 'L', 'U', 'I', 'C', 'E', 'L', 'G'};

// What decides whether this build can read a segment: the format and the
// record layout it was written with.
struct Layout {
  std::uint32_t format_version = version;
  std::uint32_t abi_version = sluice::abi_version;
  std::uint32_t record_size = sizeof(FlowRecord);
  std::uint32_t event_size = sizeof(Event);
};

// The oldest plugin ABI whose FlowRecord and Event are this build's, bit for
// bit: ABI 6 changed only interfaces. Raise it with a bump of
// sluice::abi_version that changes either.
inline constexpr std::uint32_t oldest_abi_of_these_records = 5;

// Whether this build reads segments of `layout`: records and events as this
// build's, in this format or an older one it still reads.
bool readable(const Layout& layout);

struct SegmentHeader {
  std::array<char, 8> magic = segment_magic;
  Layout layout;
  std::uint64_t first_sequence = 0;  // also the file's name
  std::uint32_t crc = 0;             // of the bytes before it
  std::uint32_t reserved = 0;
};

struct EntryHeader {
  std::uint32_t length = 0;  // bytes after `crc`: the rest of the header and the payload
  std::uint32_t crc = 0;     // CRC-32C of those bytes
  std::uint64_t sequence = 0;
  std::uint64_t written_ms = 0;
  std::uint64_t batch_sequence = 0;
  std::uint32_t batch_source = 0;
  std::uint32_t record_count = 0;
  std::uint32_t event_count = 0;
  std::uint32_t packed_size = 0;  // bytes of the packed records; 0: records raw
};

struct LedgerFile {
  std::array<char, 8> magic = ledger_magic;
  std::uint32_t format_version = ledger_version;
  std::uint32_t crc = 0;            // of the two positions
  std::uint64_t first_pending = 1;  // the reader: every entry before it is acknowledged
  std::uint64_t next_sequence = 1;  // the writer: the sequence the next entry takes
};

static_assert(sizeof(SegmentHeader) == 40 && sizeof(EntryHeader) == 48 && sizeof(LedgerFile) == 32);
static_assert(sizeof(FlowRecord) % 8 == 0 && sizeof(Event) % 8 == 0, "entries must stay 8-byte aligned");

// Bytes of the header after the length and crc fields: where the checksum starts.
inline constexpr std::size_t checked_header_offset = 8;

// An entry's bytes: its records raw (`packed_size` 0) or packed.
constexpr std::uint64_t entry_size(std::uint64_t records, std::uint64_t events, std::uint32_t packed_size) {
  return sizeof(EntryHeader) + (packed_size == 0 ? records * sizeof(FlowRecord) : packed_size) + events * sizeof(Event);
}

// `records` packed into `packed`; their size, a multiple of 8, or 0 (and
// `packed` empty) when packing would not make them smaller.
std::uint32_t pack(std::span<const FlowRecord> records, std::vector<std::byte>& packed);

// Appends the `count` records of `pack`'s `packed` to `records`; false unless
// `packed` holds exactly that many.
bool unpack(std::span<const std::byte> packed, std::size_t count, std::vector<FlowRecord>& records);

SegmentHeader make_segment_header(std::uint64_t first_sequence);
bool header_intact(const SegmentHeader& header);

// The header of the entry that starts `bytes` when it is whole (its length
// agrees with its counts and fits in `bytes`), its sequence at least
// `min_sequence` and its checksum right.
std::optional<EntryHeader> check_entry(std::span<const std::byte> bytes, std::uint64_t min_sequence);

LedgerFile make_ledger(std::uint64_t first_pending, std::uint64_t next_sequence);
bool ledger_intact(const LedgerFile& ledger);

template <class T>
std::span<const std::byte> bytes_of(const T& value) {
  return std::as_bytes(std::span(&value, 1));
}

}  // namespace sluice::disk_buffer::format
