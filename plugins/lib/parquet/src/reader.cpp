#include "sluice/parquet/reader.h"

#include <cstring>
#include <optional>
#include <utility>

#include <arpa/inet.h>

#include "sluice/file_output/file.h"
#include "sluice/parquet/columns.h"
#include "sluice/parquet/delta.h"
#include "sluice/parquet/format.h"
#include "sluice/parquet/rle.h"
#include "sluice/parquet/thrift.h"

namespace sluice::parquet {
namespace {

using thrift::DecodeError;
using thrift::Type;

// Reads every field of the struct being decoded, handing each to `field`,
// which returns false for those it leaves to be skipped.
template <class Field>
void read_struct(thrift::Decoder& in, Field&& field) {
  std::int16_t id = 0;
  Type type{};
  while (in.next_field(id, type))
    if (!field(id, type)) in.skip(type);
}

template <class Element>
void read_list(thrift::Decoder& in, Element&& element) {
  Type type{};
  const std::size_t size = in.begin_list(type);
  for (std::size_t i = 0; i < size; ++i) element(type);
}

template <class Field>
void read_nested(thrift::Decoder& in, Field&& field) {
  in.begin_struct();
  read_struct(in, field);
  in.end_struct();
}

enum class TimeUnit : std::uint8_t { millis, micros, nanos };

struct SchemaColumn {
  std::string name;
  std::int32_t physical = -1;
  std::int32_t type_length = 0;
  std::int32_t repetition = 0;
  std::optional<TimeUnit> time_unit;
  std::optional<Column> column;  // the field it carries; none for other names
};

struct Chunk {
  std::int32_t codec = 0;
  std::int64_t values = 0;
  std::int64_t start = -1;  // its first page: the dictionary's, if any
  std::int64_t compressed_bytes = 0;
};

struct RowGroup {
  std::int64_t rows = 0;
  std::vector<Chunk> chunks;  // one per schema column
};

TimeUnit read_time_unit(thrift::Decoder& in) {
  TimeUnit unit = TimeUnit::millis;
  read_nested(in, [&](std::int16_t id, Type) {
    if (id == 2) unit = TimeUnit::micros;
    if (id == 3) unit = TimeUnit::nanos;
    return false;
  });
  return unit;
}

SchemaColumn read_schema_element(thrift::Decoder& in, bool& has_children) {
  SchemaColumn column;
  in.begin_struct();
  read_struct(in, [&](std::int16_t id, Type type) {
    switch (id) {
      case 1: column.physical = static_cast<std::int32_t>(in.integer()); return true;
      case 2: column.type_length = static_cast<std::int32_t>(in.integer()); return true;
      case 3: column.repetition = static_cast<std::int32_t>(in.integer()); return true;
      case 4: column.name = in.binary(); return true;
      case 5: has_children = in.integer() > 0; return true;
      case 6: {
        const auto converted = in.integer();
        if (converted == 9) column.time_unit = TimeUnit::millis;
        if (converted == 10) column.time_unit = TimeUnit::micros;
        return true;
      }
      case 10:
        read_nested(in, [&](std::int16_t logical, Type) {
          if (logical != 8) return false;  // TIMESTAMP
          read_nested(in, [&](std::int16_t timestamp_field, Type) {
            if (timestamp_field != 2) return false;
            column.time_unit = read_time_unit(in);
            return true;
          });
          return true;
        });
        return true;
      default: (void)type; return false;
    }
  });
  in.end_struct();
  return column;
}

Chunk read_chunk(thrift::Decoder& in) {
  Chunk chunk;
  std::int64_t data_page = -1, dictionary_page = -1;
  read_nested(in, [&](std::int16_t id, Type) {
    if (id != 3) return false;  // meta_data
    read_nested(in, [&](std::int16_t field, Type) {
      switch (field) {
        case 4: chunk.codec = static_cast<std::int32_t>(in.integer()); return true;
        case 5: chunk.values = in.integer(); return true;
        case 7: chunk.compressed_bytes = in.integer(); return true;
        case 9: data_page = in.integer(); return true;
        case 11: dictionary_page = in.integer(); return true;
        default: return false;
      }
    });
    return true;
  });
  // Some writers set a dictionary offset of 0 for "none".
  chunk.start = dictionary_page > 0 && dictionary_page < data_page ? dictionary_page : data_page;
  return chunk;
}

RowGroup read_row_group_metadata(thrift::Decoder& in) {
  RowGroup group;
  read_nested(in, [&](std::int16_t id, Type) {
    if (id == 1) {
      read_list(in, [&](Type) { group.chunks.push_back(read_chunk(in)); });
      return true;
    }
    if (id == 3) {
      group.rows = in.integer();
      return true;
    }
    return false;
  });
  return group;
}

// Whether a column of this Parquet type can carry the field named like it.
bool fits(const SchemaColumn& c, ColumnKind kind) {
  const auto physical = static_cast<PhysicalType>(c.physical);
  const bool integer = physical == PhysicalType::int32 || physical == PhysicalType::int64;
  switch (kind) {
    case ColumnKind::timestamp: return physical == PhysicalType::int64;
    case ColumnKind::int64:
    case ColumnKind::int32: return integer;
    case ColumnKind::address:
      return physical == PhysicalType::byte_array ||
             (physical == PhysicalType::fixed_len_byte_array && c.type_length == 16);
    case ColumnKind::mac:
    case ColumnKind::country:
    case ColumnKind::text: return physical == PhysicalType::byte_array;
  }
  return false;
}

}  // namespace

struct Reader::Footer {
  std::vector<SchemaColumn> columns;
  std::vector<RowGroup> row_groups;
  std::uint64_t rows = 0;
  file_output::File file;
};

namespace {

std::unique_ptr<Reader::Footer> read_footer(const std::filesystem::path& path) {
  file_output::File file(path, file_output::File::Mode::read);
  const std::uint64_t size = file.size();
  char tail[8];
  if (size < 12 || file.read_at(size - 8, tail, 8) != 8 || std::string_view(tail + 4, 4) != magic)
    throw ReadError(path.string() + ": not a Parquet file (no PAR1 at its end)");
  std::uint32_t length = 0;
  std::memcpy(&length, tail, 4);
  if (length > size - 12) throw ReadError(path.string() + ": footer length past the file's start");
  std::vector<std::uint8_t> bytes(length);
  file.read_at(size - 8 - length, bytes.data(), length);

  auto footer = std::make_unique<Reader::Footer>(Reader::Footer{{}, {}, 0, std::move(file)});
  thrift::Decoder in(bytes.data(), bytes.size());
  bool first = true;
  read_struct(in, [&](std::int16_t id, Type) {
    switch (id) {
      case 2:
        read_list(in, [&](Type) {
          bool has_children = false;
          SchemaColumn column = read_schema_element(in, has_children);
          if (std::exchange(first, false)) return;  // the root
          if (has_children || column.repetition == 2)
            throw ReadError(path.string() + ": column " + column.name + " is nested or repeated, not a flow field");
          footer->columns.push_back(std::move(column));
        });
        return true;
      case 3: footer->rows = static_cast<std::uint64_t>(in.integer()); return true;
      case 4: read_list(in, [&](Type) { footer->row_groups.push_back(read_row_group_metadata(in)); }); return true;
      default: return false;
    }
  });
  for (auto& column : footer->columns) {
    const auto field = find_field(column.name);
    if (!field) continue;
    const Column known = column_of(*field);
    if (known.field->kind == FieldKind::duration) continue;  // follows from first and last, whatever its type
    if (!fits(column, known.kind))
      throw ReadError(path.string() + ": column " + column.name + " has a type that cannot hold the field");
    column.column = known;
  }
  for (const auto& group : footer->row_groups)
    if (group.chunks.size() != footer->columns.size())
      throw ReadError(path.string() + ": a row group's columns differ from the schema's");
  return footer;
}

// One column chunk's values, decoded page after page into the row group's
// flows.
class ChunkDecoder {
 public:
  ChunkDecoder(const SchemaColumn& schema, const Chunk& chunk, std::span<FlowRecord> flows, TextTable* texts)
      : schema_(schema), chunk_(chunk), flows_(flows), column_(*schema.column), texts_(texts) {}

  void decode(std::span<const std::uint8_t> bytes) {
    std::size_t p = 0;
    std::size_t row = 0;
    while (row < flows_.size()) {
      if (p >= bytes.size()) throw DecodeError("column " + schema_.name + ": pages end before its rows");
      thrift::Decoder in(bytes.data() + p, bytes.size() - p);
      const Page page = read_page_header(in);
      p += in.position();
      if (page.compressed > bytes.size() - p) throw DecodeError("column " + schema_.name + ": page past its chunk");
      const auto stored = bytes.subspan(p, page.compressed);
      p += page.compressed;
      if (page.type == PageType::dictionary) {
        read_dictionary(uncompressed(stored, page.uncompressed, dictionary_page_), page.values);
        continue;
      }
      if (page.type != PageType::data && page.type != PageType::data_v2) continue;  // index pages
      if (page.values > flows_.size() - row) throw DecodeError("column " + schema_.name + ": more values than rows");
      read_data_page(page, stored, row);
      row += page.values;
    }
  }

 private:
  struct Page {
    PageType type{};
    std::size_t uncompressed = 0, compressed = 0, values = 0;
    Encoding encoding{};
    std::size_t levels_bytes = 0;  // data page v2: the levels' bytes, never compressed
    bool compressed_v2 = true;
  };

  Page read_page_header(thrift::Decoder& in) {
    Page page;
    read_struct(in, [&](std::int16_t id, Type) {
      switch (id) {
        case 1: page.type = static_cast<PageType>(in.integer()); return true;
        case 2: page.uncompressed = checked_size(in.integer()); return true;
        case 3: page.compressed = checked_size(in.integer()); return true;
        case 5:
        case 7:
          read_nested(in, [&](std::int16_t field, Type) {
            if (field == 1) page.values = checked_size(in.integer());
            if (field == 2) page.encoding = static_cast<Encoding>(in.integer());
            return field == 1 || field == 2;
          });
          return true;
        case 8:
          read_nested(in, [&](std::int16_t field, Type type) {
            switch (field) {
              case 1: page.values = checked_size(in.integer()); return true;
              case 4: page.encoding = static_cast<Encoding>(in.integer()); return true;
              case 5:
              case 6: page.levels_bytes += checked_size(in.integer()); return true;
              case 7: page.compressed_v2 = thrift::Decoder::boolean(type); return true;
              default: return false;
            }
          });
          return true;
        default: return false;
      }
    });
    return page;
  }

  static std::size_t checked_size(std::int64_t value) {
    if (value < 0 || value > (1LL << 31)) throw DecodeError("page size or count out of range");
    return static_cast<std::size_t>(value);
  }

  // The page's bytes as written: in `buffer` unless they were not compressed.
  std::span<const std::uint8_t> uncompressed(std::span<const std::uint8_t> stored, std::size_t size,
                                             std::string& buffer) const {
    if (static_cast<Codec>(chunk_.codec) == Codec::none) return stored;
    buffer.resize(size);
    decompress(static_cast<Codec>(chunk_.codec), {reinterpret_cast<const char*>(stored.data()), stored.size()},
               {buffer.data(), buffer.size()});
    return {reinterpret_cast<const std::uint8_t*>(buffer.data()), buffer.size()};
  }

  void read_dictionary(std::span<const std::uint8_t> plain, std::size_t entries) {
    dictionary_.clear();
    std::size_t p = 0;
    for (std::size_t i = 0; i < entries; ++i) dictionary_.push_back(next_plain(plain, p));
  }

  // A PLAIN value at `p`: the bytes of an integer, a byte array or a
  // fixed-length one.
  std::span<const std::uint8_t> next_plain(std::span<const std::uint8_t> data, std::size_t& p) const {
    std::size_t size = 0;
    switch (static_cast<PhysicalType>(schema_.physical)) {
      case PhysicalType::int32: size = 4; break;
      case PhysicalType::int64: size = 8; break;
      case PhysicalType::fixed_len_byte_array: size = static_cast<std::size_t>(schema_.type_length); break;
      case PhysicalType::byte_array: {
        if (data.size() - p < 4) throw DecodeError("column " + schema_.name + ": value cut short");
        std::uint32_t length = 0;
        std::memcpy(&length, data.data() + p, 4);
        p += 4;
        size = length;
        break;
      }
    }
    if (size > data.size() - p) throw DecodeError("column " + schema_.name + ": value cut short");
    const auto value = data.subspan(p, size);
    p += size;
    return value;
  }

  void read_data_page(const Page& page, std::span<const std::uint8_t> stored, std::size_t row) {
    std::span<const std::uint8_t> body;
    std::span<const std::uint8_t> levels;
    const bool optional = schema_.repetition == static_cast<std::int32_t>(Repetition::optional);
    if (page.type == PageType::data_v2) {
      if (page.levels_bytes > stored.size() || page.levels_bytes > page.uncompressed)
        throw DecodeError("column " + schema_.name + ": levels past the page");
      levels = stored.first(page.levels_bytes);
      const auto rest = stored.subspan(page.levels_bytes);
      body = page.compressed_v2 ? uncompressed(rest, page.uncompressed - page.levels_bytes, data_page_) : rest;
    } else {
      body = uncompressed(stored, page.uncompressed, data_page_);
      if (optional) {
        std::uint32_t length = 0;
        if (body.size() < 4) throw DecodeError("column " + schema_.name + ": levels cut short");
        std::memcpy(&length, body.data(), 4);
        if (length > body.size() - 4) throw DecodeError("column " + schema_.name + ": levels past the page");
        levels = body.subspan(4, length);
        body = body.subspan(4 + length);
      }
    }
    defined_.assign(page.values, 1);
    if (optional) rle_decode(levels, 1, defined_);
    std::size_t present = 0;
    for (const auto level : defined_) present += level;

    const bool dictionary = page.encoding == Encoding::rle_dictionary || page.encoding == Encoding::plain_dictionary;
    if (dictionary) {
      if (body.empty()) throw DecodeError("column " + schema_.name + ": dictionary page without a bit width");
      indices_.resize(present);
      rle_decode(body.subspan(1), body[0], indices_);
    } else if (page.encoding == Encoding::delta_binary_packed) {
      body = delta_as_plain(body, present);
    } else if (page.encoding != Encoding::plain) {
      throw DecodeError("column " + schema_.name + ": encoding " + std::to_string(static_cast<int>(page.encoding)) +
                        " is not read (PLAIN, DELTA_BINARY_PACKED and dictionaries are)");
    }
    std::size_t p = 0, value = 0;
    for (std::size_t i = 0; i < page.values; ++i) {
      if (defined_[i] == 0) continue;
      if (dictionary) {
        const std::uint32_t index = indices_[value++];
        if (index >= dictionary_.size()) throw DecodeError("column " + schema_.name + ": index past the dictionary");
        store(dictionary_[index], flows_[row + i]);
      } else {
        store(next_plain(body, p), flows_[row + i]);
      }
    }
  }

  // `count` DELTA_BINARY_PACKED integers as the PLAIN values of the column's type.
  std::span<const std::uint8_t> delta_as_plain(std::span<const std::uint8_t> body, std::size_t count) {
    const auto physical = static_cast<PhysicalType>(schema_.physical);
    if (physical != PhysicalType::int32 && physical != PhysicalType::int64)
      throw DecodeError("column " + schema_.name + ": DELTA_BINARY_PACKED for a column that is not an integer");
    deltas_.resize(count);
    delta_decode(body, deltas_);
    delta_plain_.clear();
    for (const std::int64_t value : deltas_) {
      if (physical == PhysicalType::int32) {
        const auto narrow = static_cast<std::int32_t>(value);
        delta_plain_.append(reinterpret_cast<const char*>(&narrow), 4);
      } else {
        delta_plain_.append(reinterpret_cast<const char*>(&value), 8);
      }
    }
    return {reinterpret_cast<const std::uint8_t*>(delta_plain_.data()), delta_plain_.size()};
  }

  void store(std::span<const std::uint8_t> value, FlowRecord& flow) const {
    const FieldInfo& field = *column_.field;
    const std::string_view text(reinterpret_cast<const char*>(value.data()), value.size());
    auto* at = reinterpret_cast<unsigned char*>(&flow) + field.offset;
    switch (column_.kind) {
      case ColumnKind::timestamp: {
        std::int64_t time = 0;
        std::memcpy(&time, value.data(), 8);
        if (schema_.time_unit == TimeUnit::micros) time /= 1000;
        if (schema_.time_unit == TimeUnit::nanos) time /= 1000000;
        set_unsigned_value(flow, field, static_cast<std::uint64_t>(time));
        return;
      }
      case ColumnKind::int64:
      case ColumnKind::int32: {
        std::int64_t number = 0;
        if (value.size() == 4) {
          std::int32_t narrow = 0;
          std::memcpy(&narrow, value.data(), 4);
          number = narrow;
        } else {
          std::memcpy(&number, value.data(), 8);
        }
        set_unsigned_value(flow, field, static_cast<std::uint64_t>(number));
        return;
      }
      case ColumnKind::address:
        if (value.size() == 16 && schema_.physical == static_cast<std::int32_t>(PhysicalType::fixed_len_byte_array))
          std::memcpy(at, value.data(), 16);
        else if (!parse_address(text, *reinterpret_cast<IpAddress*>(at)))
          throw DecodeError("column " + schema_.name + ": \"" + std::string(text) + "\" is not an address");
        break;
      case ColumnKind::mac:
        if (!parse_mac(text, *reinterpret_cast<MacAddress*>(at)))
          throw DecodeError("column " + schema_.name + ": \"" + std::string(text) + "\" is not a MAC address");
        break;
      case ColumnKind::country:
        if (text.size() != 2)
          throw DecodeError("column " + schema_.name + ": \"" + std::string(text) + "\" is not a country code");
        std::memcpy(at, text.data(), 2);
        break;
      case ColumnKind::text: {
        if (texts_ == nullptr) return;
        const TextId id = texts_->intern(text);
        std::memcpy(at, &id, sizeof id);
        break;
      }
    }
    if (field.presence != always_present) flow.set_present(static_cast<Element>(field.presence));
  }

  static bool parse_address(std::string_view text, IpAddress& address) {
    char zero_ended[64];
    if (text.size() >= sizeof zero_ended) return false;
    std::memcpy(zero_ended, text.data(), text.size());
    zero_ended[text.size()] = '\0';
    std::uint8_t v4[4];
    if (inet_pton(AF_INET, zero_ended, v4) == 1) {
      address =
          IpAddress::v4(std::uint32_t{v4[0]} << 24 | std::uint32_t{v4[1]} << 16 | std::uint32_t{v4[2]} << 8 | v4[3]);
      return true;
    }
    return inet_pton(AF_INET6, zero_ended, address.bytes.data()) == 1;
  }

  // 00:1b:21:3c:4d:5e
  static bool parse_mac(std::string_view text, MacAddress& mac) {
    if (text.size() != 17) return false;
    const auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (std::size_t i = 0; i < 6; ++i) {
      const int high = hex(text[i * 3]), low = hex(text[i * 3 + 1]);
      if (high < 0 || low < 0 || (i < 5 && text[i * 3 + 2] != ':')) return false;
      mac.bytes[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return true;
  }

  const SchemaColumn& schema_;
  const Chunk& chunk_;
  std::span<FlowRecord> flows_;
  Column column_;
  TextTable* texts_;
  std::vector<std::span<const std::uint8_t>> dictionary_;  // into a decompressed dictionary page
  std::vector<std::uint32_t> defined_, indices_;
  std::vector<std::int64_t> deltas_;
  std::string dictionary_page_, data_page_;  // decompressed
  std::string delta_plain_;                  // a DELTA_BINARY_PACKED page's values as PLAIN
};

}  // namespace

Reader::Reader(const std::filesystem::path& path, TextTable* texts) : path_(path), texts_(texts) {
  try {
    footer_ = read_footer(path);
  } catch (const DecodeError& e) {
    throw ReadError(path.string() + ": damaged footer: " + e.what());
  }
}

Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;
Reader::~Reader() = default;

std::uint64_t Reader::rows() const noexcept { return footer_->rows; }
std::size_t Reader::row_groups() const noexcept { return footer_->row_groups.size(); }

bool Reader::read_row_group(std::vector<FlowRecord>& out) {
  if (next_ == footer_->row_groups.size()) return false;
  const RowGroup& group = footer_->row_groups[next_++];
  if (group.rows < 0 || group.rows > (1LL << 31)) throw ReadError(path_.string() + ": row group size out of range");
  const std::size_t first = out.size();
  out.resize(first + static_cast<std::size_t>(group.rows));
  const std::span<FlowRecord> flows(out.data() + first, static_cast<std::size_t>(group.rows));
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < footer_->columns.size(); ++i) {
    const SchemaColumn& schema = footer_->columns[i];
    if (!schema.column) continue;
    const Chunk& chunk = group.chunks[i];
    if (chunk.start < 0 || chunk.compressed_bytes < 0 || chunk.compressed_bytes > (1LL << 32))
      throw ReadError(path_.string() + ": column " + schema.name + ": chunk out of range");
    bytes.resize(static_cast<std::size_t>(chunk.compressed_bytes));
    if (footer_->file.read_at(static_cast<std::uint64_t>(chunk.start), bytes.data(), bytes.size()) != bytes.size())
      throw ReadError(path_.string() + ": column " + schema.name + ": chunk past the file's end");
    try {
      ChunkDecoder(schema, chunk, flows, texts_).decode(bytes);
    } catch (const DecodeError& e) {
      throw ReadError(path_.string() + ": row group " + std::to_string(next_ - 1) + ": " + e.what());
    }
  }
  return true;
}

}  // namespace sluice::parquet
