// The flows table on a server: found or created, its columns checked, and
// the INSERT that writes it.
#pragma once

#include <string>

#include "sluice/clickhouse_http/client.h"
#include "sluice/clickhouse_http/encoder.h"
#include "sluice/clickhouse_http/schema.h"

namespace sluice::clickhouse_http {

class FlowTable {
 public:
  // Asks the server for its version and the table's columns. A table that
  // exists must have every column of one schema with that schema's type
  // (other columns are left to their defaults). A missing table is created
  // with the schema the server's version supports when `create` is true,
  // else a permanent Error that says how to create it. Throws Error.
  static FlowTable open(Client& client, const std::string& database, const std::string& table, bool create);

  Schema schema() const noexcept { return schema_; }
  std::string name() const;  // `database`.`table`
  std::string insert_query(Format format) const;

 private:
  FlowTable(std::string database, std::string table, Schema schema)
      : database_(std::move(database)), table_(std::move(table)), schema_(schema) {}

  std::string database_;
  std::string table_;
  Schema schema_;
};

// SELECT version(), parsed.
ServerVersion server_version(Client& client);

}  // namespace sluice::clickhouse_http
