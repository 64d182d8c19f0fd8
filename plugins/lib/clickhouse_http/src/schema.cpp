#include "sluice/clickhouse_http/schema.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <utility>

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

constexpr Column with_default(Column c, std::string_view expression) {
  c.default_expression = expression;
  return c;
}

template <auto value_of>
constexpr Column later_column(std::string_view name, std::string_view type, std::string_view comment) {
  Column c = column<value_of>(name, type, comment);
  c.added_later = true;
  return c;
}

// A MAC address as ClickHouse's MAC functions take it: the 48 bits in a
// UInt64, first byte most significant.
constexpr std::uint64_t mac(const MacAddress& address) {
  std::uint64_t value = 0;
  for (const std::uint8_t b : address.bytes) value = value << 8 | b;
  return value;
}

// Every field of FlowRecord after the times: csv_writer's fields in its
// order, then those it does not print. Only the address type differs
// between the schemas.
constexpr auto flow_columns(std::string_view address_type) {
  using F = const FlowRecord&;
  return std::array{
      column<[](F f) { return f.src_addr.bytes; }>("src_addr", address_type, "source"),
      column<[](F f) { return f.dst_addr.bytes; }>("dst_addr", address_type, "destination"),
      column<[](F f) { return f.src_port; }>("src_port", "UInt16", ""),
      column<[](F f) { return f.dst_port; }>("dst_port", "UInt16", "for ICMP: type * 256 + code"),
      column<[](F f) { return f.proto; }>("proto", "UInt8", "IP protocol number"),
      column<[](F f) { return f.tcp_flags; }>("tcp_flags", "UInt8", "OR of the packets' TCP flags"),
      column<[](F f) { return f.tos; }>("tos", "UInt8", "source ToS"),
      column<[](F f) { return f.dst_tos; }>("dst_tos", "UInt8", ""),
      column<[](F f) { return f.packets; }>("packets", "UInt64", ""),
      column<[](F f) { return f.bytes; }>("bytes", "UInt64", ""),
      column<[](F f) { return f.reverse_packets; }>("reverse_packets", "UInt64", "biflow"),
      column<[](F f) { return f.reverse_bytes; }>("reverse_bytes", "UInt64", "biflow"),
      column<[](F f) { return f.in_if; }>("in_if", "UInt32", "input ifIndex"),
      column<[](F f) { return f.out_if; }>("out_if", "UInt32", "output ifIndex"),
      column<[](F f) { return f.src_as; }>("src_as", "UInt32", ""),
      column<[](F f) { return f.dst_as; }>("dst_as", "UInt32", ""),
      column<[](F f) { return f.src_mask; }>("src_mask", "UInt8", "prefix length"),
      column<[](F f) { return f.dst_mask; }>("dst_mask", "UInt8", "prefix length"),
      column<[](F f) { return f.next_hop.bytes; }>("next_hop", address_type, "all zeros: none"),
      column<[](F f) { return f.exporter.bytes; }>("exporter", address_type, "the exporting device"),
      column<[](F f) { return f.engine_type; }>("engine_type", "UInt8", ""),
      column<[](F f) { return f.engine_id; }>("engine_id", "UInt8", ""),
      column<[](F f) { return f.observation_domain; }>("observation_domain", "UInt32",
                                                       "v9 source id, IPFIX observation domain"),
      column<[](F f) { return f.sampling_interval; }>("sampling_interval", "UInt32", "1 in N packets sampled"),
      column<[](F f) { return f.direction; }>("direction", "UInt8", "0 ingress, 1 egress"),
      column<[](F f) { return f.fwd_status; }>("fwd_status", "UInt8", ""),
      column<[](F f) { return f.label; }>("label", "UInt16", "generated flows: 0 background, else the scenario's"),
      column<[](F f) { return mac(f.src_mac); }>("src_mac", "UInt64", "MACNumToString shows it"),
      column<[](F f) { return mac(f.dst_mac); }>("dst_mac", "UInt64", "MACNumToString shows it"),
      column<[](F f) { return f.src_vlan; }>("src_vlan", "UInt16", "802.1Q; 0: untagged"),
      column<[](F f) { return f.dst_vlan; }>("dst_vlan", "UInt16", "802.1Q; 0: untagged"),
      with_default(later_column<[](F f) { return f.flows; }>("flows", "UInt64",
                                                             "flows the row stands for: 1, or an aggregate's"),
                   "1"),
      later_column<[](F f) { return f.bgp_next_hop.bytes; }>("bgp_next_hop", address_type, "all zeros: none"),
      later_column<[](F f) { return f.src_country; }>("src_country", "FixedString(2)",
                                                      "ISO 3166 alpha-2 (enrich); zero bytes: unknown"),
      later_column<[](F f) { return f.dst_country; }>("dst_country", "FixedString(2)",
                                                      "ISO 3166 alpha-2 (enrich); zero bytes: unknown"),
      later_column<[](F f) { return f.in_if_speed; }>("in_if_speed", "UInt32", "Mbit/s (enrich); 0: unknown"),
      later_column<[](F f) { return f.out_if_speed; }>("out_if_speed", "UInt32", "Mbit/s (enrich); 0: unknown"),
      later_column<[](F f) { return f.in_if_boundary; }>("in_if_boundary", "UInt8",
                                                         "0 undefined, 1 external, 2 internal (enrich)"),
      later_column<[](F f) { return f.out_if_boundary; }>("out_if_boundary", "UInt8",
                                                          "0 undefined, 1 external, 2 internal (enrich)"),
  };
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
