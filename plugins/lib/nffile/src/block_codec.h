// Compression of a block's payload, as nfdump 1.7 does it: the payload alone
// as one LZ4 block, one LZO1X-1 block or one bzip2 stream (level 9), with no
// framing of its own; the block header says how many bytes are stored.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "sluice/nffile/file.h"

namespace sluice::nffile {

class BlockCodec {
 public:
  explicit BlockCodec(Compression method);  // a compressing method: not Compression::none

  // Replaces the contents of `out` with the compressed payload.
  void compress(std::span<const std::byte> payload, std::vector<std::byte>& out);

  // Expands a block into `out`, which has room for the largest payload nfdump
  // allows (5 MiB); returns the payload's size, or nothing for corrupt data.
  // Nothing of `out` past the payload is written.
  std::optional<std::size_t> expand(std::span<const std::byte> stored, std::span<std::byte> out);

 private:
  Compression method_;
  std::vector<std::byte> lzo_work_;  // the LZO1X-1 compressor's dictionary
};

}  // namespace sluice::nffile
