// How each field of the registry (sluice/fields.h) is a Parquet column: its
// physical and logical type, and whether it can be null (a field with a
// presence bit, an address or MAC nobody set, an unknown country or name). Column names are
// the registry's names, csv_writer's columns.
#pragma once

#include <sluice/fields.h>

#include <cstdint>
#include <vector>

#include "sluice/parquet/format.h"

namespace sluice::parquet {

enum class ColumnKind : std::uint8_t {
  timestamp,  // INT64 TIMESTAMP(MILLIS, UTC), DELTA_BINARY_PACKED: first, last, received
  int64,      // counters, duration (ms), 32-bit numbers (interfaces, AS): signed INT64, which every reader maps
  int32,      // 8- and 16-bit numbers (ports, protocol, flags, masks, ids, boundary): INT32
  address,    // STRING ("10.0.0.1", "2001:db8::1") or FIXED_LEN_BYTE_ARRAY(16); null when unset too
  mac,        // STRING "00:1b:21:3c:4d:5e"; null when unset too
  country,    // STRING of two letters; null when unknown
  text,       // STRING from the run's text table; null when absent
};

enum class AddressType : std::uint8_t { string, binary };

struct Column {
  const FieldInfo* field;
  ColumnKind kind;
};

Column column_of(Field field) noexcept;

// Whether a row of the column can be null: OPTIONAL, with definition
// levels. Fields with a presence bit (the exporter may not send them) and
// addresses, MACs, countries and texts; the others are REQUIRED.
bool nullable(Column column) noexcept;

// The Parquet type of a column as written.
struct ColumnType {
  PhysicalType physical;
  int type_length;  // FIXED_LEN_BYTE_ARRAY's; 0 otherwise
  Repetition repetition;
};
ColumnType column_type(Column column, AddressType address_type) noexcept;

// The columns written when `fields` is not set: csv_writer's standard ones.
std::vector<Field> default_columns();

}  // namespace sluice::parquet
