#include "sluice/clickhouse_http/gzip.h"

#include <zlib.h>

#include <stdexcept>

namespace sluice::clickhouse_http {

struct Deflater::Stream {
  z_stream z{};
};

Deflater::Deflater(int level) : stream_(std::make_unique<Stream>()) {
  // windowBits -15: raw deflate data, the frame is GzipMember's.
  if (deflateInit2(&stream_->z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
}

Deflater::~Deflater() { deflateEnd(&stream_->z); }

std::uint32_t Deflater::deflate(std::span<const std::byte> in, ByteBuffer& out) {
  z_stream& z = stream_->z;
  deflateReset(&z);  // no match reaches into another piece: each decodes after any other
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  // Z_SYNC_FLUSH ends the data on a byte boundary without a last block.
  for (std::size_t room = deflateBound(&z, in.size()) + 16;; room = 64 << 10) {
    const std::size_t before = out.size();
    z.next_out = reinterpret_cast<Bytef*>(out.grow(room));
    z.avail_out = static_cast<uInt>(room);
    const int status = ::deflate(&z, Z_SYNC_FLUSH);
    out.resize_down(before + room - z.avail_out);
    if (status != Z_OK && status != Z_BUF_ERROR) throw std::runtime_error("zlib: deflate failed");
    if (z.avail_out != 0) break;  // all of it is out
  }
  return static_cast<std::uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(in.data()), static_cast<z_size_t>(in.size())));
}

std::span<const std::byte> GzipMember::header() noexcept {
  // ID1 ID2, deflate, no flags, no time, no extra flags, OS unknown (RFC 1952).
  static constexpr std::array<std::byte, 10> header{std::byte{0x1f}, std::byte{0x8b}, std::byte{8}, std::byte{0},
                                                    std::byte{0},    std::byte{0},    std::byte{0}, std::byte{0},
                                                    std::byte{0},    std::byte{0xff}};
  return header;
}

void GzipMember::add(std::uint32_t crc, std::uint64_t size) noexcept {
  crc_ = static_cast<std::uint32_t>(crc32_combine64(crc_, crc, static_cast<z_off64_t>(size)));
  size_ += size;
}

std::span<const std::byte> GzipMember::end() noexcept {
  end_[0] = std::byte{3};  // a last block, fixed codes, only its end code
  end_[1] = std::byte{0};
  const auto size = static_cast<std::uint32_t>(size_);  // modulo 2^32
  for (int i = 0; i < 4; ++i) {
    end_[2 + i] = static_cast<std::byte>(crc_ >> (8 * i));
    end_[6 + i] = static_cast<std::byte>(size >> (8 * i));
  }
  return end_;
}

}  // namespace sluice::clickhouse_http
