#include "sluice/parquet/delta.h"

#include <algorithm>
#include <bit>

#include "sluice/parquet/thrift.h"

namespace sluice::parquet {
namespace {

constexpr std::size_t block_values = 128;
constexpr std::size_t miniblocks = 4;
constexpr std::size_t miniblock_values = block_values / miniblocks;

void put_varint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

std::uint64_t zigzag(std::int64_t value) noexcept {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

// `values` of `width` bits, least significant bit first; 32 of them make
// 4 * width bytes.
void put_packed(std::span<const std::uint64_t> values, int width, std::string& out) {
  std::uint64_t bits = 0;
  int held = 0;
  for (const std::uint64_t value : values) {
    bits |= value << held;
    if (held + width < 64) {
      held += width;
      continue;
    }
    out.append(reinterpret_cast<const char*>(&bits), 8);
    bits = held == 0 ? 0 : value >> (64 - held);
    held = held + width - 64;
  }
  out.append(reinterpret_cast<const char*>(&bits), static_cast<std::size_t>(held / 8));
}

// One block: the smallest difference, the miniblocks' widths, then the
// miniblocks that hold differences (the last padded with zeros).
void put_block(std::span<const std::int64_t> deltas, std::string& out) {
  const std::int64_t min_delta = *std::min_element(deltas.begin(), deltas.end());
  put_varint(zigzag(min_delta), out);
  std::uint64_t above[block_values] = {};
  for (std::size_t i = 0; i < deltas.size(); ++i)
    above[i] = static_cast<std::uint64_t>(deltas[i]) - static_cast<std::uint64_t>(min_delta);
  int widths[miniblocks] = {};
  for (std::size_t m = 0; m * miniblock_values < deltas.size(); ++m) {
    std::uint64_t any = 0;
    for (std::size_t i = m * miniblock_values; i < (m + 1) * miniblock_values; ++i) any |= above[i];
    widths[m] = std::bit_width(any);
  }
  for (const int width : widths) out.push_back(static_cast<char>(width));
  for (std::size_t m = 0; m * miniblock_values < deltas.size(); ++m)
    put_packed(std::span<const std::uint64_t>(above).subspan(m * miniblock_values, miniblock_values), widths[m], out);
}

class Input {
 public:
  explicit Input(std::span<const std::uint8_t> data) : data_(data) {}

  std::uint8_t byte() {
    if (p_ == data_.size()) throw thrift::DecodeError("DELTA_BINARY_PACKED values cut short");
    return data_[p_++];
  }
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0;; shift += 7) {
      if (shift > 63) throw thrift::DecodeError("DELTA_BINARY_PACKED varint too long");
      const std::uint8_t b = byte();
      value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return value;
    }
  }
  std::int64_t zigzag_varint() {
    const std::uint64_t value = varint();
    return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
  }
  // `count` values of `width` bits, least significant bit first.
  void unpack(int width, std::size_t count, std::uint64_t* out) {
    const std::size_t bytes = count * static_cast<std::size_t>(width) / 8;
    if (bytes > data_.size() - p_) throw thrift::DecodeError("DELTA_BINARY_PACKED miniblock cut short");
    std::size_t bit = p_ * 8;
    for (std::size_t i = 0; i < count; ++i) {
      std::uint64_t value = 0;
      for (int b = 0; b < width; ++b, ++bit)
        value |= static_cast<std::uint64_t>((data_[bit / 8] >> (bit % 8)) & 1) << b;
      out[i] = value;
    }
    p_ += bytes;
  }
  std::size_t position() const noexcept { return p_; }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t p_ = 0;
};

}  // namespace

void delta_encode(std::span<const std::int64_t> values, std::string& out) {
  put_varint(block_values, out);
  put_varint(miniblocks, out);
  put_varint(values.size(), out);
  put_varint(zigzag(values.empty() ? 0 : values[0]), out);
  std::int64_t deltas[block_values];
  for (std::size_t from = 1; from < values.size(); from += block_values) {
    const std::size_t n = std::min(block_values, values.size() - from);
    for (std::size_t i = 0; i < n; ++i)
      deltas[i] = static_cast<std::int64_t>(static_cast<std::uint64_t>(values[from + i]) -
                                            static_cast<std::uint64_t>(values[from + i - 1]));
    put_block({deltas, n}, out);
  }
}

std::size_t delta_decode(std::span<const std::uint8_t> data, std::span<std::int64_t> out) {
  Input in(data);
  const std::uint64_t block = in.varint();
  const std::uint64_t blocks_miniblocks = in.varint();
  const std::uint64_t total = in.varint();
  std::uint64_t value = static_cast<std::uint64_t>(in.zigzag_varint());
  if (block == 0 || block % 128 != 0 || block > 1 << 16 || blocks_miniblocks == 0 || block % blocks_miniblocks != 0 ||
      (block / blocks_miniblocks) % 32 != 0 || total < out.size())
    throw thrift::DecodeError("DELTA_BINARY_PACKED header out of range");
  if (out.empty()) return in.position();
  const std::size_t per_miniblock = block / blocks_miniblocks;
  std::vector<std::uint64_t> above(per_miniblock);
  std::vector<int> widths(blocks_miniblocks);
  out[0] = static_cast<std::int64_t>(value);
  std::size_t n = 1;
  while (n < out.size()) {
    const auto min_delta = static_cast<std::uint64_t>(in.zigzag_varint());
    for (int& width : widths) {
      width = in.byte();
      if (width > 64) throw thrift::DecodeError("DELTA_BINARY_PACKED bit width over 64");
    }
    for (std::size_t m = 0; m < widths.size() && n < out.size(); ++m) {
      in.unpack(widths[m], per_miniblock, above.data());
      for (std::size_t i = 0; i < per_miniblock && n < out.size(); ++i) {
        value += min_delta + above[i];
        out[n++] = static_cast<std::int64_t>(value);
      }
    }
  }
  return in.position();
}

}  // namespace sluice::parquet
