// The table flows go into: its columns, their ClickHouse types, and how each
// column's values are encoded from FlowRecords.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/fields.h"
#include "sluice/flow_record.h"

namespace sluice::clickhouse_http {

// Two sets of column types. ClickHouse 18.16 (Debian 12's) has neither IPv6
// nor DateTime64: there addresses are FixedString(16) (IPv6 or IPv4-mapped,
// network order; IPv6NumToString shows them) and each time is a DateTime plus
// its milliseconds in a <name>_msec column. Current releases get IPv6 and
// DateTime64(3). Either way the column names are csv_writer's field names.
enum class Schema { legacy, current };

// "18.16.1" or "24.8.4.13", as SELECT version() answers.
struct ServerVersion {
  int major = 0;
  int minor = 0;
  static std::optional<ServerVersion> parse(std::string_view text);
};

// IPv6 and DateTime64 are both there from 20.1 on.
Schema schema_for(ServerVersion version) noexcept;
std::string_view schema_name(Schema schema) noexcept;  // "legacy (ClickHouse < 20.1)" ...

// A column of fixed-width values is encoded as its values written `stride`
// bytes apart (the fixed columns' row width in RowBinary, the value's own
// width in Native). A String column (a text field: a name enrich added) has
// no width: its values are the texts its field's ids stand for, each as
// RowBinary and Native write a String (a varint length, then the bytes). The
// String columns come after the fixed ones, so a RowBinary row is its fixed
// part, encoded as a whole, and then its strings.
struct Column {
  std::string_view name;
  std::string_view type;  // as system.columns spells it
  std::string_view comment;
  std::size_t width;  // bytes per value; 0: a String column
  void (*encode)(std::span<const FlowRecord> flows, std::byte* out, std::size_t stride);  // fixed-width only
  // A column added after tables were first made (record v3's flows, BGP next
  // hop, countries, interface speeds and boundaries): a table without it is
  // still written, and create_table adds it.
  bool added_later = false;
  // What rows that do not give the column read (a DEFAULT expression), empty
  // for the type's zero: flows is 1, as each row written before it was a flow.
  std::string_view default_expression = {};
  // A String column: the text field whose ids (into the run's TextTable) it holds.
  const FieldInfo* text = nullptr;
};

std::span<const Column> columns(Schema schema) noexcept;

// CREATE TABLE IF NOT EXISTS for the schema: MergeTree, a partition per (UTC)
// day, ordered by (exporter, first), which serves per-exporter time ranges.
std::string create_table_sql(std::string_view database, std::string_view table, Schema schema);

// "flows UInt64 DEFAULT 1 COMMENT '...'", as CREATE TABLE and ALTER TABLE
// ... ADD COLUMN take it.
std::string column_definition(const Column& column);

// `database`.`table`
std::string qualified_name(std::string_view database, std::string_view table);

// `name` and 'text' in ClickHouse SQL, with what needs escaping escaped.
std::string quote_identifier(std::string_view name);
std::string quote_string(std::string_view text);

}  // namespace sluice::clickhouse_http
