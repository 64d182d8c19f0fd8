// The flows table on a server: found or created, its columns checked, and
// the INSERT that writes it.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "sluice/clickhouse_http/client.h"
#include "sluice/clickhouse_http/encoder.h"
#include "sluice/clickhouse_http/schema.h"

namespace sluice::clickhouse_http {

class FlowTable {
 public:
  // Asks the server for its version and the table's columns. A table that
  // exists must have every column of one schema with that schema's type
  // (other columns are left to their defaults), but for the columns added
  // later (Column::added_later): those it lacks are added (ALTER TABLE ... ADD
  // COLUMN) when `create` is true, else left out of the INSERTs (left_out()
  // names them). A missing table is created with the schema the server's
  // version supports when `create` is true, else a permanent Error that says
  // how to create it. Throws Error.
  static FlowTable open(Client& client, const std::string& database, const std::string& table, bool create);

  Schema schema() const noexcept { return schema_; }
  std::span<const Column> columns() const noexcept { return columns_; }  // those the INSERTs write
  const std::vector<std::string>& left_out() const noexcept { return left_out_; }
  std::string name() const;  // `database`.`table`
  std::string insert_query(Format format) const;
  // The same columns with the same types: rows encoded for one are rows of the other.
  bool columns_match(const FlowTable& other) const noexcept;

 private:
  FlowTable(std::string database, std::string table, Schema schema, std::vector<Column> columns,
            std::vector<std::string> left_out)
      : database_(std::move(database)),
        table_(std::move(table)),
        schema_(schema),
        columns_(std::move(columns)),
        left_out_(std::move(left_out)) {}

  std::string database_;
  std::string table_;
  Schema schema_;
  std::vector<Column> columns_;
  std::vector<std::string> left_out_;
};

// SELECT version(), parsed.
ServerVersion server_version(Client& client);

}  // namespace sluice::clickhouse_http
