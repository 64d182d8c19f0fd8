// The numbers of Parquet's format (parquet.thrift) that sluice writes and
// reads, and the codecs it compresses pages with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice::parquet {

inline constexpr std::string_view magic = "PAR1";

enum class PhysicalType : std::int32_t { int32 = 1, int64 = 2, byte_array = 6, fixed_len_byte_array = 7 };
enum class Repetition : std::int32_t { required = 0, optional = 1 };
enum class Encoding : std::int32_t {
  plain = 0,
  plain_dictionary = 2,
  rle = 3,
  delta_binary_packed = 5,
  rle_dictionary = 8
};
enum class PageType : std::int32_t { data = 0, dictionary = 2, data_v2 = 3 };
enum class ConvertedType : std::int32_t { utf8 = 0, timestamp_millis = 9 };

// Page compression, with Parquet's codec numbers.
enum class Codec : std::int32_t { none = 0, snappy = 1, gzip = 2, zstd = 6 };
std::optional<Codec> parse_codec(std::string_view name) noexcept;  // "none", "snappy", "gzip", "zstd"
std::string_view codec_name(Codec codec) noexcept;

// Compresses pages with one codec; keeps its context from page to page.
class Compressor {
 public:
  Compressor(Codec codec, int level);  // level: zstd's 1..22 or gzip's 1..9; snappy has none
  Compressor(Compressor&&) noexcept;
  Compressor& operator=(Compressor&&) noexcept;
  ~Compressor();

  // Appends `data` compressed to `out`.
  void compress(std::string_view data, std::string& out);
  Codec codec() const noexcept { return codec_; }

 private:
  Codec codec_;
  int level_;
  struct Zstd;
  Zstd* zstd_ = nullptr;  // owned: the zstd context, reused for every page
};

// Decompresses a page of `codec` into exactly `out`; throws
// thrift::DecodeError when it does not fill it.
void decompress(Codec codec, std::string_view data, std::span<char> out);

}  // namespace sluice::parquet
