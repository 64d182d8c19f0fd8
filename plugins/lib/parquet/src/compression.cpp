#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <utility>

#include "sluice/parquet/format.h"
#include "sluice/parquet/thrift.h"

namespace sluice::parquet {

std::optional<Codec> parse_codec(std::string_view name) noexcept {
  for (const Codec codec : {Codec::none, Codec::snappy, Codec::gzip, Codec::zstd})
    if (codec_name(codec) == name) return codec;
  return std::nullopt;
}

std::string_view codec_name(Codec codec) noexcept {
  switch (codec) {
    case Codec::none: return "none";
    case Codec::snappy: return "snappy";
    case Codec::gzip: return "gzip";
    case Codec::zstd: return "zstd";
  }
  return "unknown";
}

struct Compressor::Zstd {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ~Zstd() { ZSTD_freeCCtx(context); }
};

Compressor::Compressor(Codec codec, int level) : codec_(codec), level_(level) {
  if (codec == Codec::zstd) zstd_ = new Zstd;
}

Compressor::Compressor(Compressor&& other) noexcept
    : codec_(other.codec_), level_(other.level_), zstd_(std::exchange(other.zstd_, nullptr)) {}

Compressor& Compressor::operator=(Compressor&& other) noexcept {
  std::swap(codec_, other.codec_);
  std::swap(level_, other.level_);
  std::swap(zstd_, other.zstd_);
  return *this;
}

Compressor::~Compressor() { delete zstd_; }

namespace {

// Parquet's GZIP is the gzip format (RFC 1952), not a bare zlib stream.
constexpr int gzip_window_bits = 15 + 16;

void gzip(std::string_view data, std::string& out, int level) {
  z_stream stream{};
  if (deflateInit2(&stream, level, Z_DEFLATED, gzip_window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: cannot start a compressor");
  const std::size_t start = out.size();
  out.resize(start + deflateBound(&stream, static_cast<uLong>(data.size())) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data() + start);
  stream.avail_out = static_cast<uInt>(out.size() - start);
  const int result = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) throw std::runtime_error("gzip: compression failed");
  out.resize(start + stream.total_out);
}

void gunzip(std::string_view data, std::span<char> out) {
  z_stream stream{};
  if (inflateInit2(&stream, gzip_window_bits) != Z_OK) throw std::runtime_error("gzip: cannot start a decompressor");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = inflate(&stream, Z_FINISH);
  inflateEnd(&stream);
  if (result != Z_STREAM_END || stream.total_out != out.size())
    throw thrift::DecodeError("gzip: page does not decompress to its stated size");
}

}  // namespace

void Compressor::compress(std::string_view data, std::string& out) {
  const std::size_t start = out.size();
  switch (codec_) {
    case Codec::none: out.append(data); return;
    case Codec::snappy: {
      std::size_t size = snappy_max_compressed_length(data.size());
      out.resize(start + size);
      if (snappy_compress(data.data(), data.size(), out.data() + start, &size) != SNAPPY_OK)
        throw std::runtime_error("snappy: compression failed");
      out.resize(start + size);
      return;
    }
    case Codec::gzip: gzip(data, out, level_); return;
    case Codec::zstd: {
      out.resize(start + ZSTD_compressBound(data.size()));
      const std::size_t size =
          ZSTD_compressCCtx(zstd_->context, out.data() + start, out.size() - start, data.data(), data.size(), level_);
      if (ZSTD_isError(size)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(size));
      out.resize(start + size);
      return;
    }
  }
}

void decompress(Codec codec, std::string_view data, std::span<char> out) {
  switch (codec) {
    case Codec::none:
      if (data.size() != out.size()) throw thrift::DecodeError("page sizes differ without compression");
      std::copy(data.begin(), data.end(), out.begin());
      return;
    case Codec::snappy: {
      std::size_t size = out.size();
      if (snappy_uncompress(data.data(), data.size(), out.data(), &size) != SNAPPY_OK || size != out.size())
        throw thrift::DecodeError("snappy: page does not decompress to its stated size");
      return;
    }
    case Codec::gzip: gunzip(data, out); return;
    case Codec::zstd: {
      const std::size_t size = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
      if (ZSTD_isError(size) || size != out.size())
        throw thrift::DecodeError("zstd: page does not decompress to its stated size");
      return;
    }
  }
  throw thrift::DecodeError("unsupported compression codec " + std::to_string(static_cast<int>(codec)));
}

}  // namespace sluice::parquet
