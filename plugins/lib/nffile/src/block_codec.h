// Compression of a block's payload, as nfdump 1.7 does it: the payload alone
// as one LZ4 block, one LZO1X-1 block or one bzip2 stream (level 9), with no
// framing of its own; the block header says how many bytes are stored.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "sluice/nffile/file.h"

namespace sluice::nffile {

class BlockCodec {
 public:
  explicit BlockCodec(Compression method);  // a compressing method: not Compression::none

  // Replaces the contents of `out` with the compressed payload.
  void compress(std::span<const std::byte> payload, std::vector<std::byte>& out);

  // Replaces the contents of `out` with the payload (at most the 5 MiB nfdump
  // allows a block); false for corrupt data.
  bool expand(std::span<const std::byte> stored, std::vector<std::byte>& out);

 private:
  Compression method_;
  std::vector<std::byte> lzo_work_;  // the LZO1X-1 compressor's dictionary
};

}  // namespace sluice::nffile
