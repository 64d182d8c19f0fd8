#include "sluice/parquet/thrift.h"

namespace sluice::parquet::thrift {

void Encoder::varint(std::uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

// A short header (delta and type in one byte) when the id follows the last
// by 1 to 15, else the type and the id itself.
void Encoder::field(std::int16_t id, Type type) {
  const int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    out_.push_back(static_cast<char>(delta << 4 | static_cast<int>(type)));
  } else {
    out_.push_back(static_cast<char>(type));
    varint(zigzag(id));
  }
  last_id_ = id;
}

void Encoder::i32(std::int16_t id, std::int32_t value) {
  field(id, Type::i32);
  varint(zigzag(value));
}

void Encoder::i64(std::int16_t id, std::int64_t value) {
  field(id, Type::i64);
  varint(zigzag(value));
}

void Encoder::boolean(std::int16_t id, bool value) { field(id, value ? Type::bool_true : Type::bool_false); }

void Encoder::binary(std::int16_t id, std::string_view value) {
  field(id, Type::binary);
  varint(value.size());
  out_.append(value);
}

void Encoder::begin_struct(std::int16_t id) {
  field(id, Type::struct_);
  begin_element_struct();
}

void Encoder::begin_element_struct() {
  outer_ids_.push_back(last_id_);
  last_id_ = 0;
}

void Encoder::end_struct() {
  out_.push_back(static_cast<char>(Type::stop));
  if (outer_ids_.empty()) return;
  last_id_ = outer_ids_.back();
  outer_ids_.pop_back();
}

void Encoder::empty_struct(std::int16_t id) {
  begin_struct(id);
  end_struct();
}

void Encoder::begin_list(std::int16_t id, Type element, std::size_t size) {
  field(id, Type::list);
  if (size < 15) {
    out_.push_back(static_cast<char>(size << 4 | static_cast<std::size_t>(element)));
  } else {
    out_.push_back(static_cast<char>(0xf0 | static_cast<int>(element)));
    varint(size);
  }
}

void Encoder::element_i32(std::int32_t value) { varint(zigzag(value)); }

void Encoder::element_binary(std::string_view value) {
  varint(value.size());
  out_.append(value);
}

std::uint8_t Decoder::byte() {
  if (p_ == end_) throw DecodeError("thrift: structure cut short");
  return *p_++;
}

std::uint64_t Decoder::varint() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const std::uint8_t b = byte();
    value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  throw DecodeError("thrift: varint longer than 10 bytes");
}

bool Decoder::next_field(std::int16_t& id, Type& type) {
  const std::uint8_t header = byte();
  type = static_cast<Type>(header & 0x0f);
  if (type == Type::stop) return false;
  if (static_cast<int>(type) > static_cast<int>(Type::struct_))
    throw DecodeError("thrift: unknown field type " + std::to_string(header & 0x0f));
  const int delta = header >> 4;
  if (delta != 0) {
    id = static_cast<std::int16_t>(last_id_ + delta);
  } else {
    const std::uint64_t raw = varint();
    id = static_cast<std::int16_t>(static_cast<std::int64_t>(raw >> 1) ^ -static_cast<std::int64_t>(raw & 1));
  }
  last_id_ = id;
  return true;
}

std::int64_t Decoder::integer() {
  const std::uint64_t raw = varint();
  return static_cast<std::int64_t>(raw >> 1) ^ -static_cast<std::int64_t>(raw & 1);
}

std::string_view Decoder::binary() {
  const std::uint64_t size = varint();
  if (size > static_cast<std::uint64_t>(end_ - p_)) throw DecodeError("thrift: binary field past the end");
  const std::string_view value(reinterpret_cast<const char*>(p_), size);
  p_ += size;
  return value;
}

void Decoder::begin_struct() {
  // Nesting is bounded: a hostile footer must not exhaust the stack.
  if (++depth_ > 64) throw DecodeError("thrift: structures nested too deep");
  outer_ids_.push_back(last_id_);
  last_id_ = 0;
}

void Decoder::end_struct() {
  --depth_;
  if (outer_ids_.empty()) return;
  last_id_ = outer_ids_.back();
  outer_ids_.pop_back();
}

std::size_t Decoder::begin_list(Type& element) {
  const std::uint8_t header = byte();
  element = static_cast<Type>(header & 0x0f);
  std::uint64_t size = header >> 4;
  if (size == 15) size = varint();
  // Each element takes at least a byte (a boolean's too): a size beyond
  // what is left is a lie.
  if (size > static_cast<std::uint64_t>(end_ - p_)) throw DecodeError("thrift: list longer than its structure");
  return size;
}

bool Decoder::element_boolean() { return byte() == static_cast<std::uint8_t>(Type::bool_true); }

void Decoder::skip(Type type) {
  switch (type) {
    case Type::bool_true:
    case Type::bool_false: return;
    case Type::byte: byte(); return;
    case Type::i16:
    case Type::i32:
    case Type::i64: varint(); return;
    case Type::double_:
      for (int i = 0; i < 8; ++i) byte();
      return;
    case Type::binary: binary(); return;
    case Type::list:
    case Type::set: {
      Type element{};
      const std::size_t size = begin_list(element);
      for (std::size_t i = 0; i < size; ++i)
        skip(element == Type::bool_true || element == Type::bool_false ? Type::byte : element);
      return;
    }
    case Type::map: {
      const std::uint64_t size = varint();
      if (size == 0) return;
      const std::uint8_t types = byte();
      for (std::uint64_t i = 0; i < size; ++i) {
        skip(static_cast<Type>(types >> 4));
        skip(static_cast<Type>(types & 0x0f));
      }
      return;
    }
    case Type::struct_: {
      begin_struct();
      std::int16_t id = 0;
      Type field_type{};
      while (next_field(id, field_type)) skip(field_type);
      end_struct();
      return;
    }
    case Type::stop: break;
  }
  throw DecodeError("thrift: cannot skip a field of type " + std::to_string(static_cast<int>(type)));
}

}  // namespace sluice::parquet::thrift
