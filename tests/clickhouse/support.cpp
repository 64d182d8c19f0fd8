#include "support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace sluice::clickhouse_http::test {
namespace {

std::string users_xml() {
  return std::string(R"(<yandex>
  <profiles><default/></profiles>
  <quotas><default/></quotas>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <)") +
         ClickHouseServer::user +
         R"(>
      <password>)" +
         ClickHouseServer::password + R"(</password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </)" +
         ClickHouseServer::user +
         R"(>
  </users>
</yandex>
)";
}

}  // namespace

ClickHouseServer::ClickHouseServer()
    : http_port_(testing::free_tcp_port()),
      tcp_port_(testing::free_tcp_port()),
      interserver_port_(testing::free_tcp_port()) {
  dir_.write("users.xml", users_xml());
  start();
}

ClickHouseServer& ClickHouseServer::shared() {
  static ClickHouseServer server;
  return server;
}

void ClickHouseServer::start() {
  const std::string d = dir_.path().string() + "/";
  process_ = std::make_unique<testing::Process>(std::vector<std::string>{
      "clickhouse-server", "--config-file=/etc/clickhouse-server/config.xml", "--", "--path=" + d,
      "--tmp_path=" + d + "tmp/", "--user_files_path=" + d + "uf/", "--format_schema_path=" + d + "fs/",
      "--users_config=" + d + "users.xml", "--logger.log=" + d + "log", "--logger.errorlog=" + d + "err",
      "--logger.level=warning", "--listen_host=127.0.0.1", "--http_port=" + std::to_string(http_port_),
      "--tcp_port=" + std::to_string(tcp_port_), "--interserver_http_port=" + std::to_string(interserver_port_)});
  if (!testing::eventually([&] { return answers_ping() || !process_->running(); }, std::chrono::seconds(30)) ||
      !answers_ping()) {
    const auto ended = process_->wait(std::chrono::seconds(1));
    throw std::runtime_error("clickhouse-server did not start: " + ended.err + testing::read_file(dir_ / "err"));
  }
}

void ClickHouseServer::kill() {
  process_->signal(SIGKILL);
  process_->wait();
}

bool ClickHouseServer::answers_ping() const {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(http_port_);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET /ping HTTP/1.0\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buffer[512];
      for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  return answer.starts_with("HTTP/1.0 200") && answer.ends_with("Ok.\n");
}

std::string ClickHouseServer::query(const std::string& sql) const {
  const auto result =
      testing::run({"clickhouse-client", "--host=127.0.0.1", "--port=" + std::to_string(tcp_port_), "--query=" + sql});
  if (result.exit_code != 0) {
    ADD_FAILURE() << "clickhouse-client --query \"" << sql << "\" exited " << result.exit_code << ": " << result.err;
    return "";
  }
  return result.out;
}

}  // namespace sluice::clickhouse_http::test

namespace sluice::clickhouse_http::test {
namespace {

// A FixedString(16) address as csv_writer prints it: IPv4-mapped ones
// dotted, none (all zeros) empty, the rest as IPv6NumToString prints them.
std::string address(const std::string& column) {
  const std::string text = "IPv6NumToString(" + column + ")";
  return "if(" + text + " = '::', '', replaceRegexpOne(" + text +
         R"sql(, '^::ffff:(\\d+\\.\\d+\\.\\d+\\.\\d+)$', '\\1')))sql";
}

// A next hop as csv_writer's default layout prints it: 0.0.0.0 (the "none"
// of a NetFlow v5 or IPv4 exporter) empty too.
std::string next_hop(const std::string& column) {
  return "if(IPv6NumToString(" + column + ") = '::ffff:0.0.0.0', '', " + address(column) + ")";
}

// A UInt64 MAC as csv_writer prints it: lower case, none (zero) empty.
std::string mac(const std::string& column) {
  return "if(" + column + " = 0, '', lower(MACNumToString(" + column + ")))";
}

std::string epoch_ms(const std::string& column) { return "toUInt64(" + column + ") * 1000 + " + column + "_msec"; }

}  // namespace

SilentServer::SilentServer() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 4) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
    throw std::runtime_error("SilentServer: no listening socket on loopback");
  port_ = ntohs(addr.sin_port);
}

SilentServer::~SilentServer() { close(fd_); }

std::vector<Field> stored_csv_fields() {
  std::vector<Field> fields;
  for (const FieldInfo& field : sluice::fields())
    if (field.field != Field::duration) fields.push_back(field.field);
  return fields;
}

std::string select_as_csv_writer(const std::string& table) {
  std::string columns;
  for (const Field f : stored_csv_fields()) {
    const std::string field(name_of(f));
    if (!columns.empty()) columns += ", ";
    if (field == "first" || field == "last" || field == "received")
      columns += epoch_ms(field);
    else if (field == "next_hop" || field == "bgp_next_hop")
      columns += next_hop(field);
    else if (field.ends_with("_country"))
      columns += "replaceAll(" + field + ", '\\0', '')";  // FixedString(2)'s zero bytes: unknown, empty
    else if (field.ends_with("_addr") || field == "exporter")
      columns += address(field);
    else if (field.ends_with("_mac"))
      columns += mac(field);
    else
      columns += field;
  }
  return "SELECT " + columns + " FROM " + table + " FORMAT CSV";
}

std::vector<std::vector<std::string>> sorted_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"')
        cell += c;
      else if (i + 1 < text.size() && text[i + 1] == '"')
        cell += text[++i];
      else
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',' || c == '\n') {
      row.push_back(std::move(cell));
      cell.clear();
      if (c == '\n') rows.push_back(std::exchange(row, {}));
    } else {
      cell += c;
    }
  }
  if (!cell.empty() || !row.empty()) {
    row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace sluice::clickhouse_http::test
