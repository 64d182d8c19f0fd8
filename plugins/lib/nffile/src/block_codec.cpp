#include "block_codec.h"

#include <bzlib.h>
#include <lz4.h>
#include <lzo/lzo1x.h>

#include <stdexcept>

namespace sluice::nffile {
namespace {

template <typename T>
T* as(std::byte* p) {
  return reinterpret_cast<T*>(p);
}
template <typename T>
const T* as(const std::byte* p) {
  return reinterpret_cast<const T*>(p);
}

// bzip2 as nfcapd -j writes it: 900 kB blocks, the default work factor.
constexpr int bz2_block_size_100k = 9;

// The largest output of each compressor for `n` bytes of input (from their
// documentation: lzo1x.h's FAQ, bzlib's manual).
std::size_t lzo_bound(std::size_t n) { return n + n / 16 + 64 + 3; }
std::size_t bz2_bound(std::size_t n) { return n + n / 100 + 600; }

}  // namespace

BlockCodec::BlockCodec(Compression method) : method_(method) {
  if (method_ == Compression::none) throw std::logic_error("BlockCodec: no compression to do");
  if (method_ == Compression::lzo) {
    static const bool lzo_ready = lzo_init() == LZO_E_OK;  // checks the library's build against its headers
    if (!lzo_ready) throw std::runtime_error("the LZO library failed its self-check (lzo_init)");
    lzo_work_.resize(LZO1X_1_MEM_COMPRESS);
  }
}

void BlockCodec::compress(std::span<const std::byte> payload, std::vector<std::byte>& out) {
  switch (method_) {
    case Compression::lz4: {
      out.resize(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(payload.size()))));
      const int n = LZ4_compress_default(as<char>(payload.data()), as<char>(out.data()),
                                         static_cast<int>(payload.size()), static_cast<int>(out.size()));
      out.resize(static_cast<std::size_t>(n));  // never 0: the bound always fits
    } break;
    case Compression::lzo: {
      out.resize(lzo_bound(payload.size()));
      lzo_uint n = out.size();
      // Cannot fail: the output holds the worst case.
      lzo1x_1_compress(as<unsigned char>(payload.data()), payload.size(), as<unsigned char>(out.data()), &n,
                       lzo_work_.data());
      out.resize(n);
    } break;
    case Compression::bz2: {
      out.resize(bz2_bound(payload.size()));
      unsigned int n = static_cast<unsigned int>(out.size());
      const int result = BZ2_bzBuffToBuffCompress(as<char>(out.data()), &n, const_cast<char*>(as<char>(payload.data())),
                                                  static_cast<unsigned int>(payload.size()), bz2_block_size_100k, 0, 0);
      if (result == BZ_MEM_ERROR) throw std::bad_alloc();
      out.resize(n);  // any other failure is impossible with the bound's room
    } break;
    case Compression::none: break;
  }
}

std::optional<std::size_t> BlockCodec::expand(std::span<const std::byte> stored, std::span<std::byte> out) {
  switch (method_) {
    case Compression::lz4: {
      const int n = LZ4_decompress_safe(as<char>(stored.data()), as<char>(out.data()), static_cast<int>(stored.size()),
                                        static_cast<int>(out.size()));
      if (n < 0) return std::nullopt;
      return static_cast<std::size_t>(n);
    }
    case Compression::lzo: {
      lzo_uint n = out.size();
      if (lzo1x_decompress_safe(as<unsigned char>(stored.data()), stored.size(), as<unsigned char>(out.data()), &n,
                                nullptr) != LZO_E_OK)
        return std::nullopt;
      return n;
    }
    case Compression::bz2: {
      unsigned int n = static_cast<unsigned int>(out.size());
      const int result =
          BZ2_bzBuffToBuffDecompress(as<char>(out.data()), &n, const_cast<char*>(as<char>(stored.data())),
                                     static_cast<unsigned int>(stored.size()), 0, 0);
      if (result == BZ_MEM_ERROR) throw std::bad_alloc();
      if (result != BZ_OK) return std::nullopt;
      return n;
    }
    case Compression::none: break;
  }
  return std::nullopt;
}

}  // namespace sluice::nffile
