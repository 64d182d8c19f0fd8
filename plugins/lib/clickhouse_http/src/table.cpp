#include "sluice/clickhouse_http/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

namespace sluice::clickhouse_http {
namespace {

// "DateTime64(3, 'UTC')" and "DateTime64(3,'UTC')" are the same type.
std::string without_spaces(std::string_view type) {
  std::string out;
  for (const char c : type)
    if (c != ' ') out += c;
  return out;
}

// The columns database.table has, by name; empty when there is no such table.
std::map<std::string, std::string> table_columns(Client& client, const std::string& database,
                                                 const std::string& table) {
  const std::string answer = client.execute(
      fmt::format("SELECT name, type FROM system.columns WHERE database = {} AND table = {} FORMAT TabSeparatedRaw",
                  quote_string(database), quote_string(table)));
  std::map<std::string, std::string> found;
  std::string_view rest = answer;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (const auto tab = line.find('\t'); tab != std::string_view::npos)
      found.emplace(line.substr(0, tab), without_spaces(line.substr(tab + 1)));
  }
  return found;
}

// What keeps `found` from holding the schema's columns: "first is DateTime,
// expected DateTime64(3, 'UTC')"...; empty when nothing does. A column added
// later may be missing.
std::vector<std::string> mismatches(const std::map<std::string, std::string>& found, Schema schema) {
  std::vector<std::string> problems;
  for (const Column& c : columns(schema)) {
    const auto it = found.find(std::string(c.name));
    if (it == found.end()) {
      if (!c.added_later) problems.push_back(fmt::format("no column {} ({})", c.name, c.type));
    } else if (it->second != without_spaces(c.type)) {
      problems.push_back(fmt::format("{} is {}, expected {}", c.name, it->second, c.type));
    }
  }
  return problems;
}

// The columns added later that the table does not have.
std::vector<Column> missing_columns(const std::map<std::string, std::string>& found, Schema schema) {
  std::vector<Column> missing;
  for (const Column& c : columns(schema))
    if (!found.contains(std::string(c.name))) missing.push_back(c);
  return missing;
}

void add_columns(Client& client, const std::string& name, std::span<const Column> missing) {
  std::string sql = "ALTER TABLE " + name;
  for (const Column& c : missing) {
    sql += fmt::format("{} ADD COLUMN {}", &c == missing.data() ? "" : ",", column_definition(c));
  }
  client.execute(sql);
}

}  // namespace

ServerVersion server_version(Client& client) {
  const std::string answer = client.execute("SELECT version()");
  const auto version = ServerVersion::parse(answer);
  if (!version)
    throw Error(fmt::format("ClickHouse at {} gave a version sluice cannot read: \"{}\"", client.endpoint().address(),
                            answer.substr(0, 40)),
                false);
  return *version;
}

FlowTable FlowTable::open(Client& client, const std::string& database, const std::string& table, bool create) {
  const Schema server_schema = schema_for(server_version(client));
  auto found = table_columns(client, database, table);
  const std::string name = qualified_name(database, table);
  if (found.empty()) {
    if (!create)
      throw Error(fmt::format("table {} does not exist on ClickHouse at {}: create it with `sluice schema "
                              "clickhouse --table {}` (its SQL), or set create_table = true",
                              name, client.endpoint().address(), table),
                  false);
    client.execute(create_table_sql(database, table, server_schema));
    found = table_columns(client, database, table);
  }
  for (const Schema schema : {server_schema, server_schema == Schema::current ? Schema::legacy : Schema::current}) {
    if (!mismatches(found, schema).empty()) continue;
    const auto missing = missing_columns(found, schema);
    if (create && !missing.empty()) add_columns(client, name, missing);
    std::vector<Column> written;
    std::vector<std::string> left_out;
    for (const Column& c : clickhouse_http::columns(schema)) {
      if (create || found.contains(std::string(c.name)))
        written.push_back(c);
      else
        left_out.emplace_back(c.name);
    }
    return FlowTable(database, table, schema, std::move(written), std::move(left_out));
  }
  std::string problems;
  for (const std::string& problem : mismatches(found, server_schema)) problems += "\n  " + problem;
  throw Error(fmt::format("table {} on ClickHouse at {} does not have the columns sluice writes ({} schema; "
                          "`sluice schema clickhouse` prints it):{}",
                          name, client.endpoint().address(), schema_name(server_schema), problems),
              false);
}

std::string FlowTable::name() const { return qualified_name(database_, table_); }

bool FlowTable::columns_match(const FlowTable& other) const noexcept {
  return std::equal(columns_.begin(), columns_.end(), other.columns_.begin(), other.columns_.end(),
                    [](const Column& a, const Column& b) { return a.name == b.name && a.type == b.type; });
}

std::string FlowTable::insert_query(Format format) const {
  std::string names;
  for (const Column& c : columns_) {
    if (!names.empty()) names += ", ";
    names += c.name;
  }
  return fmt::format("INSERT INTO {} ({}) FORMAT {}", name(), names, format_name(format));
}

}  // namespace sluice::clickhouse_http
