#include "sluice/parquet/writer.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "sluice/csv/text.h"
#include "sluice/file_output/file.h"
#include "sluice/parquet/delta.h"
#include "sluice/parquet/rle.h"
#include "sluice/parquet/thrift.h"

namespace sluice::parquet {

static_assert(std::endian::native == std::endian::little, "PLAIN values are copied as the machine holds them");

// One column chunk, built page by page as rows arrive; its compressed pages
// wait here until the row group ends. Kept from row group to row group and
// from file to file, buffers and all.
class ColumnEncoder {
 public:
  virtual ~ColumnEncoder() = default;
  virtual void append(std::span<const FlowRecord> flows) = 0;
  // Ends the chunk: its last page, then its dictionary page and data pages
  // into `chunk`. Ready for the next.
  virtual void finish_chunk(EncodedChunk& chunk) = 0;
  // The next chunk's pages go into `pages` (a written chunk's buffer).
  virtual void reuse(std::string&& pages) = 0;
};

namespace {

// Murmur3's finaliser: every bit of the key moves every bit of the hash
// (keys differ in their low bits, an IPv4 address in its last four bytes).
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

template <class Key>
std::uint64_t hash_of(const Key& key) noexcept {
  if constexpr (std::is_integral_v<Key>) {
    return mix(static_cast<std::uint64_t>(key));
  } else {
    std::uint64_t words[2] = {};
    std::memcpy(words, &key, std::min(sizeof key, sizeof words));
    return mix(words[0] ^ mix(words[1]));
  }
}

// Addresses compare as two words, not with a memcmp call.
template <class Key>
bool same(const Key& a, const Key& b) noexcept {
  if constexpr (std::is_same_v<Key, IpAddress>) {
    std::uint64_t x[2], y[2];
    std::memcpy(x, a.bytes.data(), 16);
    std::memcpy(y, b.bytes.data(), 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
  } else {
    return a == b;
  }
}

// Distinct values in the order first seen, as an open-addressing table whose
// slots hold the key and its index: a probe reads one place in memory.
template <class Key>
class Dictionary {
 public:
  // The index of `key`; `added` when it is new.
  std::uint32_t index_of(const Key& key, bool& added) {
    std::size_t slot = static_cast<std::size_t>(hash_of(key) >> shift_);
    for (;; slot = (slot + 1) & (slots_.size() - 1)) {
      const Slot& at = slots_[slot];
      if (at.index_plus_one == 0) break;
      if (same(at.key, key)) {
        added = false;
        return at.index_plus_one - 1;
      }
    }
    const auto index = static_cast<std::uint32_t>(size_);
    slots_[slot] = {key, index + 1};
    if (++size_ * 2 > slots_.size()) grow();
    added = true;
    return index;
  }

  std::size_t size() const noexcept { return size_; }

  void clear() {
    slots_.assign(initial_slots, Slot{});
    shift_ = 64 - std::countr_zero(initial_slots);
    size_ = 0;
  }

 private:
  struct Slot {
    Key key{};
    std::uint32_t index_plus_one = 0;  // 0: empty
  };
  static constexpr std::size_t initial_slots = 1024;

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    --shift_;
    for (const Slot& entry : old) {
      if (entry.index_plus_one == 0) continue;
      std::size_t slot = static_cast<std::size_t>(hash_of(entry.key) >> shift_);
      while (slots_[slot].index_plus_one != 0) slot = (slot + 1) & (slots_.size() - 1);
      slots_[slot] = entry;
    }
  }

  std::vector<Slot> slots_ = std::vector<Slot>(initial_slots);
  int shift_ = 64 - std::countr_zero(initial_slots);
  std::size_t size_ = 0;
};

// The same for keys below `range` (the values of 8- and 16-bit members): a
// table with a place for every key, no hashing.
template <class Key, std::size_t range>
class DenseDictionary {
 public:
  std::uint32_t index_of(const Key& key, bool& added) {
    std::uint32_t& at = indices_[static_cast<std::size_t>(key)];
    added = at == 0;
    if (added) {
      keys_.push_back(key);
      at = static_cast<std::uint32_t>(keys_.size());
    }
    return at - 1;
  }

  std::size_t size() const noexcept { return keys_.size(); }

  void clear() {
    for (const Key key : keys_) indices_[static_cast<std::size_t>(key)] = 0;
    keys_.clear();
  }

 private:
  std::vector<std::uint32_t> indices_ = std::vector<std::uint32_t>(range);  // index + 1; 0: not seen
  std::vector<Key> keys_;
};

// How the values of a column are read from a flow and written as PLAIN:
// each kind of column has a Values type with
//   Key key(flow)                  the value, as the dictionary holds it
//   bool is_null(flow)             called for nullable columns only
//   string_view plain(key, room)   its PLAIN bytes (a byte array's without
//                                  the length), in `room` (64 bytes) where
//                                  they are not kept elsewhere
//   numeric                        statistics compare keys as numbers, not bytes
//   key_range                      every key is below it (0: unbounded)
//   fixed                          a PLAIN value has no length
//   delta                          DELTA_BINARY_PACKED instead of a dictionary
// A field whose presence bit is clear is null, as the JSON encoder's null.
struct FieldValues {
  static constexpr bool delta = false;
  const FieldInfo* field;
  bool is_null(const FlowRecord& flow) const noexcept { return !is_present(flow, *field); }

  template <class Member>
  Member member(const FlowRecord& flow) const noexcept {
    Member value;
    std::memcpy(&value, reinterpret_cast<const char*>(&flow) + field->offset, sizeof value);
    return value;
  }
};

// An integer column of Parquet type T from a member of type Member (void:
// the duration, last - first).
template <class T, class Member>
struct IntegerValues : FieldValues {
  using Key = T;
  static constexpr bool numeric = true, fixed = true;
  static constexpr std::size_t key_range = [] {
    using Width = std::conditional_t<std::is_void_v<Member>, std::uint64_t, Member>;  // the duration: 64 bits
    if constexpr (sizeof(Width) <= 2)  // not a ?:, whose other side would shift by 64 (clang warns)
      return std::size_t{1} << (8 * sizeof(Width));
    else
      return std::size_t{0};
  }();
  Key key(const FlowRecord& flow) const noexcept {
    if constexpr (std::is_void_v<Member>)
      return static_cast<T>(flow.duration_ms());
    else
      return static_cast<T>(member<Member>(flow));
  }
  static std::string_view plain(const Key& key, char* room) noexcept {
    std::memcpy(room, &key, sizeof key);
    return {room, sizeof key};
  }
};

// Times arrive nearly in order: their differences take a few bits.
struct TimeValues : IntegerValues<std::int64_t, std::uint64_t> {
  static constexpr bool delta = true;
};

// An address nobody set is null too, as csv_writer leaves it empty.
struct AddressValues : FieldValues {
  using Key = IpAddress;
  static constexpr bool numeric = false;
  static constexpr std::size_t key_range = 0;
  Key key(const FlowRecord& flow) const noexcept { return member<IpAddress>(flow); }
  bool is_null(const FlowRecord& flow) const noexcept {
    return FieldValues::is_null(flow) || address_value(flow, *field).is_unspecified();
  }
};
struct AddressText : AddressValues {
  static constexpr bool fixed = false;
  static std::string_view plain(const Key& a, char* room) noexcept {
    return {room, static_cast<std::size_t>(csv::text::put_address(room, a) - room)};
  }
};
struct AddressBytes : AddressValues {
  static constexpr bool fixed = true;
  static std::string_view plain(const Key& a, char*) noexcept {
    return {reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size()};
  }
};

struct MacText : FieldValues {
  using Key = MacAddress;
  static constexpr bool numeric = false, fixed = false;
  static constexpr std::size_t key_range = 0;
  Key key(const FlowRecord& flow) const noexcept { return member<MacAddress>(flow); }
  bool is_null(const FlowRecord& flow) const noexcept {
    return FieldValues::is_null(flow) || mac_value(flow, *field).is_unspecified();
  }
  static std::string_view plain(const Key& m, char* room) noexcept {
    return {room, static_cast<std::size_t>(csv::text::put_mac(room, m) - room)};
  }
};

struct CountryText : FieldValues {
  using Key = std::uint16_t;  // the two letters
  static constexpr bool numeric = false, fixed = false;
  static constexpr std::size_t key_range = 1 << 16;
  Key key(const FlowRecord& flow) const noexcept { return member<std::uint16_t>(flow); }
  static std::string_view plain(const Key& letters, char* room) noexcept {
    room[0] = static_cast<char>(letters & 0xff);
    room[1] = static_cast<char>(letters >> 8);
    return {room, 2};
  }
};

struct TextOfId : FieldValues {
  using Key = TextId;
  static constexpr bool numeric = false, fixed = false;
  static constexpr std::size_t key_range = 0;
  const TextTable* texts;
  Key key(const FlowRecord& flow) const noexcept { return member<TextId>(flow); }
  bool is_null(const FlowRecord& flow) const noexcept { return texts == nullptr || FieldValues::is_null(flow); }
  std::string_view plain(const Key& id, char*) const noexcept { return texts->text(id); }
};

// Byte arrays compare as unsigned bytes (their TYPE_ORDER). Most values
// differ from the minimum and the maximum in their first byte already.
void widen(ChunkMetadata& metadata, std::string_view value) {
  if (!metadata.has_min_max) {
    metadata.min_value = metadata.max_value = value;
    metadata.has_min_max = true;
    return;
  }
  const auto first = [](std::string_view s) { return s.empty() ? -1 : static_cast<unsigned char>(s[0]); };
  const int byte = first(value);
  if (byte <= first(metadata.min_value) && value < metadata.min_value) metadata.min_value = value;
  if (byte >= first(metadata.max_value) && value > metadata.max_value) metadata.max_value = value;
}

// A page's worth of values: room taken once, filled without checks.
template <class T>
class PageBuffer {
 public:
  explicit PageBuffer(std::size_t capacity) : values_(new T[capacity]) {}
  // Where the next value goes; values written from there on are kept by
  // keep_to(their end). The loops that fill a page keep a pointer of their own.
  T* end() noexcept { return values_.get() + size_; }
  void keep_to(const T* end) noexcept { size_ = static_cast<std::size_t>(end - values_.get()); }
  const T& operator[](std::size_t i) const noexcept { return values_[i]; }
  std::span<const T> view() const noexcept { return {values_.get(), size_}; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept { size_ = 0; }

 private:
  std::unique_ptr<T[]> values_;
  std::size_t size_ = 0;
};

// A page (data or dictionary): its header, then its body compressed.
class PageSink {
 public:
  explicit PageSink(Compressor& compressor) : compressor_(compressor) {}

  template <class TypeHeader>
  void put(std::string_view body, PageType type, TypeHeader&& type_header, std::string& out, ChunkMetadata& metadata) {
    compressed_.clear();
    compressor_.compress(body, compressed_);
    thrift::Encoder header;
    header.i32(1, static_cast<std::int32_t>(type));
    header.i32(2, static_cast<std::int32_t>(body.size()));
    header.i32(3, static_cast<std::int32_t>(compressed_.size()));
    type_header(header);
    header.end_struct();
    out += header.bytes();
    out += compressed_;
    metadata.uncompressed_bytes += static_cast<std::int64_t>(header.bytes().size() + body.size());
    metadata.compressed_bytes += static_cast<std::int64_t>(header.bytes().size() + compressed_.size());
  }

 private:
  Compressor& compressor_;
  std::string compressed_;
};

// A column chunk of `Values`: each page's values gather here (their keys,
// definition levels where the column can be null, dictionary indices while
// the chunk has a dictionary) and are encoded and compressed when the page
// is full. Times are DELTA_BINARY_PACKED. Other columns start with a
// dictionary and keep it while it pays: the first page decides (for
// numbers, dictionary and indices must take less room than the values; for
// all, the dictionary must not be on its way past its limit within the row
// group), and a dictionary that outgrows its limit later is given up: the
// pages from then on are PLAIN, as Arrow's writer does.
template <class Values>
class Encoder final : public ColumnEncoder {
  using Key = typename Values::Key;

 public:
  Encoder(Values values, bool nullable, const WriterOptions& options, Compressor& compressor)
      : values_(values),
        nullable_(nullable),
        options_(options),
        pages_sink_(compressor),
        page_rows_(std::max<std::size_t>(1024, options.page_bytes / plain_estimate())),
        keys_(page_rows_),
        levels_(nullable ? page_rows_ : 0),
        indices_(page_rows_) {}

  void append(std::span<const FlowRecord> flows) override {
    while (!flows.empty()) {
      const std::size_t n = std::min(flows.size(), page_rows_ - page_rows_used_);
      gather(flows.first(n));
      flows = flows.subspan(n);
      if (page_rows_used_ == page_rows_) close_page();
    }
  }

  void finish_chunk(EncodedChunk& out) override {
    close_page();
    ChunkMetadata& chunk = out.metadata = std::move(metadata_);
    out.dictionary_page.clear();
    if (dictionary_pages_ > 0) {
      pages_sink_.put(
          dictionary_plain_, PageType::dictionary,
          [&](thrift::Encoder& header) {
            header.begin_struct(7);  // dictionary_page_header
            header.i32(1, static_cast<std::int32_t>(dictionary_.size()));
            header.i32(2, static_cast<std::int32_t>(Encoding::plain));
            header.end_struct();
          },
          out.dictionary_page, chunk);
      chunk.dictionary_page_offset = 0;
    }
    chunk.data_page_offset = static_cast<std::int64_t>(out.dictionary_page.size());
    chunk.encodings.clear();
    if (dictionary_pages_ > 0 || plain_pages_ > 0) chunk.encodings.push_back(Encoding::plain);
    if (nullable_ || dictionary_pages_ > 0) chunk.encodings.push_back(Encoding::rle);
    if (delta_pages_ > 0) chunk.encodings.push_back(Encoding::delta_binary_packed);
    if (dictionary_pages_ > 0) chunk.encodings.push_back(Encoding::rle_dictionary);
    out.pages.clear();
    out.pages.swap(pages_);

    metadata_ = {};
    dictionary_.clear();
    dictionary_plain_.clear();
    dictionary_on_ = !Values::delta;
    dictionary_pages_ = plain_pages_ = delta_pages_ = 0;
    chunk_rows_ = 0;
  }

  void reuse(std::string&& pages) override {
    if (pages.capacity() <= pages_.capacity()) return;
    pages_ = std::move(pages);
    pages_.clear();
  }

 private:
  // Numbers of 32 and 64 bits are looked up by hashing: past this many
  // distinct ones the table outgrows the second-level cache, and a lookup
  // costs more than the room it saves once zstd has had the PLAIN values
  // (1M generator flows: bytes and duration PLAIN take 0.55 MB, 2%, more).
  static constexpr std::size_t max_entries =
      Values::numeric && Values::key_range == 0 ? 8192 : std::numeric_limits<std::size_t>::max();

  // The PLAIN bytes of a typical value: what a page of page_bytes holds.
  static constexpr std::size_t plain_estimate() noexcept {
    if constexpr (Values::fixed) return sizeof(Key);
    return 20;  // an address's text and its length
  }

  // The keys of `flows` (and their definition levels) into the page; a null
  // row's key is written and not kept, so that the loop has no branch.
  void gather(std::span<const FlowRecord> flows) {
    const std::size_t from = keys_.size();
    Key* keys = keys_.end();
    if (nullable_) {
      std::uint32_t* levels = levels_.end();
      for (const FlowRecord& flow : flows) {
        const bool present = !values_.is_null(flow);
        *levels++ = present ? 1 : 0;
        *keys = values_.key(flow);
        keys += present ? 1 : 0;
      }
      levels_.keep_to(levels);
    } else {
      for (const FlowRecord& flow : flows) *keys++ = values_.key(flow);
    }
    keys_.keep_to(keys);
    page_rows_used_ += flows.size();
    if (dictionary_on_) index(from);
  }

  // Dictionary indices of keys_[from...]; a run of equal values is looked up once.
  void index(std::size_t from) {
    char room[64];
    std::uint32_t* indices = indices_.end();
    std::uint32_t index = last_index_;
    for (std::size_t i = from; i < keys_.size(); ++i) {
      if (i == 0 || !same(keys_[i], keys_[i - 1])) {
        bool added = false;
        index = dictionary_.index_of(keys_[i], added);
        if (added) {
          const std::string_view value = values_.plain(keys_[i], room);
          if constexpr (!Values::numeric) widen(metadata_, value);
          put_plain(value, dictionary_plain_);
        }
      }
      *indices++ = index;
    }
    indices_.keep_to(indices);
    last_index_ = index;
    if (dictionary_plain_.size() > options_.dictionary_bytes || dictionary_.size() > max_entries)
      dictionary_on_ = false;
  }

  static void put_plain(std::string_view value, std::string& out) {
    if constexpr (!Values::fixed) {
      const auto size = static_cast<std::uint32_t>(value.size());
      out.append(reinterpret_cast<const char*>(&size), 4);
    }
    out.append(value);
  }

  // Whether the dictionary is worth keeping, once the first page shows it.
  bool dictionary_pays() const noexcept {
    const std::size_t rows = chunk_rows_ + page_rows_used_;
    if (dictionary_.size() == 0) return false;  // no value yet: PLAIN, definition levels only
    if (dictionary_plain_.size() * options_.row_group_rows > options_.dictionary_bytes * rows) return false;
    if constexpr (!Values::numeric) return true;
    const std::size_t index_bits = static_cast<std::size_t>(bit_width(static_cast<std::uint32_t>(dictionary_.size())));
    return dictionary_plain_.size() + keys_.size() * index_bits / 8 < keys_.size() * sizeof(Key);
  }

  void close_page() {
    if (page_rows_used_ == 0) return;
    if (dictionary_on_ && dictionary_pages_ == 0 && !dictionary_pays()) dictionary_on_ = false;
    body_.clear();
    if (nullable_) {
      body_.append(4, '\0');
      rle_encode(levels_.view(), 1, body_);
      const auto length = static_cast<std::uint32_t>(body_.size() - 4);
      std::memcpy(body_.data(), &length, 4);
    }
    Encoding encoding = Encoding::plain;
    if (dictionary_on_) {
      encoding = Encoding::rle_dictionary;
      const int width = bit_width(static_cast<std::uint32_t>(std::max<std::size_t>(dictionary_.size(), 1) - 1));
      body_.push_back(static_cast<char>(width));
      rle_encode(indices_.view(), width, body_);
      ++dictionary_pages_;
    } else if (Values::delta && keys_.size() > 0) {
      encoding = Encoding::delta_binary_packed;
      if constexpr (Values::delta) delta_encode(keys_.view(), body_);
      ++delta_pages_;
    } else {
      ++plain_pages_;
      char room[64];
      for (const Key& key : keys_.view()) {
        const std::string_view value = values_.plain(key, room);
        if constexpr (!Values::numeric) widen(metadata_, value);
        put_plain(value, body_);
      }
    }
    if constexpr (Values::numeric) widen_numbers();
    metadata_.values += static_cast<std::int64_t>(page_rows_used_);
    metadata_.null_count += static_cast<std::int64_t>(page_rows_used_ - keys_.size());
    pages_sink_.put(
        body_, PageType::data,
        [&](thrift::Encoder& header) {
          header.begin_struct(5);  // data_page_header
          header.i32(1, static_cast<std::int32_t>(page_rows_used_));
          header.i32(2, static_cast<std::int32_t>(encoding));
          header.i32(3, static_cast<std::int32_t>(Encoding::rle));
          header.i32(4, static_cast<std::int32_t>(Encoding::rle));
          header.end_struct();
        },
        pages_, metadata_);
    chunk_rows_ += page_rows_used_;
    page_rows_used_ = 0;
    keys_.clear();
    levels_.clear();
    indices_.clear();
  }

  // Numbers compare as signed numbers (INT32 and INT64's TYPE_ORDER).
  void widen_numbers() {
    if (keys_.size() == 0) return;
    Key min = keys_[0], max = keys_[0];
    for (const Key key : keys_.view()) {  // no branch: vectorised
      min = std::min(min, key);
      max = std::max(max, key);
    }
    if (metadata_.has_min_max) {
      Key was_min, was_max;
      std::memcpy(&was_min, metadata_.min_value.data(), sizeof was_min);
      std::memcpy(&was_max, metadata_.max_value.data(), sizeof was_max);
      min = std::min(min, was_min);
      max = std::max(max, was_max);
    }
    char room[64];
    metadata_.min_value = Values::plain(min, room);
    metadata_.max_value = Values::plain(max, room);
    metadata_.has_min_max = true;
  }

  Values values_;
  bool nullable_;
  const WriterOptions& options_;
  PageSink pages_sink_;
  std::size_t page_rows_;

  // The page under way.
  std::size_t page_rows_used_ = 0;
  PageBuffer<Key> keys_;               // of its rows that are not null
  PageBuffer<std::uint32_t> levels_;   // one a row: 1 value, 0 null (nullable columns)
  PageBuffer<std::uint32_t> indices_;  // one a key, while the dictionary is on
  std::uint32_t last_index_ = 0;
  std::string body_;

  // The chunk under way.
  std::size_t chunk_rows_ = 0;  // in the pages before this one
  ChunkMetadata metadata_;
  std::string pages_;  // compressed, with their headers
  std::conditional_t<Values::key_range == 0, Dictionary<Key>, DenseDictionary<Key, Values::key_range>> dictionary_;
  std::string dictionary_plain_;
  bool dictionary_on_ = !Values::delta;
  std::size_t dictionary_pages_ = 0;  // data pages of dictionary indices, and of the other encodings
  std::size_t plain_pages_ = 0;
  std::size_t delta_pages_ = 0;
};

template <class Values>
std::unique_ptr<ColumnEncoder> encoder(Values values, Column column, const WriterOptions& options,
                                       Compressor& compressor) {
  return std::make_unique<Encoder<Values>>(values, nullable(column), options, compressor);
}

std::unique_ptr<ColumnEncoder> encoder_of(Field field, const WriterOptions& options, Compressor& compressor) {
  const Column column = column_of(field);
  const FieldValues values{column.field};
  switch (column.kind) {
    case ColumnKind::timestamp: return encoder(TimeValues{values}, column, options, compressor);
    case ColumnKind::int64:
      if (column.field->kind == FieldKind::duration)
        return encoder(IntegerValues<std::int64_t, void>{values}, column, options, compressor);
      if (column.field->width == 4)
        return encoder(IntegerValues<std::int64_t, std::uint32_t>{values}, column, options, compressor);
      return encoder(IntegerValues<std::int64_t, std::uint64_t>{values}, column, options, compressor);
    case ColumnKind::int32:
      if (column.field->width == 1)
        return encoder(IntegerValues<std::int32_t, std::uint8_t>{values}, column, options, compressor);
      return encoder(IntegerValues<std::int32_t, std::uint16_t>{values}, column, options, compressor);
    case ColumnKind::address:
      if (options.address_type == AddressType::binary)
        return encoder(AddressBytes{values}, column, options, compressor);
      return encoder(AddressText{values}, column, options, compressor);
    case ColumnKind::mac: return encoder(MacText{values}, column, options, compressor);
    case ColumnKind::country: return encoder(CountryText{values}, column, options, compressor);
    case ColumnKind::text: return encoder(TextOfId{values, options.texts}, column, options, compressor);
  }
  return encoder(IntegerValues<std::int64_t, std::uint64_t>{values}, column, options, compressor);
}

std::vector<std::size_t> all_columns(std::size_t count) {
  std::vector<std::size_t> columns(count);
  for (std::size_t i = 0; i < count; ++i) columns[i] = i;
  return columns;
}

}  // namespace

std::vector<std::size_t> column_share(std::size_t columns, unsigned index, unsigned count) {
  std::vector<std::size_t> share;
  for (std::size_t c = index; c < columns; c += count) share.push_back(c);
  return share;
}

RowGroupEncoder::RowGroupEncoder(WriterOptions options, std::vector<std::size_t> columns)
    : options_(std::move(options)),
      compressor_(options_.codec, options_.level),
      columns_(columns.empty() ? all_columns(options_.fields.size()) : std::move(columns)) {
  for (const std::size_t column : columns_)
    encoders_.push_back(encoder_of(options_.fields.at(column), options_, compressor_));
}

RowGroupEncoder::~RowGroupEncoder() = default;

// A few rows at a time through every column, so that the records stay in
// the first-level cache while their fields are picked out column by column.
constexpr std::size_t rows_at_a_time = 128;

void RowGroupEncoder::append(std::span<const FlowRecord> flows) {
  rows_ += flows.size();
  for (std::size_t i = 0; i < flows.size(); i += rows_at_a_time)
    for (const auto& encoder : encoders_) encoder->append(flows.subspan(i, std::min(rows_at_a_time, flows.size() - i)));
}

EncodedRowGroup RowGroupEncoder::finish() {
  EncodedRowGroup group{rows_, std::vector<EncodedChunk>(columns_.size())};
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    group.chunks[i].column = columns_[i];
    encoders_[i]->finish_chunk(group.chunks[i]);
  }
  rows_ = 0;
  return group;
}

void RowGroupEncoder::reuse(EncodedRowGroup&& written) {
  for (std::size_t i = 0; i < written.chunks.size() && i < encoders_.size(); ++i)
    encoders_[i]->reuse(std::move(written.chunks[i].pages));
}

Writer::Writer(WriterOptions options) : options_(std::move(options)), encoder_(options_) {}

Writer::~Writer() = default;

void Writer::open(const std::filesystem::path& path) {
  file_ = std::make_unique<file_output::File>(path, file_output::File::Mode::create);
  file_->append(magic.data(), magic.size());
  offset_ = static_cast<std::int64_t>(magic.size());
  row_groups_.clear();
  if (encoder_.rows() > 0) encoder_.finish();  // a file abandoned mid row group (not closed)
}

void Writer::write(std::span<const FlowRecord> flows) {
  while (!flows.empty()) {
    const std::size_t n = std::min(flows.size(), options_.row_group_rows - encoder_.rows());
    encoder_.append(flows.first(n));
    flows = flows.subspan(n);
    if (encoder_.rows() == options_.row_group_rows) end_row_group();
  }
}

void Writer::end_row_group() {
  if (encoder_.rows() == 0) return;
  EncodedRowGroup group = encoder_.finish();
  append(group);
  encoder_.reuse(std::move(group));
}

void Writer::append(const EncodedRowGroup& group) {
  const EncodedRowGroup* const parts[] = {&group};
  append(parts);
}

void Writer::append(std::span<const EncodedRowGroup* const> parts) {
  end_row_group();
  place(parts);
}

void Writer::place(std::span<const EncodedRowGroup* const> parts) {
  std::vector<const EncodedChunk*> chunks;  // in column order
  for (const EncodedRowGroup* part : parts) {
    if (part->rows != parts.front()->rows) throw std::invalid_argument("the parts of a row group differ in rows");
    for (const EncodedChunk& chunk : part->chunks) chunks.push_back(&chunk);
  }
  std::sort(chunks.begin(), chunks.end(),
            [](const EncodedChunk* a, const EncodedChunk* b) { return a->column < b->column; });
  for (std::size_t i = 0; i < chunks.size(); ++i)
    if (chunks[i]->column != i || chunks.size() != options_.fields.size())  // the footer lists every column
      throw std::invalid_argument("a row group to append needs a chunk for each of the file's columns, once");
  PlacedRowGroup& placed =
      row_groups_.emplace_back(PlacedRowGroup{{}, static_cast<std::int64_t>(parts.front()->rows), offset_});
  for (const EncodedChunk* encoded : chunks) {
    ChunkMetadata& chunk = placed.chunks.emplace_back(encoded->metadata);
    if (chunk.dictionary_page_offset >= 0) chunk.dictionary_page_offset += offset_;
    chunk.data_page_offset += offset_;
    file_->append(encoded->dictionary_page.data(), encoded->dictionary_page.size());
    file_->append(encoded->pages.data(), encoded->pages.size());
    offset_ += static_cast<std::int64_t>(encoded->dictionary_page.size() + encoded->pages.size());
  }
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
  const ColumnType type = column_type(column, address_type);
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

void column_chunk(thrift::Encoder& out, Column column, const ChunkMetadata& chunk, const WriterOptions& options) {
  const std::int64_t start = chunk.dictionary_page_offset >= 0 ? chunk.dictionary_page_offset : chunk.data_page_offset;
  out.begin_element_struct();
  out.i64(2, start);  // file_offset
  out.begin_struct(3);
  out.i32(1, static_cast<std::int32_t>(column_type(column, options.address_type).physical));
  out.begin_list(2, thrift::Type::i32, chunk.encodings.size());
  for (const Encoding encoding : chunk.encodings) out.element_i32(static_cast<std::int32_t>(encoding));
  out.begin_list(3, thrift::Type::binary, 1);
  out.element_binary(column.field->name);
  out.i32(4, static_cast<std::int32_t>(options.codec));
  out.i64(5, chunk.values);
  out.i64(6, chunk.uncompressed_bytes);
  out.i64(7, chunk.compressed_bytes);
  out.i64(9, chunk.data_page_offset);
  if (chunk.dictionary_page_offset >= 0) out.i64(11, chunk.dictionary_page_offset);
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
      column_chunk(out, column_of(options_.fields[i]), chunk, options_);
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
