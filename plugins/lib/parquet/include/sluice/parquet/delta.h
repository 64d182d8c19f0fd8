// Parquet's DELTA_BINARY_PACKED: integers as the differences between
// neighbours, bit-packed in miniblocks of 32 after each block's smallest
// difference. Times of flows arrive nearly in order: their differences take
// a few bits where their values take 64, and no dictionary is looked up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sluice::parquet {

// Appends `values` to `out`: blocks of 128 values, 4 miniblocks of 32.
void delta_encode(std::span<const std::int64_t> values, std::string& out);

// Reads exactly out.size() values from `data` (any block and miniblock
// size the format allows); throws thrift::DecodeError when `data` ends
// first or its header is not the format's. Returns the bytes read.
std::size_t delta_decode(std::span<const std::uint8_t> data, std::span<std::int64_t> out);

}  // namespace sluice::parquet
