// Parquet's RLE/bit-packed hybrid: definition levels and dictionary indices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sluice::parquet {

// Bits needed for values 0..max_value (0 for a lone value 0).
int bit_width(std::uint32_t max_value) noexcept;

// Appends `values`, each under 2^width, to `out`: runs of 8 or more equal
// values as a repeat, the rest bit-packed 8 at a time.
void rle_encode(std::span<const std::uint32_t> values, int width, std::string& out);

// Reads exactly out.size() values of `width` bits from `data`; throws
// thrift::DecodeError when `data` ends first. Returns the bytes read.
std::size_t rle_decode(std::span<const std::uint8_t> data, int width, std::span<std::uint32_t> out);

}  // namespace sluice::parquet
