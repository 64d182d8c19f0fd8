#include "sluice/clickhouse_http/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <iterator>
#include <utility>

#include "sluice/fields.h"

namespace sluice::clickhouse_http {
namespace {

static_assert(std::endian::native == std::endian::little, "RowBinary and Native are little-endian: values are copied");

template <auto value_of>
void encode_column(std::span<const FlowRecord> flows, std::byte* out, std::size_t stride) {
  for (const FlowRecord& flow : flows) {
    const auto value = value_of(flow);
    std::memcpy(out, &value, sizeof value);
    out += stride;
  }
}

// A column whose values are value_of(flow); the value's type fixes the width.
template <auto value_of>
constexpr Column column(std::string_view name, std::string_view type, std::string_view comment) {
  return {name, type, comment, sizeof(value_of(FlowRecord{})), &encode_column<value_of>};
}

// A member's bytes as they are: ClickHouse's integers are little-endian as
// FlowRecord's; an address is its 16 bytes (FixedString(16) and IPv6 alike),
// a country its two characters.
template <std::size_t offset, std::size_t width>
void encode_member(std::span<const FlowRecord> flows, std::byte* out, std::size_t stride) {
  for (const FlowRecord& flow : flows) {
    std::memcpy(out, reinterpret_cast<const std::byte*>(&flow) + offset, width);
    out += stride;
  }
}

// A MAC address as ClickHouse's MAC functions take it: the 48 bits in a
// UInt64, first byte most significant.
template <std::size_t offset>
void encode_mac(std::span<const FlowRecord> flows, std::byte* out, std::size_t stride) {
  for (const FlowRecord& flow : flows) {
    MacAddress mac;
    std::memcpy(&mac, reinterpret_cast<const std::byte*>(&flow) + offset, sizeof mac);
    std::uint64_t value = 0;
    for (const std::uint8_t b : mac.bytes) value = value << 8 | b;
    std::memcpy(out, &value, sizeof value);
    out += stride;
  }
}

// The table has a column for every field of the registry (sluice/fields.h)
// but the times (their types differ between the schemas) and duration (last -
// first). The texts' String columns come last (see Column).
constexpr bool stored(const FieldInfo& f) { return f.kind != FieldKind::time && f.kind != FieldKind::duration; }
constexpr bool stored_fixed(const FieldInfo& f) { return stored(f) && f.kind != FieldKind::text; }
constexpr bool stored_text(const FieldInfo& f) { return f.kind == FieldKind::text; }

constexpr std::string_view unsigned_type(std::size_t width) {
  return width == 1 ? "UInt8" : width == 2 ? "UInt16" : width == 4 ? "UInt32" : "UInt64";
}

template <Field field>
constexpr Column field_column(std::string_view address_type) {
  constexpr FieldInfo f = info(field);
  Column c{f.name, unsigned_type(f.width), f.help, f.width, &encode_member<f.offset, f.width>};
  if constexpr (f.kind == FieldKind::address) c.type = address_type;
  if constexpr (f.kind == FieldKind::country) c.type = "FixedString(2)";
  if constexpr (f.kind == FieldKind::boundary) c.type = "Enum8('' = 0, 'external' = 1, 'internal' = 2)";
  if constexpr (f.kind == FieldKind::mac) c = {f.name, "UInt64", f.help, 8, &encode_mac<f.offset>};
  // Plain String: LowCardinality(String) needs a setting on 18.16
  // (allow_experimental_low_cardinality_type).
  if constexpr (f.kind == FieldKind::text)
    c = {.name = f.name, .type = "String", .comment = f.help, .width = 0, .encode = nullptr, .text = &info(field)};
  // Record v3's fields came after the first tables were made.
  c.added_later = field >= Field::flows;
  if constexpr (field == Field::flows) c.default_expression = "1";  // each row written before was a flow
  return c;
}

constexpr std::size_t stored_fields = std::ranges::count_if(field_table, stored);

// The stored fields' columns in the registry's order, the fixed ones first.
template <std::size_t... I>
constexpr std::array<Column, stored_fields> registry_columns(std::string_view address_type, std::index_sequence<I...>) {
  const Column all[] = {field_column<static_cast<Field>(I)>(address_type)...};
  std::array<Column, stored_fields> columns{};
  std::size_t n = 0;
  for (const auto wanted : {stored_fixed, stored_text})
    for (std::size_t i = 0; i < sizeof...(I); ++i)
      if (wanted(field_table[i])) columns[n++] = all[i];
  return columns;
}

constexpr auto flow_columns(std::string_view address_type) {
  return registry_columns(address_type, std::make_index_sequence<std::size(field_table)>{});
}

template <std::size_t N, std::size_t M>
constexpr std::array<Column, N + M> join(const std::array<Column, N>& a, const std::array<Column, M>& b) {
  std::array<Column, N + M> all{};
  for (std::size_t i = 0; i < N; ++i) all[i] = a[i];
  for (std::size_t i = 0; i < M; ++i) all[N + i] = b[i];
  return all;
}

constexpr std::uint32_t seconds(std::uint64_t ms) { return static_cast<std::uint32_t>(ms / 1000); }
constexpr std::uint16_t millis(std::uint64_t ms) { return static_cast<std::uint16_t>(ms % 1000); }
constexpr std::int64_t signed_ms(std::uint64_t ms) { return static_cast<std::int64_t>(ms); }

constexpr auto legacy_columns = join(
    std::array{
        column<[](const FlowRecord& f) { return seconds(f.first_ms); }>("first", "DateTime('UTC')", "first packet"),
        column<[](const FlowRecord& f) { return millis(f.first_ms); }>("first_msec", "UInt16", "milliseconds of first"),
        column<[](const FlowRecord& f) { return seconds(f.last_ms); }>("last", "DateTime('UTC')", "last packet"),
        column<[](const FlowRecord& f) { return millis(f.last_ms); }>("last_msec", "UInt16", "milliseconds of last"),
        column<[](const FlowRecord& f) { return seconds(f.received_ms); }>("received", "DateTime('UTC')",
                                                                           "when collected; 1970: unknown"),
        column<[](const FlowRecord& f) { return millis(f.received_ms); }>("received_msec", "UInt16",
                                                                          "milliseconds of received"),
    },
    flow_columns("FixedString(16)"));

constexpr auto current_columns = join(
    std::array{
        column<[](const FlowRecord& f) { return signed_ms(f.first_ms); }>("first", "DateTime64(3, 'UTC')",
                                                                          "first packet"),
        column<[](const FlowRecord& f) { return signed_ms(f.last_ms); }>("last", "DateTime64(3, 'UTC')", "last packet"),
        column<[](const FlowRecord& f) { return signed_ms(f.received_ms); }>("received", "DateTime64(3, 'UTC')",
                                                                             "when collected; 1970: unknown"),
    },
    flow_columns("IPv6"));

// `text` between `quote`s, with the quote and backslash escaped.
std::string quoted(std::string_view text, char quote) {
  std::string out(1, quote);
  for (const char c : text) {
    if (c == quote || c == '\\') out += '\\';
    out += c;
  }
  return out + quote;
}

}  // namespace

std::optional<ServerVersion> ServerVersion::parse(std::string_view text) {
  ServerVersion v;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v.major);
  if (ec != std::errc{} || p == end || *p != '.') return std::nullopt;
  auto [q, ec2] = std::from_chars(p + 1, end, v.minor);
  if (ec2 != std::errc{}) return std::nullopt;
  return v;
}

Schema schema_for(ServerVersion version) noexcept {
  return std::pair(version.major, version.minor) >= std::pair(20, 1) ? Schema::current : Schema::legacy;
}

std::string_view schema_name(Schema schema) noexcept {
  return schema == Schema::current ? "current (IPv6, DateTime64(3))" : "legacy (FixedString(16), DateTime + msec)";
}

std::span<const Column> columns(Schema schema) noexcept {
  if (schema == Schema::current) return current_columns;
  return legacy_columns;
}

std::string create_table_sql(std::string_view database, std::string_view table, Schema schema) {
  std::string sql = fmt::format("CREATE TABLE IF NOT EXISTS {}\n(\n", qualified_name(database, table));
  const auto all = columns(schema);
  for (const Column& c : all) {
    sql += "    " + column_definition(c);
    sql += &c == &all.back() ? "\n" : ",\n";
  }
  sql +=
      ")\n"
      "ENGINE = MergeTree\n"
      "PARTITION BY toDate(first)\n"
      "ORDER BY (exporter, first)\n";
  return sql;
}

std::string column_definition(const Column& c) {
  std::string sql = fmt::format("{} {}", c.name, c.type);
  if (!c.default_expression.empty()) sql += fmt::format(" DEFAULT {}", c.default_expression);
  if (!c.comment.empty()) sql += " COMMENT " + quote_string(c.comment);
  return sql;
}

std::string qualified_name(std::string_view database, std::string_view table) {
  return quote_identifier(database) + "." + quote_identifier(table);
}

std::string quote_identifier(std::string_view name) { return quoted(name, '`'); }
std::string quote_string(std::string_view text) { return quoted(text, '\''); }

}  // namespace sluice::clickhouse_http
