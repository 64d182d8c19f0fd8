#include "sluice/clickhouse_http/gzip.h"

#include <zlib.h>

#include <stdexcept>

namespace sluice::clickhouse_http {

struct Gzip::Stream {
  z_stream z{};
};

Gzip::Gzip(int level) : stream_(std::make_unique<Stream>()) {
  // windowBits 15 + 16: a gzip header and trailer around the deflate data.
  if (deflateInit2(&stream_->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
}

Gzip::~Gzip() { deflateEnd(&stream_->z); }

std::span<const std::byte> Gzip::compress(Body body) {
  z_stream& z = stream_->z;
  deflateReset(&z);
  std::size_t size = 0;
  for (const auto& piece : body) size += piece.size();
  out_.resize_down(0);
  std::byte* out = out_.grow(deflateBound(&z, size) + 64);  // + a margin for the pieces' flush points
  z.next_out = reinterpret_cast<Bytef*>(out);
  z.avail_out = static_cast<uInt>(out_.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(body[i].data()));
    z.avail_in = static_cast<uInt>(body[i].size());
    const int flush = i + 1 == body.size() ? Z_FINISH : Z_NO_FLUSH;
    const int status = deflate(&z, flush);
    if (status != (flush == Z_FINISH ? Z_STREAM_END : Z_OK) || z.avail_in != 0)
      throw std::runtime_error("zlib: deflate failed");
  }
  if (body.empty()) deflate(&z, Z_FINISH);
  out_.resize_down(out_.size() - z.avail_out);
  return out_.view();
}

}  // namespace sluice::clickhouse_http
