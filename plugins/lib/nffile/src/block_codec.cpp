#include "block_codec.h"

#include <lz4.h>

#include "layout.h"

namespace sluice::nffile {

void lz4_compress(std::span<const std::byte> payload, std::vector<std::byte>& out) {
  out.resize(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(payload.size()))));
  const int n = LZ4_compress_default(reinterpret_cast<const char*>(payload.data()), reinterpret_cast<char*>(out.data()),
                                     static_cast<int>(payload.size()), static_cast<int>(out.size()));
  out.resize(static_cast<std::size_t>(n));  // never 0: the bound always fits
}

bool lz4_decompress(std::span<const std::byte> stored, std::vector<std::byte>& out) {
  out.resize(layout::max_block_payload);
  const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(stored.data()), reinterpret_cast<char*>(out.data()),
                                    static_cast<int>(stored.size()), static_cast<int>(out.size()));
  if (n < 0) return false;
  out.resize(static_cast<std::size_t>(n));
  return true;
}

}  // namespace sluice::nffile
