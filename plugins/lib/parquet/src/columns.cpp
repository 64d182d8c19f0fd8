#include "sluice/parquet/columns.h"

#include "sluice/csv/field_text.h"

#include <array>
#include <cstddef>

#include "sluice/flow_record.h"

namespace sluice::parquet {
namespace {

#define SLUICE_COLUMN(name, kind) \
  Column { Field::name, ColumnKind::kind, offsetof(FlowRecord, name), sizeof(FlowRecord::name) }

// One entry per field of record v2 (the registry's first 35), in its order.
constexpr std::size_t column_count = static_cast<std::size_t>(Field::dst_vlan) + 1;
constexpr std::array<Column, column_count> columns = {
    Column{Field::first, ColumnKind::timestamp, offsetof(FlowRecord, first_ms), 8},
    Column{Field::last, ColumnKind::timestamp, offsetof(FlowRecord, last_ms), 8},
    Column{Field::received, ColumnKind::timestamp, offsetof(FlowRecord, received_ms), 8},
    Column{Field::duration, ColumnKind::duration, 0, 0},
    SLUICE_COLUMN(src_addr, address),
    SLUICE_COLUMN(dst_addr, address),
    SLUICE_COLUMN(src_port, int32),
    SLUICE_COLUMN(dst_port, int32),
    SLUICE_COLUMN(proto, int32),
    SLUICE_COLUMN(tcp_flags, int32),
    SLUICE_COLUMN(tos, int32),
    SLUICE_COLUMN(dst_tos, int32),
    SLUICE_COLUMN(packets, int64),
    SLUICE_COLUMN(bytes, int64),
    SLUICE_COLUMN(reverse_packets, int64),
    SLUICE_COLUMN(reverse_bytes, int64),
    SLUICE_COLUMN(in_if, int64),
    SLUICE_COLUMN(out_if, int64),
    SLUICE_COLUMN(src_as, int64),
    SLUICE_COLUMN(dst_as, int64),
    SLUICE_COLUMN(src_mask, int32),
    SLUICE_COLUMN(dst_mask, int32),
    SLUICE_COLUMN(next_hop, address),
    SLUICE_COLUMN(exporter, address),
    SLUICE_COLUMN(engine_type, int32),
    SLUICE_COLUMN(engine_id, int32),
    SLUICE_COLUMN(observation_domain, int64),
    SLUICE_COLUMN(sampling_interval, int64),
    SLUICE_COLUMN(direction, int32),
    SLUICE_COLUMN(fwd_status, int32),
    SLUICE_COLUMN(label, int32),
    SLUICE_COLUMN(src_mac, mac),
    SLUICE_COLUMN(dst_mac, mac),
    SLUICE_COLUMN(src_vlan, int32),
    SLUICE_COLUMN(dst_vlan, int32),
};

#undef SLUICE_COLUMN

constexpr bool in_field_order() {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (static_cast<std::size_t>(columns[i].field) != i) return false;
  return true;
}
static_assert(in_field_order(), "one column per field of record v2, in its order");

}  // namespace

const Column& column_of(Field field) noexcept { return columns[static_cast<std::size_t>(field)]; }

bool has_column(Field field) noexcept { return static_cast<std::size_t>(field) < column_count; }

bool nullable(ColumnKind kind) noexcept { return kind == ColumnKind::address || kind == ColumnKind::mac; }

ColumnType column_type(ColumnKind kind, AddressType address_type) noexcept {
  switch (kind) {
    case ColumnKind::timestamp:
    case ColumnKind::duration:
    case ColumnKind::int64: return {PhysicalType::int64, 0, Repetition::required};
    case ColumnKind::int32: return {PhysicalType::int32, 0, Repetition::required};
    case ColumnKind::address:
      if (address_type == AddressType::binary) return {PhysicalType::fixed_len_byte_array, 16, Repetition::optional};
      return {PhysicalType::byte_array, 0, Repetition::optional};
    case ColumnKind::mac: return {PhysicalType::byte_array, 0, Repetition::optional};
  }
  return {PhysicalType::int64, 0, Repetition::required};
}

std::span<const Field> default_columns() noexcept { return csv::default_fields(); }

}  // namespace sluice::parquet
