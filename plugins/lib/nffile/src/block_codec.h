// LZ4 compression of a block's payload, as nfdump does it (one LZ4 block per
// data block, no frame).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace sluice::nffile {

// Replaces the contents of `out` with the compressed payload.
void lz4_compress(std::span<const std::byte> payload, std::vector<std::byte>& out);

// Replaces the contents of `out` with the payload (at most the 5 MiB nfdump
// allows a block); false for corrupt data.
bool lz4_decompress(std::span<const std::byte> stored, std::vector<std::byte>& out);

}  // namespace sluice::nffile
