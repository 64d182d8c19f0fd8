#include "sluice/parquet/writer.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

#include "sluice/csv/text.h"
#include "sluice/file_output/file.h"
#include "sluice/parquet/rle.h"
#include "sluice/parquet/thrift.h"

namespace sluice::parquet {

static_assert(std::endian::native == std::endian::little, "PLAIN values are copied as the machine holds them");

struct RowGroupRows::Values {
  Column column;
  std::vector<std::int64_t> int64s;  // timestamp, duration, int64
  std::vector<std::int32_t> int32s;
  std::vector<IpAddress> addresses;
  std::vector<MacAddress> macs;
  std::vector<std::uint32_t> ids;  // country: its two letters; text: its TextId
};

namespace {

// The field of width sizeof(T) at `offset` of each flow, as Out.
template <class T, class Out>
void gather(std::span<const FlowRecord> flows, std::size_t offset, std::vector<Out>& out) {
  for (const FlowRecord& flow : flows) {
    T value;
    std::memcpy(&value, reinterpret_cast<const char*>(&flow) + offset, sizeof value);
    out.push_back(static_cast<Out>(value));
  }
}

template <class Out>
void gather_integers(std::span<const FlowRecord> flows, const FieldInfo& field, std::vector<Out>& out) {
  switch (field.width) {
    case 1: gather<std::uint8_t>(flows, field.offset, out); return;
    case 2: gather<std::uint16_t>(flows, field.offset, out); return;
    case 4: gather<std::uint32_t>(flows, field.offset, out); return;
    default: gather<std::uint64_t>(flows, field.offset, out); return;
  }
}

}  // namespace

RowGroupRows::RowGroupRows(const WriterOptions& options) : row_group_rows_(options.row_group_rows) {
  for (const Field field : options.fields) {
    columns_.push_back(std::make_unique<Values>());
    columns_.back()->column = column_of(field);
  }
}

RowGroupRows::RowGroupRows(RowGroupRows&&) noexcept = default;
RowGroupRows& RowGroupRows::operator=(RowGroupRows&&) noexcept = default;
RowGroupRows::~RowGroupRows() = default;

void RowGroupRows::append(std::span<const FlowRecord> flows) {
  if (rows_ == 0) reserve(flows.size());
  for (auto& values : columns_) {
    const FieldInfo& field = *values->column.field;
    switch (values->column.kind) {
      case ColumnKind::timestamp:
      case ColumnKind::int64:
        if (field.kind == FieldKind::duration) {
          for (const FlowRecord& flow : flows) values->int64s.push_back(static_cast<std::int64_t>(flow.duration_ms()));
          break;
        }
        gather_integers(flows, field, values->int64s);
        break;
      case ColumnKind::int32: gather_integers(flows, field, values->int32s); break;
      case ColumnKind::address: gather<IpAddress>(flows, field.offset, values->addresses); break;
      case ColumnKind::mac: gather<MacAddress>(flows, field.offset, values->macs); break;
      case ColumnKind::country: gather<std::uint16_t>(flows, field.offset, values->ids); break;
      case ColumnKind::text: gather<std::uint32_t>(flows, field.offset, values->ids); break;
    }
  }
  rows_ += flows.size();
}

// A row group's columns grow without copying: room for a whole row group
// once a file has filled one, else for as many rows as the first batch
// times 64 (a window of a few flows takes little memory).
void RowGroupRows::reserve(std::size_t first_batch) {
  const std::size_t rows = std::min(row_group_rows_, std::max(first_batch * 64, std::size_t{1} << 16));
  for (auto& values : columns_) {
    switch (values->column.kind) {
      case ColumnKind::timestamp:
      case ColumnKind::int64: values->int64s.reserve(rows); break;
      case ColumnKind::int32: values->int32s.reserve(rows); break;
      case ColumnKind::address: values->addresses.reserve(rows); break;
      case ColumnKind::mac: values->macs.reserve(rows); break;
      case ColumnKind::country:
      case ColumnKind::text: values->ids.reserve(rows); break;
    }
  }
}

void RowGroupRows::clear() {
  for (auto& values : columns_) {
    values->int64s.clear();
    values->int32s.clear();
    values->addresses.clear();
    values->macs.clear();
    values->ids.clear();
  }
  rows_ = 0;
}

namespace {

// Distinct values in the order first seen, found again by an open-addressing
// hash table of their indices.
template <class Key>
class Dictionary {
 public:
  // The index of `key`, added when new.
  std::uint32_t index_of(const Key& key) {
    std::size_t slot = hash(key) & mask_;
    while (true) {
      const std::uint32_t entry = slots_[slot];
      if (entry == 0) break;
      if (same(keys_[entry - 1], key)) return entry - 1;
      slot = (slot + 1) & mask_;
    }
    const auto index = static_cast<std::uint32_t>(keys_.size());
    keys_.push_back(key);
    slots_[slot] = index + 1;
    if (keys_.size() * 2 > slots_.size()) grow();
    return index;
  }

  const std::vector<Key>& keys() const noexcept { return keys_; }

 private:
  // Addresses compare as two words, not with a memcmp call.
  static bool same(const Key& a, const Key& b) noexcept {
    if constexpr (std::is_same_v<Key, IpAddress>) {
      std::uint64_t x[2], y[2];
      std::memcpy(x, a.bytes.data(), 16);
      std::memcpy(y, b.bytes.data(), 16);
      return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
    } else {
      return a == b;
    }
  }

  static std::size_t hash(const Key& key) noexcept {
    constexpr std::uint64_t multiplier = 0x9e3779b97f4a7c15ULL;
    if constexpr (std::is_integral_v<Key>) {
      return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * multiplier) >> 20);
    } else {
      std::uint64_t words[2] = {};
      std::memcpy(words, &key, std::min(sizeof key, sizeof words));
      return static_cast<std::size_t>(((words[0] * multiplier) ^ (words[1] * 0xc2b2ae3d27d4eb4fULL)) >> 20);
    }
  }

  void grow() {
    slots_.assign(slots_.size() * 2, 0);
    mask_ = slots_.size() - 1;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      std::size_t slot = hash(keys_[i]) & mask_;
      while (slots_[slot] != 0) slot = (slot + 1) & mask_;
      slots_[slot] = static_cast<std::uint32_t>(i + 1);
    }
  }

  std::vector<Key> keys_;
  std::vector<std::uint32_t> slots_ = std::vector<std::uint32_t>(1024, 0);
  std::size_t mask_ = 1023;
};

template <class T>
std::string plain_bytes(T value) {
  return {reinterpret_cast<const char*>(&value), sizeof value};
}

// Pages of one column chunk, appended to the row group's bytes.
class ChunkWriter {
 public:
  ChunkWriter(std::string& out, Compressor& compressor, ChunkMetadata& metadata, std::int64_t chunk_start)
      : out_(out), compressor_(compressor), metadata_(metadata), chunk_start_(chunk_start) {}

  void dictionary_page(std::string_view plain, std::size_t entries) {
    metadata_.dictionary_page_offset = static_cast<std::int64_t>(out_.size());
    page(
        plain,
        [&](thrift::Encoder& header) {
          header.begin_struct(7);  // dictionary_page_header
          header.i32(1, static_cast<std::int32_t>(entries));
          header.i32(2, static_cast<std::int32_t>(Encoding::plain));
          header.end_struct();
        },
        PageType::dictionary);
  }

  void data_page(std::string_view body, std::size_t values, Encoding encoding) {
    if (metadata_.data_page_offset < chunk_start_) metadata_.data_page_offset = static_cast<std::int64_t>(out_.size());
    page(
        body,
        [&](thrift::Encoder& header) {
          header.begin_struct(5);  // data_page_header
          header.i32(1, static_cast<std::int32_t>(values));
          header.i32(2, static_cast<std::int32_t>(encoding));
          header.i32(3, static_cast<std::int32_t>(Encoding::rle));
          header.i32(4, static_cast<std::int32_t>(Encoding::rle));
          header.end_struct();
        },
        PageType::data);
  }

 private:
  template <class Header>
  void page(std::string_view body, Header&& type_header, PageType type) {
    compressed_.clear();
    compressor_.compress(body, compressed_);
    thrift::Encoder header;
    header.i32(1, static_cast<std::int32_t>(type));
    header.i32(2, static_cast<std::int32_t>(body.size()));
    header.i32(3, static_cast<std::int32_t>(compressed_.size()));
    type_header(header);
    header.end_struct();
    out_ += header.bytes();
    out_ += compressed_;
    metadata_.uncompressed_bytes += static_cast<std::int64_t>(header.bytes().size() + body.size());
    metadata_.compressed_bytes += static_cast<std::int64_t>(header.bytes().size() + compressed_.size());
  }

  std::string& out_;
  Compressor& compressor_;
  ChunkMetadata& metadata_;
  std::int64_t chunk_start_;
  std::string compressed_;
};

// Writes `rows` rows as data pages of `rows_per_page`: definition levels
// first where the column can be null (`defined` holds one level a row; empty
// for a required column), then put_values(from, to, body) appends the
// values of the non-null rows [from, to) of the page.
template <class PutValues>
void write_pages(ChunkWriter& chunk, std::size_t rows, std::span<const std::uint32_t> defined,
                 std::size_t rows_per_page, Encoding encoding, PutValues&& put_values) {
  std::string body;
  std::size_t value = 0;
  for (std::size_t from = 0; from < rows; from += rows_per_page) {
    const std::size_t to = std::min(rows, from + rows_per_page);
    body.clear();
    std::size_t values = to - from;
    if (!defined.empty()) {
      body.append(4, '\0');
      const auto levels = defined.subspan(from, to - from);
      rle_encode(levels, 1, body);
      const auto length = static_cast<std::uint32_t>(body.size() - 4);
      std::memcpy(body.data(), &length, 4);
      values = static_cast<std::size_t>(std::count(levels.begin(), levels.end(), 1U));
    }
    put_values(value, value + values, body);
    value += values;
    chunk.data_page(body, to - from, encoding);
  }
}

// Indices of a dictionary of `entries`, page after page: each page starts
// with the bit width.
void write_index_pages(ChunkWriter& chunk, std::size_t rows, std::span<const std::uint32_t> defined,
                       std::span<const std::uint32_t> indices, std::size_t entries, const WriterOptions& options) {
  const int width = bit_width(static_cast<std::uint32_t>(entries == 0 ? 0 : entries - 1));
  const std::size_t bits_a_row = static_cast<std::size_t>(width) + (defined.empty() ? 0 : 1);
  const std::size_t rows_per_page =
      std::max<std::size_t>(1024, options.page_bytes * 8 / std::max<std::size_t>(1, bits_a_row));
  write_pages(chunk, rows, defined, rows_per_page, Encoding::rle_dictionary,
              [&](std::size_t from, std::size_t to, std::string& body) {
                body.push_back(static_cast<char>(width));
                rle_encode(indices.subspan(from, to - from), width, body);
              });
}

template <class T>
void encode_integers(std::span<const T> values, ChunkWriter& chunk, ChunkMetadata& metadata,
                     const WriterOptions& options) {
  if (!values.empty()) {
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    metadata.min_value = plain_bytes(*lo);
    metadata.max_value = plain_bytes(*hi);
    metadata.has_min_max = true;
  }
  // A dictionary where it stays small and its indices take less room than
  // the values; a run of equal values is looked up once.
  const std::size_t max_entries = options.dictionary_bytes / sizeof(T);
  Dictionary<T> dictionary;
  std::vector<std::uint32_t> indices;
  indices.reserve(values.size());
  std::uint32_t index = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i == 0 || values[i] != values[i - 1]) index = dictionary.index_of(values[i]);
    indices.push_back(index);
    if (dictionary.keys().size() > max_entries) break;
  }
  const std::size_t entries = dictionary.keys().size();
  const std::size_t index_bytes =
      values.size() * static_cast<std::size_t>(bit_width(static_cast<std::uint32_t>(entries))) / 8;
  if (entries <= max_entries && entries * sizeof(T) + index_bytes < values.size() * sizeof(T)) {
    const auto& keys = dictionary.keys();
    chunk.dictionary_page({reinterpret_cast<const char*>(keys.data()), keys.size() * sizeof(T)}, keys.size());
    write_index_pages(chunk, values.size(), {}, indices, entries, options);
    metadata.encodings = {Encoding::plain, Encoding::rle, Encoding::rle_dictionary};
    return;
  }
  write_pages(chunk, values.size(), {}, std::max<std::size_t>(1, options.page_bytes / sizeof(T)), Encoding::plain,
              [&](std::size_t from, std::size_t to, std::string& body) {
                body.append(reinterpret_cast<const char*>(values.data() + from), (to - from) * sizeof(T));
              });
  metadata.encodings = {Encoding::plain};
}

// The text or bytes of a value of a nullable column, written into `room`
// (64 bytes) where it is not kept elsewhere. An unset address or MAC is
// null, as csv_writer leaves it empty.
struct AddressText {
  static bool is_null(const IpAddress& a) noexcept { return a.is_unspecified(); }
  std::string_view value(const IpAddress& a, char* room) const noexcept {
    return {room, static_cast<std::size_t>(csv::text::put_address(room, a) - room)};
  }
  static constexpr bool fixed = false;
};
struct AddressBytes {
  static bool is_null(const IpAddress& a) noexcept { return a.is_unspecified(); }
  std::string_view value(const IpAddress& a, char* room) const noexcept {
    std::memcpy(room, a.bytes.data(), 16);
    return {room, 16};
  }
  static constexpr bool fixed = true;
};
struct MacText {
  static bool is_null(const MacAddress& m) noexcept { return m.is_unspecified(); }
  std::string_view value(const MacAddress& m, char* room) const noexcept {
    return {room, static_cast<std::size_t>(csv::text::put_mac(room, m) - room)};
  }
  static constexpr bool fixed = false;
};
struct CountryText {
  static bool is_null(std::uint32_t letters) noexcept { return letters == 0; }
  std::string_view value(std::uint32_t letters, char* room) const noexcept {
    room[0] = static_cast<char>(letters & 0xff);
    room[1] = static_cast<char>(letters >> 8);
    return {room, 2};
  }
  static constexpr bool fixed = false;
};
struct TextOfId {
  const TextTable* texts;
  bool is_null(TextId id) const noexcept { return id == 0 || texts == nullptr; }
  std::string_view value(TextId id, char*) const noexcept { return texts->text(id); }
  static constexpr bool fixed = false;
};

// PLAIN: a byte array's length, then its bytes; a fixed-length one's bytes.
template <class Traits>
void put_plain(std::string_view value, std::string& out) {
  if constexpr (!Traits::fixed) {
    const auto size = static_cast<std::uint32_t>(value.size());
    out.append(reinterpret_cast<const char*>(&size), 4);
  }
  out.append(value);
}

// Byte arrays compare as unsigned bytes (their TYPE_ORDER).
void widen(ChunkMetadata& metadata, std::string_view value) {
  if (!metadata.has_min_max) {
    metadata.min_value = metadata.max_value = value;
    metadata.has_min_max = true;
    return;
  }
  if (value < metadata.min_value) metadata.min_value = value;
  if (value > metadata.max_value) metadata.max_value = value;
}

template <class Traits, class Key>
void encode_nullable(std::span<const Key> keys, const Traits& traits, ChunkWriter& chunk, ChunkMetadata& metadata,
                     const WriterOptions& options) {
  std::vector<std::uint32_t> defined(keys.size());
  std::vector<Key> present;
  present.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    defined[i] = traits.is_null(keys[i]) ? 0 : 1;
    if (defined[i] != 0) present.push_back(keys[i]);
  }
  metadata.null_count = static_cast<std::int64_t>(keys.size() - present.size());

  char room[64];
  Dictionary<Key> dictionary;
  std::string plain_dictionary;
  std::vector<std::uint32_t> indices;
  indices.reserve(present.size());
  for (const Key& key : present) {
    const std::size_t before = dictionary.keys().size();
    indices.push_back(dictionary.index_of(key));
    if (dictionary.keys().size() == before) continue;
    const auto value = traits.value(key, room);
    widen(metadata, value);
    put_plain<Traits>(value, plain_dictionary);
    if (plain_dictionary.size() > options.dictionary_bytes) break;
  }
  if (plain_dictionary.size() <= options.dictionary_bytes) {
    chunk.dictionary_page(plain_dictionary, dictionary.keys().size());
    write_index_pages(chunk, keys.size(), defined, indices, dictionary.keys().size(), options);
    metadata.encodings = {Encoding::plain, Encoding::rle, Encoding::rle_dictionary};
    return;
  }
  metadata.has_min_max = false;
  for (const Key& key : present) widen(metadata, traits.value(key, room));
  constexpr std::size_t typical_value_bytes = 20;
  write_pages(chunk, keys.size(), defined, std::max<std::size_t>(1, options.page_bytes / typical_value_bytes),
              Encoding::plain, [&](std::size_t from, std::size_t to, std::string& body) {
                for (std::size_t i = from; i < to; ++i) put_plain<Traits>(traits.value(present[i], room), body);
              });
  metadata.encodings = {Encoding::plain, Encoding::rle};
}

}  // namespace

void encode_row_group(const RowGroupRows& rows, const WriterOptions& options, Compressor& compressor,
                      EncodedRowGroup& group) {
  group.bytes.clear();
  group.chunks.clear();
  group.rows = static_cast<std::int64_t>(rows.rows());
  for (std::size_t i = 0; i < options.fields.size(); ++i) {
    const auto& values = rows.column(i);
    ChunkMetadata& metadata = group.chunks.emplace_back();
    metadata.values = group.rows;
    const auto start = static_cast<std::int64_t>(group.bytes.size());
    metadata.data_page_offset = start - 1;  // set by the first data page
    ChunkWriter chunk(group.bytes, compressor, metadata, start);
    switch (values.column.kind) {
      case ColumnKind::timestamp:
      case ColumnKind::int64:
        encode_integers(std::span<const std::int64_t>(values.int64s), chunk, metadata, options);
        break;
      case ColumnKind::int32:
        encode_integers(std::span<const std::int32_t>(values.int32s), chunk, metadata, options);
        break;
      case ColumnKind::address:
        if (options.address_type == AddressType::binary)
          encode_nullable(std::span<const IpAddress>(values.addresses), AddressBytes{}, chunk, metadata, options);
        else
          encode_nullable(std::span<const IpAddress>(values.addresses), AddressText{}, chunk, metadata, options);
        break;
      case ColumnKind::mac:
        encode_nullable(std::span<const MacAddress>(values.macs), MacText{}, chunk, metadata, options);
        break;
      case ColumnKind::country:
        encode_nullable(std::span<const std::uint32_t>(values.ids), CountryText{}, chunk, metadata, options);
        break;
      case ColumnKind::text:
        encode_nullable(std::span<const std::uint32_t>(values.ids), TextOfId{options.texts}, chunk, metadata, options);
        break;
    }
  }
}

Writer::Writer(WriterOptions options)
    : options_(std::move(options)), compressor_(options_.codec, options_.level), rows_(options_) {}

void Writer::open(const std::filesystem::path& path) {
  file_ = std::make_unique<file_output::File>(path, file_output::File::Mode::create);
  file_->append(magic.data(), magic.size());
  offset_ = static_cast<std::int64_t>(magic.size());
  row_groups_.clear();
  rows_.clear();
}

Writer::~Writer() = default;

void Writer::write(std::span<const FlowRecord> flows) {
  while (!flows.empty()) {
    const std::size_t n = std::min(flows.size(), options_.row_group_rows - rows_.rows());
    rows_.append(flows.first(n));
    flows = flows.subspan(n);
    if (rows_.rows() == options_.row_group_rows) end_row_group();
  }
}

void Writer::end_row_group() {
  if (rows_.rows() == 0) return;
  encode_row_group(rows_, options_, compressor_, encoded_);
  append(encoded_);
  rows_.clear();
}

void Writer::append(const EncodedRowGroup& encoded) {
  file_->append(encoded.bytes.data(), encoded.bytes.size());
  row_groups_.push_back({encoded.chunks, encoded.rows, offset_});
  offset_ += static_cast<std::int64_t>(encoded.bytes.size());
}

void Writer::close() {
  end_row_group();
  std::string tail = footer();
  const auto size = static_cast<std::uint32_t>(tail.size());
  tail.append(reinterpret_cast<const char*>(&size), 4);
  tail.append(magic);
  file_->append(tail.data(), tail.size());
  file_->close();
  file_.reset();
}

namespace {

void schema_element(thrift::Encoder& out, Column column, AddressType address_type) {
  const ColumnType type = column_type(column.kind, address_type);
  out.begin_element_struct();
  out.i32(1, static_cast<std::int32_t>(type.physical));
  if (type.type_length != 0) out.i32(2, type.type_length);
  out.i32(3, static_cast<std::int32_t>(type.repetition));
  out.binary(4, column.field->name);
  const bool text = type.physical == PhysicalType::byte_array;
  if (column.kind == ColumnKind::timestamp) {
    out.i32(6, static_cast<std::int32_t>(ConvertedType::timestamp_millis));
    out.begin_struct(10);  // logicalType
    out.begin_struct(8);   // TIMESTAMP
    out.boolean(1, true);  // isAdjustedToUTC
    out.begin_struct(2);   // unit
    out.empty_struct(1);   // MILLIS
    out.end_struct();
    out.end_struct();
    out.end_struct();
  } else if (text) {
    out.i32(6, static_cast<std::int32_t>(ConvertedType::utf8));
    out.begin_struct(10);
    out.empty_struct(1);  // STRING
    out.end_struct();
  }
  out.end_struct();
}

void column_chunk(thrift::Encoder& out, Column column, const ChunkMetadata& chunk, std::int64_t base,
                  const WriterOptions& options) {
  const std::int64_t start =
      base + (chunk.dictionary_page_offset >= 0 ? chunk.dictionary_page_offset : chunk.data_page_offset);
  out.begin_element_struct();
  out.i64(2, start);  // file_offset
  out.begin_struct(3);
  out.i32(1, static_cast<std::int32_t>(column_type(column.kind, options.address_type).physical));
  out.begin_list(2, thrift::Type::i32, chunk.encodings.size());
  for (const Encoding encoding : chunk.encodings) out.element_i32(static_cast<std::int32_t>(encoding));
  out.begin_list(3, thrift::Type::binary, 1);
  out.element_binary(column.field->name);
  out.i32(4, static_cast<std::int32_t>(options.codec));
  out.i64(5, chunk.values);
  out.i64(6, chunk.uncompressed_bytes);
  out.i64(7, chunk.compressed_bytes);
  out.i64(9, base + chunk.data_page_offset);
  if (chunk.dictionary_page_offset >= 0) out.i64(11, base + chunk.dictionary_page_offset);
  out.begin_struct(12);  // statistics
  out.i64(3, chunk.null_count);
  if (chunk.has_min_max) {
    out.binary(5, chunk.max_value);
    out.binary(6, chunk.min_value);
  }
  out.end_struct();
  out.end_struct();
  out.end_struct();
}

}  // namespace

std::string Writer::footer() const {
  thrift::Encoder out;
  out.i32(1, 1);  // version
  out.begin_list(2, thrift::Type::struct_, options_.fields.size() + 1);
  out.begin_element_struct();
  out.binary(4, "schema");
  out.i32(5, static_cast<std::int32_t>(options_.fields.size()));
  out.end_struct();
  for (const Field field : options_.fields) schema_element(out, column_of(field), options_.address_type);
  std::int64_t rows = 0;
  for (const auto& group : row_groups_) rows += group.rows;
  out.i64(3, rows);
  out.begin_list(4, thrift::Type::struct_, row_groups_.size());
  for (const auto& group : row_groups_) {
    out.begin_element_struct();
    out.begin_list(1, thrift::Type::struct_, options_.fields.size());
    std::int64_t uncompressed = 0, compressed = 0;
    for (std::size_t i = 0; i < options_.fields.size(); ++i) {
      const ChunkMetadata& chunk = group.chunks[i];
      column_chunk(out, column_of(options_.fields[i]), chunk, group.offset, options_);
      uncompressed += chunk.uncompressed_bytes;
      compressed += chunk.compressed_bytes;
    }
    out.i64(2, uncompressed);
    out.i64(3, group.rows);
    out.i64(5, group.offset);
    out.i64(6, compressed);
    out.end_struct();
  }
  out.binary(6, "sluice");
  out.begin_list(7, thrift::Type::struct_, options_.fields.size());
  for (std::size_t i = 0; i < options_.fields.size(); ++i) {
    out.begin_element_struct();
    out.empty_struct(1);  // TYPE_ORDER: min_value and max_value follow the type's order
    out.end_struct();
  }
  out.end_struct();
  return std::move(out.bytes());
}

}  // namespace sluice::parquet
