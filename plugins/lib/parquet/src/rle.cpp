#include "sluice/parquet/rle.h"

#include <algorithm>
#include <bit>

#include "sluice/parquet/thrift.h"

namespace sluice::parquet {
namespace {

void put_varint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Equal values from `at` on, counting no further than `limit`.
std::size_t run_length(std::span<const std::uint32_t> values, std::size_t at, std::size_t limit) {
  const std::size_t end = std::min(values.size(), at + limit);
  std::size_t i = at + 1;
  while (i < end && values[i] == values[at]) ++i;
  return i - at;
}

// A repeat: the count, then the value in whole bytes.
void put_repeat(std::uint32_t value, std::size_t count, int width, std::string& out) {
  put_varint(count << 1, out);
  for (int b = 0; b < (width + 7) / 8; ++b) out.push_back(static_cast<char>(value >> (8 * b)));
}

// `groups` groups of 8 values from `from`, least significant bit first,
// padded with zeros past the end.
void put_packed(std::span<const std::uint32_t> values, std::size_t from, std::size_t groups, int width,
                std::string& out) {
  put_varint(groups << 1 | 1, out);
  // 8 values of `width` bits make `width` bytes: written into the string's
  // room directly, not byte by byte.
  const std::size_t start = out.size();
  out.resize(start + groups * static_cast<std::size_t>(width));
  char* p = out.data() + start;
  std::uint64_t bits = 0;
  int held = 0;
  for (std::size_t i = from; i < from + groups * 8; ++i) {
    bits |= static_cast<std::uint64_t>(i < values.size() ? values[i] : 0) << held;
    held += width;
    while (held >= 8) {
      *p++ = static_cast<char>(bits);
      bits >>= 8;
      held -= 8;
    }
  }
}

// Bit-packed groups stop where a repeat would pay; one header holds at most
// 63 groups, so it fits a byte.
constexpr std::size_t max_groups = 63;
constexpr std::size_t min_repeat = 8;

}  // namespace

int bit_width(std::uint32_t max_value) noexcept { return static_cast<int>(std::bit_width(max_value)); }

void rle_encode(std::span<const std::uint32_t> values, int width, std::string& out) {
  std::size_t i = 0;
  while (i < values.size()) {
    if (const std::size_t run = run_length(values, i, values.size()); run >= min_repeat) {
      put_repeat(values[i], run, width, out);
      i += run;
      continue;
    }
    const std::size_t from = i;
    std::size_t groups = 0;
    do {
      i += 8;
      ++groups;
    } while (i < values.size() && groups < max_groups && run_length(values, i, min_repeat) < min_repeat);
    put_packed(values, from, groups, width, out);
    i = std::min(i, values.size());
  }
}

std::size_t rle_decode(std::span<const std::uint8_t> data, int width, std::span<std::uint32_t> out) {
  if (width < 0 || width > 32) throw thrift::DecodeError("bit width " + std::to_string(width) + " out of range");
  const std::size_t value_bytes = static_cast<std::size_t>(width + 7) / 8;
  const std::uint64_t mask = width == 32 ? 0xffffffffULL : (1ULL << width) - 1;
  std::size_t p = 0;
  std::size_t n = 0;
  const auto next_byte = [&] {
    if (p == data.size()) throw thrift::DecodeError("RLE/bit-packed run cut short");
    return data[p++];
  };
  while (n < out.size()) {
    std::uint64_t header = 0;
    for (int shift = 0;; shift += 7) {
      if (shift > 35) throw thrift::DecodeError("RLE/bit-packed header too long");
      const std::uint8_t b = next_byte();
      header |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    if ((header & 1) == 0) {
      std::uint32_t value = 0;
      for (std::size_t b = 0; b < value_bytes; ++b) value |= static_cast<std::uint32_t>(next_byte()) << (8 * b);
      const std::size_t count = std::min<std::uint64_t>(header >> 1, out.size() - n);
      if (count == 0) throw thrift::DecodeError("RLE run of no values");
      std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(n), count, value);
      n += count;
      continue;
    }
    const std::uint64_t count = (header >> 1) * 8;
    if (count == 0) throw thrift::DecodeError("bit-packed run of no values");
    std::uint64_t bits = 0;
    int held = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      while (held < width) {
        bits |= static_cast<std::uint64_t>(next_byte()) << held;
        held += 8;
      }
      if (n < out.size()) out[n++] = static_cast<std::uint32_t>(bits & mask);
      bits >>= width;
      held -= width;
    }
  }
  return p;
}

}  // namespace sluice::parquet
