// How each field of a flow is a Parquet column: its physical and logical
// type, and whether it can be null. Names are csv_writer's field names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "sluice/fields.h"
#include "sluice/parquet/format.h"

namespace sluice::parquet {

enum class ColumnKind : std::uint8_t {
  timestamp,  // INT64 TIMESTAMP(MILLIS, UTC): first, last, received
  duration,   // INT64 milliseconds, last - first
  int64,      // counters, interfaces, AS numbers: signed INT64 (Spark reads UINT_64 as a decimal)
  int32,      // ports, protocol, flags, masks, ids: INT32
  address,    // STRING ("10.0.0.1", "2001:db8::1") or FIXED_LEN_BYTE_ARRAY(16); null when unset
  mac,        // STRING "00:1b:21:3c:4d:5e"; null when unset
};

enum class AddressType : std::uint8_t { string, binary };

struct Column {
  Field field;
  ColumnKind kind;
  std::size_t offset;  // of the field in FlowRecord
  std::size_t width;   // of the field in FlowRecord, bytes
};

const Column& column_of(Field field) noexcept;
// Whether a field has a column (the fields of record v2; later ones not yet).
bool has_column(Field field) noexcept;

// The Parquet type of a column as written.
struct ColumnType {
  PhysicalType physical;
  int type_length;  // FIXED_LEN_BYTE_ARRAY's; 0 otherwise
  Repetition repetition;
};
ColumnType column_type(ColumnKind kind, AddressType address_type) noexcept;
bool nullable(ColumnKind kind) noexcept;

// The columns written when `fields` is not set: csv_writer's.
std::span<const Field> default_columns() noexcept;

}  // namespace sluice::parquet
