#include "sluice/parquet/columns.h"

#include "sluice/csv/field_text.h"

namespace sluice::parquet {

Column column_of(Field field) noexcept {
  const FieldInfo& f = info(field);
  switch (f.kind) {
    case FieldKind::time: return {&f, ColumnKind::timestamp};
    case FieldKind::duration:
    case FieldKind::counter: return {&f, ColumnKind::int64};
    case FieldKind::number: return {&f, f.width == 4 ? ColumnKind::int64 : ColumnKind::int32};
    case FieldKind::protocol:
    case FieldKind::boundary: return {&f, ColumnKind::int32};
    case FieldKind::address: return {&f, ColumnKind::address};
    case FieldKind::mac: return {&f, ColumnKind::mac};
    case FieldKind::country: return {&f, ColumnKind::country};
    case FieldKind::text: return {&f, ColumnKind::text};
  }
  return {&f, ColumnKind::int64};
}

bool nullable(Column column) noexcept {
  return column.field->presence != always_present || column.kind == ColumnKind::address ||
         column.kind == ColumnKind::mac || column.kind == ColumnKind::country || column.kind == ColumnKind::text;
}

ColumnType column_type(Column column, AddressType address_type) noexcept {
  const Repetition repetition = nullable(column) ? Repetition::optional : Repetition::required;
  switch (column.kind) {
    case ColumnKind::timestamp:
    case ColumnKind::int64: return {PhysicalType::int64, 0, repetition};
    case ColumnKind::int32: return {PhysicalType::int32, 0, repetition};
    case ColumnKind::address:
      if (address_type == AddressType::binary) return {PhysicalType::fixed_len_byte_array, 16, repetition};
      return {PhysicalType::byte_array, 0, repetition};
    case ColumnKind::mac:
    case ColumnKind::country:
    case ColumnKind::text: return {PhysicalType::byte_array, 0, repetition};
  }
  return {PhysicalType::int64, 0, repetition};
}

std::vector<Field> default_columns() {
  std::vector<Field> columns;
  for (const Field field : csv::default_fields()) columns.push_back(field);
  return columns;
}

}  // namespace sluice::parquet
