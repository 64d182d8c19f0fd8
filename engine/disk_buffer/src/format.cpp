#include "format.h"

#include "sluice/disk_buffer/crc32c.h"

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
  const std::uint64_t size = entry_size(header.record_count, header.event_count);
  if (header.length != size - checked_header_offset || size > bytes.size()) return std::nullopt;
  if (crc32c(bytes.subspan(checked_header_offset, header.length)) != header.crc) return std::nullopt;
  return header;
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
