#include "format.h"

#include "sluice/disk_buffer/crc32c.h"

#include <array>
#include <bit>
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

// A record as the 8-byte words packing works on.
using Words = std::array<std::uint64_t, sizeof(FlowRecord) / sizeof(std::uint64_t)>;
static_assert(std::tuple_size_v<Words> <= 64, "a record's mask of changed words is 64 bits");

}  // namespace

bool readable(const Layout& layout) {
  return layout.format_version >= oldest_readable_version && layout.format_version <= version &&
         layout.abi_version >= oldest_abi_of_these_records && layout.abi_version <= sluice::abi_version &&
         layout.record_size == sizeof(FlowRecord) && layout.event_size == sizeof(Event);
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
  if (header.packed_size != 0 && (header.packed_size >= raw_size || header.packed_size % 8 != 0)) return std::nullopt;
  const std::uint64_t size = entry_size(header.record_count, header.event_count, header.packed_size);
  if (header.length != size - checked_header_offset || size > bytes.size()) return std::nullopt;
  if (crc32c(bytes.subspan(checked_header_offset, header.length)) != header.crc) return std::nullopt;
  return header;
}

std::uint32_t pack(std::span<const FlowRecord> records, std::vector<std::byte>& packed) {
  packed.resize(records.size() * (sizeof(std::uint64_t) + sizeof(FlowRecord)));  // the most it takes
  Words previous{};
  std::byte* out = packed.data();
  for (const FlowRecord& record : records) {
    const auto words = std::bit_cast<Words>(record);
    std::byte* mask_at = out;
    out += sizeof(std::uint64_t);
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < words.size(); ++i) {
      // Written always, kept only when nonzero: no branch to mispredict.
      const std::uint64_t changed = words[i] ^ previous[i];
      std::memcpy(out, &changed, sizeof changed);
      out += changed != 0 ? sizeof changed : 0;
      mask |= std::uint64_t{changed != 0} << i;
    }
    std::memcpy(mask_at, &mask, sizeof mask);
    previous = words;
  }
  const auto size = static_cast<std::size_t>(out - packed.data());
  packed.resize(size < records.size_bytes() ? size : 0);
  return static_cast<std::uint32_t>(packed.size());
}

bool unpack(std::span<const std::byte> packed, std::size_t count, std::vector<FlowRecord>& records) {
  records.reserve(records.size() + count);
  Words words{};
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t mask = 0;
    if (packed.size() < sizeof mask) return false;
    std::memcpy(&mask, packed.data(), sizeof mask);
    packed = packed.subspan(sizeof mask);
    const auto changed = static_cast<std::size_t>(std::popcount(mask));
    if ((mask >> words.size()) != 0 || packed.size() < changed * sizeof(std::uint64_t)) return false;
    for (; mask != 0; mask &= mask - 1) {
      std::uint64_t word = 0;
      std::memcpy(&word, packed.data(), sizeof word);
      packed = packed.subspan(sizeof word);
      words[static_cast<std::size_t>(std::countr_zero(mask))] ^= word;
    }
    records.push_back(std::bit_cast<FlowRecord>(words));
  }
  return packed.empty();
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
