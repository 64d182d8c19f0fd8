// Content-Encoding: gzip, the request compression every ClickHouse's HTTP
// interface takes (18.16 knows gzip and deflate, not zstd). A body is
// deflated in pieces, each on its own and on any thread, and joined into
// one gzip member as pigz joins its blocks: the header, each piece's raw
// deflate data (ending on a byte boundary, a sync flush, so that the next
// one can follow), an empty last block, and the trailer with the CRC-32 and
// size of everything, combined from the pieces'.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "sluice/clickhouse_http/client.h"
#include "sluice/clickhouse_http/encoder.h"

namespace sluice::clickhouse_http {

class Deflater {
 public:
  explicit Deflater(int level = 1);  // zlib's 1 (fastest) to 9
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // `in` deflated on its own, appended to `out`; returns in's CRC-32.
  std::uint32_t deflate(std::span<const std::byte> in, ByteBuffer& out);

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
};

// The frame of one gzip member around pieces deflated apart, in order.
class GzipMember {
 public:
  static std::span<const std::byte> header() noexcept;
  // The next piece: the CRC-32 and size of what it deflated.
  void add(std::uint32_t crc, std::uint64_t size) noexcept;
  // The empty last block and the trailer, for the pieces added so far.
  std::span<const std::byte> end() noexcept;

 private:
  std::uint32_t crc_ = 0;
  std::uint64_t size_ = 0;
  std::array<std::byte, 10> end_{};
};

}  // namespace sluice::clickhouse_http
