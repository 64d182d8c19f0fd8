// The library against Debian's clickhouse-server: what we encode, the server
// reads back as csv_writer prints the same flows; failures are sorted into
// transient and permanent the way the sink needs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "clickhouse/support.h"
#include "files/support.h"  // sample_flows
#include "sluice/clickhouse_http/client.h"
#include "sluice/clickhouse_http/encoder.h"
#include "sluice/clickhouse_http/gzip.h"
#include "sluice/clickhouse_http/schema.h"
#include "sluice/clickhouse_http/table.h"
#include "sluice/clickhouse_http/writer.h"
#include "sluice/csv/formatter.h"

namespace sluice::clickhouse_http {
namespace {

using test::ClickHouseServer;
using ::testing::HasSubstr;
using ::testing::Not;

ClickHouseServer& server() { return ClickHouseServer::shared(); }

// The Error `action` throws; a test failure when it throws none.
template <class Action>
Error error_from(Action action) {
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error("no error", true);
}

Endpoint endpoint(std::string user = ClickHouseServer::user, std::string password = ClickHouseServer::password) {
  Endpoint e = Endpoint::from_url(server().url());
  e.user = std::move(user);
  e.password = std::move(password);
  return e;
}

// A fresh table of the legacy schema (the server's), named for the test.
std::string fresh_table(const std::string& name) {
  server().query("DROP TABLE IF EXISTS default." + name);
  server().query(create_table_sql("default", name, Schema::legacy));
  return "default." + name;
}

// The texts of the flows the tests store, as a run's table holds them.
InternedTexts& texts() {
  static InternedTexts table;
  return table;
}

// What csv_writer prints for the stored fields: the reference.
std::vector<std::vector<std::string>> csv_writer_rows(std::span<const FlowRecord> flows) {
  csv::DefaultLayout layout;
  layout.fields = test::stored_csv_fields();
  layout.time_format = csv::TimeFormat::epoch_ms;
  layout.proto_names = false;
  layout.texts = &texts();
  csv::Buffer out;
  csv::make_default_formatter(layout)->rows(flows, out);
  return test::sorted_rows(std::string(out.view()));
}

// What the server holds of `table`, as csv_writer prints it.
std::vector<std::vector<std::string>> stored_rows(const std::string& table) {
  return test::sorted_rows(server().query(test::select_as_csv_writer(table)));
}

// Names as enrich may give them: with the CSV's and SQL's special characters,
// UTF-8, longer than a one-byte length (a varint of two bytes), empty.
void set_names(std::span<FlowRecord> flows) {
  const std::string names[] = {"Example Corp, Inc.", "xe-0/0/1",    "transit: \"Cogent\" 10G",   "it's a back\\slash",
                               "Zürich — 東京",      "line\nbreak", std::string(300, 'x') + "é", ""};
  std::size_t n = 0;
  for (std::size_t i = 0; i < flows.size(); i += 4)
    for (const FieldInfo& f : sluice::fields())
      if (f.kind == FieldKind::text) set_unsigned_value(flows[i], f, texts().intern(names[n++ % std::size(names)]));
}

// sample_flows plus the corners: zeros everywhere, the largest values, IPv6
// forms that print specially; MACs, VLANs and labels on some; names on a quarter.
std::vector<FlowRecord> flows_to_store() {
  auto flows = sluice::test::sample_flows(5000, 7);
  set_names(flows);
  for (std::size_t i = 0; i < flows.size(); i += 3) {
    for (std::uint8_t b = 0; b < 6; ++b) {
      flows[i].src_mac.bytes[b] = static_cast<std::uint8_t>(i * 7 + b);
      flows[i].dst_mac.bytes[b] = static_cast<std::uint8_t>(0xf0 + b + i);
    }
    flows[i].src_vlan = static_cast<std::uint16_t>(i % 4095);
    flows[i].dst_vlan = static_cast<std::uint16_t>(4094 - i % 4095);
    flows[i].label = static_cast<std::uint16_t>(i % 7);
    static constexpr std::uint8_t export_versions[] = {5, 9, 10, sflow_5_export_version};
    flows[i].export_version = export_versions[i % std::size(export_versions)];
    flows[i].end_reason = static_cast<std::uint8_t>(i % 6);
    flows[i].biflow_direction = static_cast<std::uint8_t>(i % 4);
  }
  for (std::size_t i = 0; i < flows.size(); i += 5) {  // record v3: aggregates and what enrich adds
    flows[i].flows = 1 + i % 1000;
    flows[i].src_country = {'D', 'E'};
    flows[i].dst_country = {static_cast<char>('A' + i % 26), 'Z'};
    flows[i].in_if_speed = static_cast<std::uint32_t>(i * 1000);
    flows[i].out_if_speed = 400'000;
    flows[i].in_if_boundary = Boundary::external;
    flows[i].out_if_boundary = Boundary::internal;
  }
  FlowRecord zero;
  flows.push_back(zero);
  FlowRecord max;
  max.first_ms = 4'102'444'799'999;  // 2099-12-31T23:59:59.999Z
  max.last_ms = max.first_ms;
  max.received_ms = max.first_ms;
  max.packets = max.bytes = max.reverse_packets = max.reverse_bytes = UINT64_MAX;
  max.in_if = max.out_if = max.src_as = max.dst_as = max.observation_domain = max.sampling_interval = UINT32_MAX;
  max.src_port = max.dst_port = UINT16_MAX;
  max.proto = max.tcp_flags = max.tos = max.dst_tos = max.src_mask = max.dst_mask = UINT8_MAX;
  max.direction = max.fwd_status = max.engine_type = max.engine_id = UINT8_MAX;
  max.label = UINT16_MAX;
  const std::uint8_t loopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::uint8_t compatible[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1};
  std::uint8_t all_ones[16];
  std::fill(std::begin(all_ones), std::end(all_ones), 0xff);
  max.src_addr = IpAddress::v6(loopback6);
  max.dst_addr = IpAddress::v6(compatible);
  max.next_hop = IpAddress::v6(all_ones);
  max.exporter = IpAddress::v4(0xffffffff);
  max.src_mac.bytes.fill(0xff);
  max.flows = UINT64_MAX;
  max.bgp_next_hop = IpAddress::v6(all_ones);
  max.in_if_speed = max.out_if_speed = UINT32_MAX;
  max.src_vlan = max.dst_vlan = UINT16_MAX;
  max.end_reason = max.biflow_direction = max.export_version = UINT8_MAX;
  flows.push_back(max);
  return flows;
}

TEST(ServerVersion, ParsesWhatSelectVersionAnswers) {
  ASSERT_TRUE(ServerVersion::parse("18.16.1"));
  EXPECT_EQ(ServerVersion::parse("18.16.1")->major, 18);
  EXPECT_EQ(ServerVersion::parse("18.16.1")->minor, 16);
  EXPECT_EQ(schema_for(*ServerVersion::parse("18.16.1\n")), Schema::legacy);
  EXPECT_EQ(schema_for(*ServerVersion::parse("19.17.4.11")), Schema::legacy);
  EXPECT_EQ(schema_for(*ServerVersion::parse("20.1.2.4")), Schema::current);
  EXPECT_EQ(schema_for(*ServerVersion::parse("24.8.4.13")), Schema::current);
  EXPECT_FALSE(ServerVersion::parse("version"));
  EXPECT_FALSE(ServerVersion::parse("18"));
}

TEST(Schema, TheServerCreatesTheTableWithTheseColumns) {
  const std::string table = fresh_table("schema_columns");
  std::string expected;
  for (const Column& c : columns(Schema::legacy)) expected += std::string(c.name) + "\t" + std::string(c.type) + "\n";
  EXPECT_EQ(server().query("SELECT name, type FROM system.columns WHERE database = 'default' AND table = "
                           "'schema_columns' FORMAT TabSeparatedRaw"),
            expected);
  const std::string created = server().query("SHOW CREATE TABLE " + table + " FORMAT TabSeparatedRaw");
  EXPECT_THAT(created, HasSubstr("ENGINE = MergeTree PARTITION BY toDate(first) ORDER BY (exporter, first)"));
}

TEST(Schema, CurrentReleasesGetIPv6AndDateTime64) {
  // No current release is packaged for Debian 12: the current schema is the
  // legacy one with IPv6 and DateTime64(3) in place of FixedString(16) and
  // DateTime + _msec, value for value the same bytes but for the times.
  std::vector<std::string> legacy, current;
  for (const Column& c : columns(Schema::legacy)) {
    if (c.name.ends_with("_msec")) continue;
    const std::string type = c.type == "FixedString(16)"   ? "IPv6 16"
                             : c.type == "DateTime('UTC')" ? "DateTime64(3, 'UTC') 8"
                                                           : std::string(c.type) + " " + std::to_string(c.width);
    legacy.push_back(std::string(c.name) + " " + type);
  }
  for (const Column& c : columns(Schema::current))
    current.push_back(std::string(c.name) + " " + std::string(c.type) + " " + std::to_string(c.width));
  EXPECT_EQ(current, legacy);
  EXPECT_THAT(create_table_sql("db", "t`x", Schema::current), HasSubstr("CREATE TABLE IF NOT EXISTS `db`.`t\\`x`"));
}

TEST(Schema, QuotesNamesAndStrings) {
  EXPECT_EQ(quote_identifier("a`b\\c"), "`a\\`b\\\\c`");
  EXPECT_EQ(quote_string("it's \\"), "'it\\'s \\\\'");
}

class RoundTrip : public ::testing::TestWithParam<std::tuple<Format, bool>> {};

TEST_P(RoundTrip, TheServerReadsBackWhatCsvWriterPrints) {
  const auto [format, gzip] = GetParam();
  const std::string name = std::string("round_trip_") + std::string(format_name(format)) + (gzip ? "_gzip" : "");
  const std::string table = fresh_table(name);
  const auto flows = flows_to_store();
  // As batches arrive, each encoded on its own (and deflated on its own),
  // the pieces joined into one body (with gzip, into one gzip member).
  RowsEncoder encoder(columns(Schema::legacy), {.format = format, .gzip = gzip, .texts = &texts()});
  std::vector<EncodedRows> pieces;
  for (std::size_t at = 0; at < flows.size(); at += 1000)
    pieces.push_back(encoder.encode(std::span(flows).subspan(at, std::min<std::size_t>(1000, flows.size() - at))));
  std::vector<std::span<const std::byte>> body;
  GzipMember member;
  std::size_t bytes = 0, sent = 0;
  if (gzip) body.push_back(GzipMember::header());
  for (const EncodedRows& piece : pieces) {
    body.push_back(piece.data.view());
    member.add(piece.crc, piece.bytes);
    bytes += piece.bytes;
    sent += piece.data.size();
  }
  if (gzip) {
    body.push_back(member.end());
    EXPECT_LT(sent, bytes / 2);
  }

  Client client(endpoint(), std::chrono::seconds(10));
  client.execute("INSERT INTO " + table + " FORMAT " + std::string(format_name(format)), body, gzip ? "gzip" : "");
  EXPECT_EQ(stored_rows(table), csv_writer_rows(flows));
  if (format == Format::native) {  // (a part for each day's partition)
    EXPECT_EQ(server().query("SELECT count() FROM system.parts WHERE active AND table = '" + name + "'"),
              server().query("SELECT uniqExact(toDate(first)) FROM " + table))
        << "a Native block a batch, joined into one block by the server";
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip,
                         ::testing::Combine(::testing::Values(Format::row_binary, Format::native), ::testing::Bool()));

TEST(Encoder, RefusesAStringColumnBeforeTheFixedOnes) {
  std::vector<Column> mixed(columns(Schema::legacy).begin(), columns(Schema::legacy).end());
  const auto first_string = std::find_if(mixed.begin(), mixed.end(), [](const Column& c) { return c.text; });
  ASSERT_NE(first_string, mixed.end());
  std::rotate(mixed.begin(), first_string, first_string + 1);
  EXPECT_THROW(Encoder(Format::row_binary, mixed, &texts()), std::invalid_argument);
}

TEST(Client, LogsInAndKeepsItsConnection) {
  Client client(endpoint(), std::chrono::seconds(10));
  // As the user with a password (AWrongPasswordIsPermanentAndNeverShown: it is checked).
  EXPECT_EQ(client.execute("SELECT 1"), "1\n");
  EXPECT_EQ(client.execute("SELECT 2"), "2\n");
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(Client, AWrongPasswordIsPermanentAndNeverShown) {
  const std::string wrong = "not-the-Pa55word";
  Client client(endpoint(ClickHouseServer::user, wrong), std::chrono::seconds(10));
  const Error e = error_from([&] { client.execute("SELECT 1"); });
  EXPECT_FALSE(e.transient());
  EXPECT_THAT(e.what(), HasSubstr("answered 401 Unauthorized: Code: 193"));
  EXPECT_THAT(e.what(), HasSubstr("Wrong password for user sluice"));
  EXPECT_THAT(e.what(), Not(HasSubstr(wrong)));
}

TEST(Client, ThePasswordIsMaskedInWhatTheServerSays) {
  // The server quotes a query back; the password in it is masked.
  Client client(endpoint(), std::chrono::seconds(10));
  const Error e =
      error_from([&] { client.execute(std::string("SELECT `nonesuch_") + ClickHouseServer::password + "`"); });
  EXPECT_FALSE(e.transient());
  EXPECT_THAT(e.what(), Not(HasSubstr(ClickHouseServer::password)));
  EXPECT_THAT(e.what(), HasSubstr("nonesuch_***"));
}

TEST(Client, ErrorsInTheRequestArePermanentAndQuoteClickHouse) {
  fresh_table("errors");
  Client client(endpoint(), std::chrono::seconds(10));
  const auto error_of = [&](const std::string& query, std::string_view body) {
    const std::span<const std::byte> piece(reinterpret_cast<const std::byte*>(body.data()), body.size());
    return error_from([&] { client.execute(query, std::span(&piece, 1)); });
  };
  const Error missing = error_of("INSERT INTO default.nonesuch FORMAT RowBinary", "x");
  EXPECT_FALSE(missing.transient());
  EXPECT_THAT(missing.what(), HasSubstr("404 Not Found: Code: 60, e.displayText() = DB::Exception: Table "
                                        "default.nonesuch doesn't exist"));
  // 18.16 answers 500 to data it cannot read: still the request's fault.
  const Error short_row = error_of("INSERT INTO default.errors FORMAT RowBinary", "xy");
  EXPECT_FALSE(short_row.transient());
  EXPECT_THAT(short_row.what(), HasSubstr("500 Internal Server Error: Code: 33"));
  const Error unknown_column = error_of("INSERT INTO default.errors (nonesuch) FORMAT RowBinary", "x");
  EXPECT_FALSE(unknown_column.transient());
  EXPECT_THAT(unknown_column.what(), HasSubstr("No such column nonesuch"));
}

TEST(Client, ARefusedConnectionIsTransient) {
  Endpoint e = endpoint();
  e.port = std::to_string(testing::free_tcp_port());  // nobody listens there
  Client client(e, std::chrono::seconds(10));
  const Error err = error_from([&] { client.execute("SELECT 1"); });
  EXPECT_TRUE(err.transient());
  EXPECT_FALSE(err.maybe_applied());
  EXPECT_THAT(err.what(), HasSubstr("cannot connect to ClickHouse at 127.0.0.1:" + e.port + ": Connection refused"));
}

TEST(Client, NoAnswerInTimeIsTransientAndMayHaveBeenApplied) {
  test::SilentServer silent;
  Endpoint e = endpoint();
  e.port = silent.port();
  Client client(e, std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  const Error err = error_from([&] { client.execute("SELECT 1"); });
  EXPECT_TRUE(err.transient());
  EXPECT_TRUE(err.maybe_applied());
  EXPECT_THAT(err.what(), HasSubstr("no answer from ClickHouse at 127.0.0.1:" + e.port + ": nothing within 300 ms"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(Client, ServerErrorsAreTransientUnlessTheRequestIsAtFault) {
  EXPECT_TRUE(is_transient(500, 252));  // TOO_MANY_PARTS
  EXPECT_TRUE(is_transient(503, 0));
  EXPECT_TRUE(is_transient(500, 241));  // MEMORY_LIMIT_EXCEEDED
  EXPECT_TRUE(is_transient(429, 0));
  EXPECT_TRUE(is_transient(408, 0));
  EXPECT_FALSE(is_transient(500, 33));  // CANNOT_READ_ALL_DATA
  EXPECT_FALSE(is_transient(501, 48));  // NOT_IMPLEMENTED
  EXPECT_FALSE(is_transient(400, 62));
  EXPECT_FALSE(is_transient(404, 60));
  EXPECT_FALSE(is_transient(401, 193));
  EXPECT_EQ(error_code("", "Code: 60, e.displayText() = ..."), 60);
  EXPECT_EQ(error_code("81", "Code: 60. DB::Exception"), 81);
  EXPECT_EQ(error_code("", "no code"), 0);
}

TEST(Client, ReconnectsAfterTheServerRestarts) {
  Client client(endpoint(), std::chrono::seconds(10));
  EXPECT_EQ(client.execute("SELECT 1"), "1\n");
  server().kill();
  server().start();
  // The kept connection was closed by the server's end: seen before it is
  // used, so the next request goes out on a new one and succeeds.
  EXPECT_EQ(client.execute("SELECT 2"), "2\n");
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(Client, RunsRequestsSideBySide) {
  Client client(endpoint(), std::chrono::seconds(10), 3);
  std::vector<std::string> answers;
  for (int i = 0; i < 3; ++i)
    client.start("SELECT sleep(0.2), " + std::to_string(i) + " FORMAT TSV", {}, {},
                 [&](Outcome&& o) { answers.push_back(o.error ? o.error->what() : o.answer); });
  EXPECT_EQ(client.running(), 3u);
  EXPECT_EQ(client.idle(), 0u);
  const auto started = std::chrono::steady_clock::now();
  while (client.running() > 0) client.wait();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(550));
  std::sort(answers.begin(), answers.end());
  EXPECT_EQ(answers, (std::vector<std::string>{"0\t0\n", "0\t1\n", "0\t2\n"}));
  EXPECT_EQ(client.connections_opened(), 3u);
}

TEST(Endpoint, ReadsHttpUrls) {
  const Endpoint e = Endpoint::from_url("http://db.example:9000/");
  EXPECT_EQ(e.host, "db.example");
  EXPECT_EQ(e.port, "9000");
  EXPECT_EQ(Endpoint::from_url("http://127.0.0.1").port, "8123");
  EXPECT_EQ(Endpoint::from_url("http://[::1]:8124").host, "::1");
  EXPECT_THROW(Endpoint::from_url("https://127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(Endpoint::from_url("http://user:pw@127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(Endpoint::from_url("http://127.0.0.1:99999"), std::invalid_argument);
  EXPECT_THROW(Endpoint::from_url("127.0.0.1:8123"), std::invalid_argument);
  EXPECT_THROW(Endpoint::from_url("http://127.0.0.1/db"), std::invalid_argument);
}

TEST(FlowTable, AMissingTableIsAClearPermanentError) {
  Client client(endpoint(), std::chrono::seconds(10));
  server().query("DROP TABLE IF EXISTS default.missing");
  const Error e = error_from([&] { FlowTable::open(client, "default", "missing", false); });
  EXPECT_FALSE(e.transient());
  EXPECT_THAT(e.what(), HasSubstr("table `default`.`missing` does not exist on ClickHouse at 127.0.0.1:"));
  EXPECT_THAT(e.what(), HasSubstr("sluice schema clickhouse --table missing"));
  EXPECT_THAT(e.what(), HasSubstr("create_table = true"));
  const FlowTable created = FlowTable::open(client, "default", "missing", true);
  EXPECT_EQ(created.schema(), Schema::legacy);
  EXPECT_EQ(server().query("EXISTS TABLE default.missing"), "1\n");
  EXPECT_EQ(FlowTable::open(client, "default", "missing", false).schema(), Schema::legacy);
}

TEST(FlowTable, ATableWithOtherColumnsIsRefusedWithTheDifferences) {
  Client client(endpoint(), std::chrono::seconds(10));
  server().query("DROP TABLE IF EXISTS default.other");
  server().query("CREATE TABLE default.other (first DateTime, bytes UInt32, extra String) ENGINE = Log");
  const Error e = error_from([&] { FlowTable::open(client, "default", "other", true); });
  EXPECT_FALSE(e.transient());
  EXPECT_THAT(e.what(), HasSubstr("first is DateTime, expected DateTime('UTC')"));
  EXPECT_THAT(e.what(), HasSubstr("bytes is UInt32, expected UInt64"));
  EXPECT_THAT(e.what(), HasSubstr("no column src_addr (FixedString(16))"));
}

// `flows` in one INSERT of `format` into `table`'s columns.
void insert(Client& client, const FlowTable& table, Format format, std::span<const FlowRecord> flows) {
  ByteBuffer body;
  Encoder(format, table.columns(), &texts()).encode(flows, body);
  const std::span<const std::byte> piece = body.view();
  client.execute(table.insert_query(format), std::span(&piece, 1));
}

TEST(FlowTable, ExtraColumnsAreLeftToTheirDefaults) {
  const std::string table = fresh_table("extra");
  server().query("ALTER TABLE " + table + " ADD COLUMN site String DEFAULT 'here'");
  Client client(endpoint(), std::chrono::seconds(10));
  const FlowTable flows = FlowTable::open(client, "default", "extra", false);
  insert(client, flows, Format::native, sluice::test::sample_flows(10, 1));
  EXPECT_EQ(server().query("SELECT count(), uniqExact(site), any(site) FROM " + table + " FORMAT CSV"),
            "10,1,\"here\"\n");
}

// A table made by an older sluice: the columns it had.
template <class Had>
std::string older_table(const std::string& name, Had had) {
  std::string sql = "CREATE TABLE default." + name + " (";
  for (const Column& c : columns(Schema::legacy))
    if (had(c)) sql += std::string(c.name) + " " + std::string(c.type) + ", ";
  sql.resize(sql.size() - 2);
  server().query("DROP TABLE IF EXISTS default." + name);
  server().query(sql + ") ENGINE = MergeTree PARTITION BY toDate(first) ORDER BY (exporter, first)");
  return "default." + name;
}

std::string table_before_record_v3(const std::string& name) {
  return older_table(name, [](const Column& c) { return !c.added_later; });
}

std::vector<std::string> later_column_names() {
  std::vector<std::string> names;
  for (const Column& c : columns(Schema::legacy))
    if (c.added_later) names.emplace_back(c.name);
  return names;
}

TEST(FlowTable, AnOlderTableIsWrittenWithoutTheLaterColumnsUnlessCreateTableAddsThem) {
  const std::string table = table_before_record_v3("older");
  Client client(endpoint(), std::chrono::seconds(10));
  const auto sample = sluice::test::sample_flows(10, 1);

  const FlowTable as_it_is = FlowTable::open(client, "default", "older", false);
  EXPECT_EQ(as_it_is.left_out(), later_column_names());
  EXPECT_THAT(as_it_is.insert_query(Format::native), Not(HasSubstr("src_country")));
  insert(client, as_it_is, Format::native, sample);
  EXPECT_EQ(server().query("SELECT count() FROM " + table + " FORMAT CSV"), "10\n");

  const FlowTable added = FlowTable::open(client, "default", "older", true);
  EXPECT_TRUE(added.left_out().empty());
  std::string expected;
  for (const Column& c : columns(Schema::legacy)) expected += std::string(c.name) + "\t" + std::string(c.type) + "\n";
  EXPECT_EQ(server().query("SELECT name, type FROM system.columns WHERE database = 'default' AND table = 'older' "
                           "FORMAT TabSeparatedRaw"),
            expected);
  auto aggregated = sample;
  for (auto& f : aggregated) {
    f.flows = 3;
    f.src_as_name = texts().intern("Example Corp, Inc.");
    f.in_if_name = texts().intern("xe-0/0/1");
  }
  for (const Format format : {Format::native, Format::row_binary}) insert(client, added, format, aggregated);
  // The rows written before the columns were added read their defaults: a
  // flow each, no names.
  EXPECT_EQ(server().query("SELECT flows, src_as_name, in_if_name, out_if_name, count() FROM " + table +
                           " GROUP BY flows, src_as_name, in_if_name, out_if_name ORDER BY flows FORMAT CSV"),
            "1,\"\",\"\",\"\",10\n3,\"Example Corp, Inc.\",\"xe-0/0/1\",\"\",20\n");
}

// A table of the record v3 columns but not those of plugin ABI 9 (how the
// flow ended, its biflow direction, the export version): only these are
// left out, and once added the rows written before read 0, "not said".
TEST(FlowTable, ATableWithoutTheExportFieldsGetsThemAndItsRowsReadZero) {
  const std::vector<std::string> export_fields = {"end_reason", "biflow_direction", "export_version"};
  const std::string table = older_table("before_abi9", [&](const Column& c) {
    return std::ranges::find(export_fields, std::string(c.name)) == export_fields.end();
  });
  Client client(endpoint(), std::chrono::seconds(10));
  auto sample = sluice::test::sample_flows(10, 1);

  const FlowTable as_it_is = FlowTable::open(client, "default", "before_abi9", false);
  EXPECT_EQ(as_it_is.left_out(), export_fields);
  insert(client, as_it_is, Format::row_binary, sample);

  const FlowTable added = FlowTable::open(client, "default", "before_abi9", true);
  EXPECT_TRUE(added.left_out().empty());
  for (FlowRecord& f : sample) {
    f.end_reason = 2;
    f.biflow_direction = 1;
    f.export_version = 10;
  }
  insert(client, added, Format::native, sample);
  EXPECT_EQ(server().query("SELECT end_reason, biflow_direction, export_version, count() FROM " + table +
                           " GROUP BY end_reason, biflow_direction, export_version ORDER BY end_reason FORMAT CSV"),
            "0,0,0,10\n2,1,10,10\n");
}

}  // namespace
}  // namespace sluice::clickhouse_http
