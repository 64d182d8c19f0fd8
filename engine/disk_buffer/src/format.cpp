#include "format.h"

#include "sluice/disk_buffer/crc32c.h"

#include <lz4.h>

#include <algorithm>
#include <cstring>

namespace sluice::disk_buffer::format {

namespace {

// Entries of more records than this are corrupt, not large: it keeps the
// size arithmetic far from overflow.
constexpr std::uint64_t max_count = 1U << 24;

std::uint32_t segment_header_crc(const SegmentHeader& header) {
  return crc32c(bytes_of(header).first(offsetof(SegmentHeader, crc)));
}

std::uint32_t ledger_crc(const LedgerFile& ledger) {
  return crc32c(bytes_of(ledger).subspan(offsetof(LedgerFile, first_pending)));
}

}  // namespace

bool readable(const Layout& layout) {
  Layout same = layout;
  same.format_version = version;
  return same == Layout{} && layout.format_version >= oldest_readable_version;
}

SegmentHeader make_segment_header(std::uint64_t first_sequence) {
  SegmentHeader header;
  header.first_sequence = first_sequence;
  header.crc = segment_header_crc(header);
  return header;
}

bool header_intact(const SegmentHeader& header) {
  return header.magic == segment_magic && header.crc == segment_header_crc(header);
}

std::optional<EntryHeader> check_entry(std::span<const std::byte> bytes, std::uint64_t min_sequence) {
  EntryHeader header;
  if (bytes.size() < sizeof header) return std::nullopt;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.record_count > max_count || header.event_count > max_count || header.sequence < min_sequence)
    return std::nullopt;
  const std::uint64_t raw_size = header.record_count * sizeof(FlowRecord);
  if (header.packed_size >= raw_size && header.packed_size != 0) return std::nullopt;
  const std::uint64_t size = entry_size(header.record_count, header.event_count, header.packed_size);
  if (header.length != size - checked_header_offset || size > bytes.size()) return std::nullopt;
  if (crc32c(bytes.subspan(checked_header_offset, header.length)) != header.crc) return std::nullopt;
  return header;
}

std::uint32_t pack(std::span<const FlowRecord> records, std::vector<std::byte>& packed) {
  const auto raw = std::as_bytes(records);
  // Packed must come out smaller, padding included: LZ4 gives up (returns 0)
  // when it does not fit.
  const std::size_t room = raw.size() / 8 * 8 - 8;
  packed.resize(raw.size() < 16 || raw.size() > LZ4_MAX_INPUT_SIZE ? 0 : room);
  const int size = packed.empty() ? 0
                                  : LZ4_compress_default(reinterpret_cast<const char*>(raw.data()),
                                                         reinterpret_cast<char*>(packed.data()),
                                                         static_cast<int>(raw.size()), static_cast<int>(room));
  packed.resize(padded(static_cast<std::size_t>(size)));
  std::fill(packed.begin() + size, packed.end(), std::byte{0});
  return static_cast<std::uint32_t>(size);
}

bool unpack(std::span<const std::byte> packed, std::span<FlowRecord> records) {
  const auto raw = std::as_writable_bytes(records);
  const int size =
      LZ4_decompress_safe(reinterpret_cast<const char*>(packed.data()), reinterpret_cast<char*>(raw.data()),
                          static_cast<int>(packed.size()), static_cast<int>(raw.size()));
  return size >= 0 && static_cast<std::size_t>(size) == raw.size();
}

LedgerFile make_ledger(std::uint64_t first_pending, std::uint64_t next_sequence) {
  LedgerFile ledger;
  ledger.first_pending = first_pending;
  ledger.next_sequence = next_sequence;
  ledger.crc = ledger_crc(ledger);
  return ledger;
}

bool ledger_intact(const LedgerFile& ledger) {
  return ledger.magic == ledger_magic && ledger.crc == ledger_crc(ledger);
}

}  // namespace sluice::disk_buffer::format
