// Thrift's compact protocol, the encoding of every Parquet footer and page
// header: only what Parquet's structures use (integers, booleans, binary,
// lists and nested structs). docs/parquet.md says why it is written here
// rather than generated with Debian's thrift compiler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::parquet::thrift {

// The compact protocol's type codes.
enum class Type : std::uint8_t {
  stop = 0,
  bool_true = 1,
  bool_false = 2,
  byte = 3,
  i16 = 4,
  i32 = 5,
  i64 = 6,
  double_ = 7,
  binary = 8,
  list = 9,
  set = 10,
  map = 11,
  struct_ = 12,
};

// Appends a struct's fields to a string. Fields of a struct go in rising
// id order (each header holds the difference to the one before); nested
// structs and list elements that are structs open and close their own.
class Encoder {
 public:
  void i32(std::int16_t id, std::int32_t value);
  void i64(std::int16_t id, std::int64_t value);
  void boolean(std::int16_t id, bool value);
  void binary(std::int16_t id, std::string_view value);
  void begin_struct(std::int16_t id);  // a struct field; end it with end_struct()
  void end_struct();                   // also ends the top-level struct
  void empty_struct(std::int16_t id);  // a struct without fields (a union's marker)

  // A list field of `size` elements, written next with the element calls.
  void begin_list(std::int16_t id, Type element, std::size_t size);
  void element_i32(std::int32_t value);
  void element_binary(std::string_view value);
  void begin_element_struct();  // end it with end_struct()

  std::string& bytes() noexcept { return out_; }

 private:
  void field(std::int16_t id, Type type);
  void varint(std::uint64_t value);
  static std::uint64_t zigzag(std::int64_t value) noexcept {
    return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
  }

  std::string out_;
  std::int16_t last_id_ = 0;
  std::vector<std::int16_t> outer_ids_;  // of the structs that enclose the one being written
};

// Malformed input: what a damaged or foreign file gives.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a struct's fields in order. Callers read the fields they know and
// skip() the others; every read checks the bounds.
class Decoder {
 public:
  Decoder(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size), begin_(data) {}

  // The next field of the struct being read; false at its end.
  bool next_field(std::int16_t& id, Type& type);
  std::int64_t integer();  // i16, i32 or i64
  static bool boolean(Type field_type) noexcept { return field_type == Type::bool_true; }
  std::string_view binary();
  void begin_struct();  // the struct whose field header was just read
  void end_struct();    // after next_field() returned false
  // A list's header: its size, and the elements' type in `element`.
  std::size_t begin_list(Type& element);
  bool element_boolean();
  void skip(Type type);

  std::size_t position() const noexcept { return static_cast<std::size_t>(p_ - begin_); }

 private:
  std::uint8_t byte();
  std::uint64_t varint();

  const std::uint8_t* p_;
  const std::uint8_t* end_;
  const std::uint8_t* begin_;
  std::int16_t last_id_ = 0;
  std::vector<std::int16_t> outer_ids_;
  int depth_ = 0;
};

}  // namespace sluice::parquet::thrift
