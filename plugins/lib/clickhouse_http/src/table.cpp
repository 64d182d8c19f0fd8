#include "sluice/clickhouse_http/table.h"

#include <fmt/format.h>

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
// expected DateTime64(3, 'UTC')"...; empty when nothing does.
std::vector<std::string> mismatches(const std::map<std::string, std::string>& found, Schema schema) {
  std::vector<std::string> problems;
  for (const Column& c : columns(schema)) {
    const auto it = found.find(std::string(c.name));
    if (it == found.end())
      problems.push_back(fmt::format("no column {} ({})", c.name, c.type));
    else if (it->second != without_spaces(c.type))
      problems.push_back(fmt::format("{} is {}, expected {}", c.name, it->second, c.type));
  }
  return problems;
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
    if (mismatches(found, schema).empty()) return FlowTable(database, table, schema);
  }
  std::string problems;
  for (const std::string& problem : mismatches(found, server_schema)) problems += "\n  " + problem;
  throw Error(fmt::format("table {} on ClickHouse at {} does not have the columns sluice writes ({} schema; "
                          "`sluice schema clickhouse` prints it):{}",
                          name, client.endpoint().address(), schema_name(server_schema), problems),
              false);
}

std::string FlowTable::name() const { return qualified_name(database_, table_); }

std::string FlowTable::insert_query(Format format) const {
  std::string names;
  for (const Column& c : columns(schema_)) {
    if (!names.empty()) names += ", ";
    names += c.name;
  }
  return fmt::format("INSERT INTO {} ({}) FORMAT {}", name(), names, format_name(format));
}

}  // namespace sluice::clickhouse_http
