// Test support for the ClickHouse sink: a real server, and SQL that prints
// a flows table as csv_writer prints the same flows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "process.h"
#include "sluice/fields.h"

namespace sluice::clickhouse_http::test {

// A throwaway clickhouse-server (Debian's 18.16) for the tests of one
// program: its data in a temporary folder, HTTP and native TCP on free
// loopback ports, killed by its pid at the end.
class ClickHouseServer {
 public:
  // A user besides `default` (which has no password), for the tests of logging in.
  static constexpr const char* user = "sluice";
  static constexpr const char* password = "pw-of-the-sluice-user";

  ClickHouseServer();  // returns once /ping answers
  // The one server of this test program, started on first use.
  static ClickHouseServer& shared();

  unsigned short http_port() const noexcept { return http_port_; }
  unsigned short tcp_port() const noexcept { return tcp_port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }

  void start();  // (again) on the same folder and ports; returns once /ping answers
  void kill();   // SIGKILL: a crash, nothing flushed
  bool answers_ping() const;

  // clickhouse-client --query (the native protocol, not our HTTP client): its
  // output; a failing query fails the test and returns "".
  std::string query(const std::string& sql) const;

 private:
  testing::TempDir dir_;
  unsigned short http_port_;
  unsigned short tcp_port_;
  unsigned short interserver_port_;
  std::unique_ptr<testing::Process> process_;
};

// A server that takes connections and requests but never answers.
class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  std::string port() const { return std::to_string(port_); }

 private:
  int fd_;
  unsigned short port_ = 0;
};

// csv_writer's fields that the table stores (all but duration, which is
// last - first), for its `fields` option.
std::vector<Field> stored_csv_fields();

// SELECT ... FORMAT CSV of a table of the legacy schema that prints each
// flow as csv_writer prints stored_csv_fields() with time_format =
// "epoch_ms" and proto_names = false, once each cell's CSV quotes are read
// (ClickHouse quotes every string, csv_writer only a text that needs it).
std::string select_as_csv_writer(const std::string& table);

// The rows of CSV `text` (RFC 4180: quoted cells may hold commas, quotes and
// line breaks), each its cells unquoted, sorted: rows in any order compare equal.
std::vector<std::vector<std::string>> sorted_rows(const std::string& text);

}  // namespace sluice::clickhouse_http::test
