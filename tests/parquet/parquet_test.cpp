// parquet_writer and parquet_reader against two independent Parquet readers:
// DuckDB (@duckdb/node-api) and hyparquet (pure JavaScript), both from npm.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "process.h"
#include "sluice/flowgen/flow_generator.h"
#include "sluice/parquet/writer.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path readers = fs::path(SLUICE_SOURCE_DIR) / "tests/parquet/readers";

// Each statement's rows as a line of JSON.
std::vector<std::string> duckdb(const std::vector<std::string>& statements) {
  std::vector<std::string> argv = {"node", (readers / "duckdb.mjs").string()};
  argv.insert(argv.end(), statements.begin(), statements.end());
  const auto result = testing::run(argv, {.cwd = readers, .env = {{"TZ", "UTC"}}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines;
  std::string line;
  for (const char c : result.out) {
    if (c != '\n') {
      line += c;
      continue;
    }
    lines.push_back(line);
    line.clear();
  }
  EXPECT_EQ(lines.size(), statements.size()) << result.out << result.err;
  lines.resize(statements.size());
  return lines;
}

std::string duckdb_one(const std::string& statement) { return duckdb({statement})[0]; }

// hyparquet's view of a file: rows, columns, counter sums, the first row.
// Only the rows [from, to) when `to` is given (hyparquet takes a minute for
// a million).
std::string hyparquet(const fs::path& file, std::size_t from = 0, std::size_t to = 0) {
  const auto result = testing::run(
      {"node", (readers / "hyparquet.mjs").string(), file.string(), std::to_string(from), std::to_string(to)},
      {.cwd = readers, .env = {{"TZ", "UTC"}}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

std::string quoted(const fs::path& file) { return "'" + file.string() + "'"; }

void run_pipeline(const fs::path& toml) {
  const auto run = testing::run_sluice({"run", toml.string(), "--stats-interval", "0"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
}

// The sinks get all the time they need once the source has ended: under
// ASan, closing a 250,000-row group took more than the default 30 s.
std::string generator(std::size_t count, unsigned seed) {
  return "[engine]\ndrain_timeout = \"10m\"\n\n[sources.gen]\nplugin = \"generator\"\ncount = " +
         std::to_string(count) + "\nseed = " + std::to_string(seed) + "\n\n";
}

std::string csv_sink(const std::string& input, const fs::path& path, const std::string& fields = "") {
  return "[sinks.csv_" + input + "]\nplugin = \"csv_writer\"\ninputs = [\"" + input + "\"]\npath = \"" + path.string() +
         "\"\ntime_format = \"epoch_ms\"\nproto_names = false\n" + fields + "\n";
}

std::string parquet_sink(const std::string& id, const fs::path& path, const std::string& extra = "",
                         const std::string& input = "gen") {
  return "[sinks." + id + "]\nplugin = \"parquet_writer\"\ninputs = [\"" + input + "\"]\npath = \"" + path.string() +
         "\"\n" + extra + "\n";
}

// The CSV of `csv` as typed columns, comparable with the Parquet file.
std::string csv_as_parquet_types(const fs::path& csv) {
  return "SELECT * REPLACE (make_timestamp(\"first\" * 1000)::TIMESTAMPTZ AS \"first\", "
         "make_timestamp(\"last\" * 1000)::TIMESTAMPTZ AS \"last\", CAST(round(duration * 1000) AS BIGINT) AS "
         "duration) FROM read_csv(" +
         quoted(csv) +
         ", all_varchar = false, types = {'src_addr': 'VARCHAR', 'dst_addr': 'VARCHAR', "
         "'next_hop': 'VARCHAR', 'exporter': 'VARCHAR'})";
}

// Two row groups of 250,000 rows: each group's address dictionary outgrows
// its 1 MiB (PLAIN follows), and the suite stays quick under ASan.
constexpr std::size_t flows_written = 500'000;

// 500,000 generator flows written once, as Parquet (2 row groups) and as CSV.
class TwoRowGroups : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    run_pipeline(dir_->write("flows.toml", generator(flows_written, 7) + csv_sink("gen", csv()) +
                                               parquet_sink("pq", parquet(),
                                                            // no time-cut row group, however slow the build
                                                            "row_group_rows = 250000\nflush_interval = \"1h\"")));
    // DuckDB reads the CSV once, into its own Parquet file, typed as ours.
    duckdb_one("COPY (" + csv_as_parquet_types(csv()) + ") TO " + quoted(duckdb_parquet()) +
               " (FORMAT parquet, COMPRESSION zstd)");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path csv() { return dir_->path() / "flows.csv"; }
  static fs::path parquet() { return dir_->path() / "flows.parquet"; }
  static fs::path duckdb_parquet() { return dir_->path() / "duckdb.parquet"; }

  static testing::TempDir* dir_;
};

testing::TempDir* TwoRowGroups::dir_ = nullptr;

TEST_F(TwoRowGroups, DescribeShowsTheDocumentedNamesAndTypes) {
  const std::string types = duckdb_one(
      "SELECT string_agg(column_name || ' ' || column_type, ', ') AS t FROM "
      "(DESCRIBE SELECT * FROM " +
      quoted(parquet()) + ")");
  EXPECT_EQ(types,
            "[{\"t\":\"first TIMESTAMP WITH TIME ZONE, last TIMESTAMP WITH TIME ZONE, duration BIGINT, src_addr "
            "VARCHAR, dst_addr VARCHAR, src_port INTEGER, dst_port INTEGER, proto INTEGER, tcp_flags INTEGER, tos "
            "INTEGER, packets BIGINT, bytes BIGINT, in_if BIGINT, out_if BIGINT, src_as BIGINT, dst_as BIGINT, "
            "src_mask INTEGER, dst_mask INTEGER, next_hop VARCHAR, exporter VARCHAR, engine_type INTEGER, engine_id "
            "INTEGER, sampling_interval BIGINT\"}]");
}

// The generator stamps no sampling element: csv_writer prints the record's
// default 1, Parquet has null (the field is absent); every other value equals.
TEST_F(TwoRowGroups, EveryValueEqualsCsvWritersOutput) {
  const std::string from_csv = "SELECT * REPLACE (NULL::BIGINT AS sampling_interval) FROM " + quoted(duckdb_parquet());
  const std::string from_parquet = "SELECT * FROM " + quoted(parquet());
  const auto results =
      duckdb({"SELECT count(*) AS n FROM (" + from_parquet + " EXCEPT ALL " + from_csv + ")",
              "SELECT count(*) AS n FROM (" + from_csv + " EXCEPT ALL " + from_parquet + ")",
              "SELECT count(*) AS n, sum(bytes) AS b, sum(packets) AS p FROM (" + from_parquet + ")",
              "SELECT count(*) AS n, sum(bytes) AS b, sum(packets) AS p FROM (" + from_csv + ")",
              "SELECT count(*) FILTER (sampling_interval = 1) AS ones FROM " + quoted(duckdb_parquet())});
  EXPECT_EQ(results[0], "[{\"n\":\"0\"}]");
  EXPECT_EQ(results[1], "[{\"n\":\"0\"}]");
  EXPECT_THAT(results[2], HasSubstr("\"n\":\"500000\""));
  EXPECT_EQ(results[2], results[3]);
  EXPECT_EQ(results[4], "[{\"ones\":\"500000\"}]");
}

TEST_F(TwoRowGroups, MetadataShowsRowGroupsEncodingsCodecAndStatistics) {
  const std::string metadata = "parquet_metadata(" + quoted(parquet()) + ")";
  const std::string rows = "read_parquet(" + quoted(parquet()) + ", file_row_number = true)";
  const auto results = duckdb(
      {"SELECT count(DISTINCT row_group_id) AS groups, min(row_group_num_rows) AS lo, max(row_group_num_rows) AS hi, "
       "string_agg(DISTINCT compression, ',') AS codecs FROM " +
           metadata,
       "SELECT encodings FROM " + metadata +
           " WHERE row_group_id = 0 AND path_in_schema IN ('first', 'proto', 'src_addr') ORDER BY path_in_schema",
       // Each row group's statistics are its own rows' minimum, maximum and nulls.
       "SELECT count(*) AS wrong FROM (SELECT file_row_number // 250000 AS g, min(bytes)::VARCHAR AS lo, "
       "max(bytes)::VARCHAR AS hi, min(src_addr) AS alo, max(src_addr) AS ahi, count(*) - count(next_hop) AS nulls "
       "FROM " +
           rows +
           " GROUP BY g) f JOIN (SELECT row_group_id AS g, "
           "max(stats_min_value) FILTER (path_in_schema = 'bytes') AS lo, "
           "max(stats_max_value) FILTER (path_in_schema = 'bytes') AS hi, "
           "max(stats_min_value) FILTER (path_in_schema = 'src_addr') AS alo, "
           "max(stats_max_value) FILTER (path_in_schema = 'src_addr') AS ahi, "
           "max(stats_null_count) FILTER (path_in_schema = 'next_hop') AS nulls FROM " +
           metadata +
           " GROUP BY g) m "
           "USING (g) WHERE f.lo <> m.lo OR f.hi <> m.hi OR f.alo <> m.alo OR f.ahi <> m.ahi OR f.nulls <> m.nulls",
       "SELECT sum(stats_null_count) > 0 AS some FROM " + metadata + " WHERE path_in_schema = 'next_hop'"});
  EXPECT_EQ(results[0], "[{\"groups\":\"2\",\"lo\":\"250000\",\"hi\":\"250000\",\"codecs\":\"ZSTD\"}]");
  // Times as differences; few protocols: a dictionary; a random address each row: PLAIN, the dictionary
  // given up when its first page showed it would outgrow its limit.
  EXPECT_EQ(results[1],
            "[{\"encodings\":\"DELTA_BINARY_PACKED\"},{\"encodings\":\"PLAIN, RLE, RLE_DICTIONARY\"},{\"encodings\":"
            "\"PLAIN, RLE\"}]");
  EXPECT_EQ(results[2], "[{\"wrong\":\"0\"}]");
  EXPECT_EQ(results[3], "[{\"some\":true}]");  // flows without a next hop: null, as csv_writer leaves it empty
}

// Rows on both sides of the row groups' border: hyparquet decodes both.
TEST_F(TwoRowGroups, HyparquetReadsTheSameRows) {
  const std::string theirs = hyparquet(parquet(), 240000, 260000);
  const auto ours =
      duckdb_one("SELECT sum(packets)::VARCHAR AS p, sum(bytes)::VARCHAR AS b FROM read_parquet(" + quoted(parquet()) +
                 ", file_row_number = true) WHERE file_row_number >= 240000 AND file_row_number < 260000");
  EXPECT_THAT(theirs, HasSubstr("\"rows\":20000,\"metadata_rows\":500000"));
  // [{"p":"N","b":"M"}] against hyparquet's "packets":"N","bytes":"M"
  const auto p = ours.find("\"p\":"), b = ours.find(",\"b\":");
  ASSERT_NE(b, std::string::npos) << ours;
  EXPECT_THAT(theirs, HasSubstr("\"packets\":" + ours.substr(p + 4, b - p - 4) +
                                ",\"bytes\":" + ours.substr(b + 5, ours.size() - b - 7)));
}

TEST_F(TwoRowGroups, DuckDbsOwnParquetReadsBackThroughParquetReader) {
  const fs::path theirs = duckdb_parquet();
  const fs::path back = dir_->path() / "back.csv";
  run_pipeline(dir_->write("back.toml", "[sources.pq]\nplugin = \"parquet_reader\"\npath = \"" + theirs.string() +
                                            "\"\n\n" + csv_sink("pq", back)));
  EXPECT_TRUE(testing::read_file(back) == testing::read_file(csv())) << "the flows differ";
}

TEST_F(TwoRowGroups, ParquetReaderReadsSluicesFileBackToTheSameFlows) {
  const fs::path back = dir_->path() / "ours-back.csv";
  run_pipeline(dir_->write("ours-back.toml", "[sources.pq]\nplugin = \"parquet_reader\"\npath = \"" +
                                                 parquet().string() + "\"\n\n" + csv_sink("pq", back)));
  EXPECT_TRUE(testing::read_file(back) == testing::read_file(csv())) << "the flows differ";
}

// Every field, every codec, both address types: DuckDB and hyparquet read the
// same flows, and parquet_reader gives back what csv_writer wrote.
TEST(Codecs, EveryCodecAndAddressTypeRoundTrips) {
  testing::TempDir dir;
  std::string all_fields = "fields = [";
  for (const char* name : {"first",
                           "last",
                           "received",
                           "duration",
                           "src_addr",
                           "dst_addr",
                           "src_port",
                           "dst_port",
                           "proto",
                           "tcp_flags",
                           "tos",
                           "dst_tos",
                           "packets",
                           "bytes",
                           "reverse_packets",
                           "reverse_bytes",
                           "in_if",
                           "out_if",
                           "src_as",
                           "dst_as",
                           "src_mask",
                           "dst_mask",
                           "next_hop",
                           "exporter",
                           "engine_type",
                           "engine_id",
                           "observation_domain",
                           "sampling_interval",
                           "direction",
                           "fwd_status",
                           "label",
                           "src_mac",
                           "dst_mac",
                           "src_vlan",
                           "dst_vlan"})
    all_fields += std::string(all_fields.back() == '[' ? "" : ", ") + "\"" + name + "\"";
  all_fields += "]\n";
  const std::vector<std::pair<std::string, std::string>> variants = {{"zstd", "compression = \"zstd\"\nlevel = 1\n"},
                                                                     {"snappy", "compression = \"snappy\"\n"},
                                                                     {"gzip", "compression = \"gzip\"\n"},
                                                                     {"none", "compression = \"none\"\n"},
                                                                     {"binary", "address_type = \"binary\"\n"}};
  std::string pipeline = generator(20000, 3) + csv_sink("gen", dir / "flows.csv", all_fields);
  for (const auto& [name, options] : variants)
    pipeline += parquet_sink(name, dir / (name + ".parquet"), all_fields + options + "row_group_rows = 7000\n");
  run_pipeline(dir.write("codecs.toml", pipeline));

  // All of DuckDB's statements in one run of it, all round trips in one pipeline.
  const std::string reference = "SELECT * FROM " + quoted(dir / "zstd.parquet");
  std::vector<std::string> statements;
  std::string back;
  for (const auto& [name, options] : variants) {
    const fs::path file = dir / (name + ".parquet");
    statements.push_back(
        name != "binary"
            ? "SELECT count(*) AS n FROM (" + reference + " EXCEPT ALL SELECT * FROM " + quoted(file) + ")"
            : "SELECT typeof(src_addr) AS t, octet_length(src_addr) AS n FROM " + quoted(file) + " LIMIT 1");
    statements.push_back(
        "SELECT string_agg(DISTINCT compression, ',') AS c, count(DISTINCT row_group_id) AS g FROM "
        "parquet_metadata(" +
        quoted(file) + ")");
    back += "[sources." + name + "]\nplugin = \"parquet_reader\"\npath = \"" + file.string() + "\"\n\n" +
            csv_sink(name, dir / (name + "-back.csv"), all_fields);
  }
  const auto results = duckdb(statements);
  run_pipeline(dir.write("back.toml", back));

  for (std::size_t i = 0; i < variants.size(); ++i) {
    const std::string& name = variants[i].first;
    SCOPED_TRACE(name);
    EXPECT_EQ(results[2 * i], name != "binary" ? "[{\"n\":\"0\"}]" : "[{\"t\":\"BLOB\",\"n\":\"16\"}]");
    const std::string codec = name == "zstd" || name == "binary" ? "ZSTD"
                              : name == "none"                   ? "UNCOMPRESSED"
                                                                 : (name == "gzip" ? "GZIP" : "SNAPPY");
    EXPECT_EQ(results[2 * i + 1], "[{\"c\":\"" + codec + "\",\"g\":\"3\"}]");
    EXPECT_THAT(hyparquet(dir / (name + ".parquet")), HasSubstr("\"rows\":20000,\"metadata_rows\":20000"));
    EXPECT_TRUE(testing::read_file(dir / (name + "-back.csv")) == testing::read_file(dir / "flows.csv"))
        << "the flows differ";
  }
}

// With record v3's fields too: their types show without a row.
TEST(EmptyRun, GivesAValidFileWithNoRows) {
  testing::TempDir dir;
  run_pipeline(
      dir.write("empty.toml",
                generator(1, 1) +
                    "[transforms.none]\nplugin = \"filter\"\ninputs = [\"gen\"]\nexpression = \"proto 255 and proto "
                    "254\"\n\n" +
                    parquet_sink("pq", dir / "empty.parquet",
                                 "fields = [\"first\", \"flows\", \"bgp_next_hop\", \"export_version\", "
                                 "\"src_country\", \"src_as_name\", \"in_if_speed\", \"in_if_boundary\", "
                                 "\"src_mac\"]\n",
                                 "none")));
  const auto results = duckdb({"SELECT count(*) AS n FROM " + quoted(dir / "empty.parquet"),
                               "SELECT string_agg(column_name || ' ' || column_type, ', ') AS t FROM (DESCRIBE "
                               "SELECT * FROM " +
                                   quoted(dir / "empty.parquet") + ")"});
  EXPECT_EQ(results[0], "[{\"n\":\"0\"}]");
  EXPECT_EQ(
      results[1],
      "[{\"t\":\"first TIMESTAMP WITH TIME ZONE, flows BIGINT, bgp_next_hop VARCHAR, export_version INTEGER, "
      "src_country VARCHAR, src_as_name VARCHAR, in_if_speed BIGINT, in_if_boundary INTEGER, src_mac VARCHAR\"}]");
  EXPECT_THAT(hyparquet(dir / "empty.parquet"), HasSubstr("\"rows\":0,\"metadata_rows\":0"));
}

// A field the exporter did not send is null, one it sent as zero is 0:
// DuckDB's nulls become absent fields through parquet_reader, and
// parquet_writer writes them as nulls again. Only columns that can be null
// are OPTIONAL (carry definition levels). The export's fields DuckDB gave
// (an end reason, sFlow's export version 133) come back as they were.
TEST(Presence, AbsentFieldsAreNullAndOnlyTheirColumnsOptional) {
  testing::TempDir dir;
  const std::vector<std::string> names = {"first",
                                          "last",
                                          "received",
                                          "src_addr",
                                          "dst_addr",
                                          "src_port",
                                          "dst_port",
                                          "proto",
                                          "packets",
                                          "bytes",
                                          "in_if",
                                          "out_if",
                                          "src_as",
                                          "dst_as",
                                          "next_hop",
                                          "exporter",
                                          "src_mac",
                                          "src_vlan",
                                          "sampling_interval",
                                          "end_reason",
                                          "export_version"};
  std::string columns, fields;
  for (const std::string& name : names) {
    columns += (columns.empty() ? "\"" : ", \"") + name + "\"";
    fields += (fields.empty() ? "fields = [\"" : ", \"") + name + "\"";
  }
  duckdb_one(
      "COPY (SELECT * FROM (VALUES "
      "(TIMESTAMPTZ '2026-01-02 03:04:05.006+00', TIMESTAMPTZ '2026-01-02 03:04:06+00', "
      "TIMESTAMPTZ '2026-01-02 03:04:06.5+00', '10.0.0.1', '192.0.2.7', 40000, 443, 6, 10, 1500, 0, 3, 64512, "
      "NULL, '10.0.0.254', '198.51.100.1', '00:1b:21:3c:4d:5e', NULL, 1000, 2, 133), "
      "(TIMESTAMPTZ '2026-01-02 03:04:07+00', TIMESTAMPTZ '2026-01-02 03:04:07+00', NULL, '2001:db8::1', "
      "'2001:db8::2', 53, 5353, 17, 1, 80, NULL, NULL, NULL, 0, NULL, NULL, NULL, 12, NULL, 0, 10)) AS t(" +
      columns + ")) TO " + quoted(dir / "in.parquet") + " (FORMAT parquet)");
  run_pipeline(dir.write("presence.toml", "[sources.pq]\nplugin = \"parquet_reader\"\npath = \"" +
                                              (dir / "in.parquet").string() + "\"\n\n" +
                                              parquet_sink("out", dir / "out.parquet", fields + "]\n", "pq")));
  const std::string in = "SELECT " + columns + " FROM " + quoted(dir / "in.parquet");
  const std::string out = "SELECT " + columns + " FROM " + quoted(dir / "out.parquet");
  const auto results =
      duckdb({"SELECT count(*) AS n FROM (" + in + " EXCEPT ALL " + out + ")",
              "SELECT count(*) AS n FROM (" + out + " EXCEPT ALL " + in + ")",
              "SELECT count(*) FILTER (in_if IS NULL) AS in_if, count(*) FILTER (in_if = 0) AS zero, count(*) FILTER "
              "(dst_as IS NULL) AS dst_as, count(*) FILTER (sampling_interval IS NULL) AS sampling, count(*) FILTER "
              "(received IS NULL) AS received FROM " +
                  quoted(dir / "out.parquet"),
              "SELECT string_agg(name || ' ' || repetition_type, ', ' ORDER BY name) AS r FROM parquet_schema(" +
                  quoted(dir / "out.parquet") +
                  ") WHERE name IN ('src_port', 'packets', 'first', 'in_if', 'sampling_interval', "
                  "'src_addr', 'export_version')"});
  EXPECT_EQ(results[0], "[{\"n\":\"0\"}]");
  EXPECT_EQ(results[1], "[{\"n\":\"0\"}]");
  EXPECT_EQ(results[2], "[{\"in_if\":\"1\",\"zero\":\"1\",\"dst_as\":\"1\",\"sampling\":\"1\",\"received\":\"1\"}]");
  EXPECT_EQ(results[3],
            "[{\"r\":\"export_version REQUIRED, first REQUIRED, in_if OPTIONAL, packets REQUIRED, sampling_interval "
            "OPTIONAL, src_addr OPTIONAL, "
            "src_port REQUIRED\"}]");
}

// DuckDB's own DELTA_BINARY_PACKED pages (its Parquet version 2: data pages
// v2, 64- and 32-bit integers) read back through parquet_reader.
TEST(Delta, DuckDbsDeltaEncodedColumnsReadBack) {
  testing::TempDir dir;
  const fs::path theirs = dir / "v2.parquet";
  const fs::path ours = dir / "ours.parquet";
  const auto written = duckdb(
      {"COPY (SELECT TIMESTAMPTZ '2026-01-02 00:00:00+00' + to_milliseconds(i * 7919 % 1000003) AS \"first\", "
       "TIMESTAMPTZ '2026-01-02 00:00:00+00' + to_milliseconds(i * 7919 % 1000003 + i % 5000) AS \"last\", "
       "(i * 2654435761 % 4294967296)::BIGINT AS bytes, (i % 65536)::INTEGER AS src_port FROM range(20000) t(i)) TO " +
           quoted(theirs) + " (FORMAT parquet, PARQUET_VERSION v2)",
       "SELECT count(*) AS n FROM parquet_metadata(" + quoted(theirs) + ") WHERE encodings = 'DELTA_BINARY_PACKED'"});
  ASSERT_EQ(written[1], "[{\"n\":\"4\"}]");
  run_pipeline(dir.write(
      "delta.toml", "[sources.pq]\nplugin = \"parquet_reader\"\npath = \"" + theirs.string() + "\"\n\n" +
                        parquet_sink("out", ours, "fields = [\"first\", \"last\", \"bytes\", \"src_port\"]\n", "pq")));
  const auto results = duckdb(
      {"SELECT count(*) AS n FROM (SELECT * FROM " + quoted(theirs) + " EXCEPT ALL SELECT * FROM " + quoted(ours) + ")",
       "SELECT count(*) AS n FROM (SELECT * FROM " + quoted(ours) + " EXCEPT ALL SELECT * FROM " + quoted(theirs) +
           ")"});
  EXPECT_EQ(results[0], "[{\"n\":\"0\"}]");
  EXPECT_EQ(results[1], "[{\"n\":\"0\"}]");
}

TEST(Partitions, AHiveStyleFolderReadsAsOneTable) {
  testing::TempDir dir;
  run_pipeline(dir.write(
      "partitioned.toml",
      "[sources.gen]\nplugin = \"generator\"\nrate = 20\nduration = \"20m\"\nspeedup = 0\n"
      "clock_start = \"2026-01-02T03:50:00Z\"\n\n" +
          csv_sink("gen", dir / "flows.csv") +
          "[transforms.windows]\nplugin = \"rotator\"\ninputs = [\"gen\"]\ninterval = \"5m\"\nclock = \"event\"\n\n" +
          "[sinks.pq]\nplugin = \"parquet_writer\"\ninputs = [\"windows\"]\npath = \"" +
          (dir / "flows/date=%Y-%m-%d/hour=%H/part-%Y%m%d%H%M.parquet").string() + "\"\n"));
  const std::string table =
      "read_parquet(" + quoted(dir / "flows/*/*/*.parquet") + ", hive_partitioning = true, filename = true)";
  const auto results = duckdb(
      {"SELECT count(*) = (SELECT count(*) FROM " + quoted(dir / "flows.csv") +
           ") AS all_rows, count(DISTINCT filename) > 1 AS several FROM " + table,
       // The partition columns are those of the window each file holds.
       "SELECT count(*) AS wrong FROM " + table +
           " WHERE CAST(\"date\" AS VARCHAR) <> "
           "strftime(strptime(regexp_extract(filename, 'part-([0-9]{12})', 1), '%Y%m%d%H%M'), '%Y-%m-%d') OR "
           "CAST(hour AS INTEGER) <> hour(strptime(regexp_extract(filename, 'part-([0-9]{12})', 1), '%Y%m%d%H%M'))"});
  EXPECT_EQ(results[0], "[{\"all_rows\":true,\"several\":true}]");
  EXPECT_EQ(results[1], "[{\"wrong\":\"0\"}]");
}

// A writer killed mid-row-group leaves only its .tmp, which no reader takes
// for a finished file.
TEST(Kill, AWriterKilledMidRowGroupLeavesNoFileUnderItsFinalName) {
  testing::TempDir dir;
  const fs::path file = dir / "out/live.parquet";
  const fs::path tmp = dir / "out/live.parquet.tmp";
  testing::Process sluice(
      {testing::sluice_exe(), "run",
       dir.write("live.toml", generator(0, 9) + parquet_sink("pq", file, "row_group_rows = 5000\n")).string()});
  // Row groups have reached the file: the writer is between two of them, or in one.
  ASSERT_TRUE(testing::eventually(
      [&] {
        std::error_code ignored;
        return fs::file_size(tmp, ignored) > 100000 && !ignored;
      },
      std::chrono::seconds(60)));
  sluice.signal(SIGKILL);
  sluice.wait();
  EXPECT_FALSE(fs::exists(file));
  EXPECT_TRUE(fs::exists(tmp));
  const auto duck = testing::run({"node", (readers / "duckdb.mjs").string(), "SELECT count(*) FROM " + quoted(tmp)},
                                 {.cwd = readers, .env = {}});
  EXPECT_NE(duck.exit_code, 0) << duck.out;
  const auto replay = testing::run_sluice(
      {"run", dir.write("replay.toml", "[sources.pq]\nplugin = \"parquet_reader\"\npath = \"" + (dir / "out").string() +
                                           "\"\n\n" + csv_sink("pq", dir / "none.csv"))
                  .string()});
  EXPECT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_THAT(replay.out + replay.err, HasSubstr("0 flows read from 0 file(s)"));
}

// Row groups encoded apart, as workers would (whole row groups each, or a
// share of every row group's columns, N = 1..4 encoders on threads of
// their own), then appended in order: the streaming Writer's bytes. The
// cuts are row_group_rows and an end_row_group() between batches (what a
// window or a flush does).
TEST(Workers, RowGroupsEncodedApartAreTheStreamingWritersBytes) {
  testing::TempDir dir;
  std::vector<FlowRecord> flows;
  flowgen::FlowGenerator({.seed = 11}).generate(50'000, 1'796'578'269'300, flows);
  // Pages of 16 KB: several in each column chunk.
  const parquet::WriterOptions options{.row_group_rows = 10'000, .page_bytes = 16 << 10};
  constexpr std::size_t cut = 15'000, batch = 2048;
  const std::span<const FlowRecord> all(flows);
  std::vector<std::span<const FlowRecord>> groups;  // as the streaming Writer cuts them
  for (const auto part : {all.first(cut), all.subspan(cut)})
    for (std::size_t i = 0; i < part.size(); i += options.row_group_rows)
      groups.push_back(part.subspan(i, std::min(options.row_group_rows, part.size() - i)));
  ASSERT_EQ(groups.size(), 6U);  // 10,000 and 5,000, then 3 × 10,000 and 5,000

  const fs::path streamed = dir.path() / "streamed.parquet";
  parquet::Writer writer(options);
  writer.open(streamed);
  for (const auto part : {all.first(cut), all.subspan(cut)}) {
    for (std::size_t i = 0; i < part.size(); i += batch)
      writer.write(part.subspan(i, std::min(batch, part.size() - i)));
    writer.end_row_group();
  }
  writer.close();
  const std::string expected = testing::read_file(streamed);

  for (const bool by_columns : {false, true}) {
    for (unsigned workers = by_columns ? 2 : 1; workers <= 4; ++workers) {  // 1 by columns: 1 by row groups
      // parts[g]: what the workers encoded of row group g.
      std::vector<std::vector<parquet::EncodedRowGroup>> parts(
          groups.size(), std::vector<parquet::EncodedRowGroup>(by_columns ? workers : 1));
      std::vector<std::jthread> threads;
      for (unsigned w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
          parquet::RowGroupEncoder encoder(options, by_columns
                                                        ? parquet::column_share(options.fields.size(), w, workers)
                                                        : std::vector<std::size_t>{});
          for (std::size_t g = by_columns ? 0 : w; g < groups.size(); g += by_columns ? 1 : workers) {
            for (std::size_t i = 0; i < groups[g].size(); i += batch)
              encoder.append(groups[g].subspan(i, std::min(batch, groups[g].size() - i)));
            parts[g][by_columns ? w : 0] = encoder.finish();
          }
        });
      }
      threads.clear();
      const fs::path file = dir.path() / ("workers-" + std::to_string(workers) + ".parquet");
      writer.open(file);
      for (const auto& part : parts) {
        std::vector<const parquet::EncodedRowGroup*> shares;
        for (const auto& share : part) shares.push_back(&share);
        writer.append(shares);
      }
      writer.close();
      EXPECT_TRUE(testing::read_file(file) == expected)
          << workers << " workers, by " << (by_columns ? "columns" : "row groups");
    }
  }

  // A share of the columns alone is no row group of the file.
  parquet::RowGroupEncoder some(options, {0, 1});
  some.append(groups[0]);
  writer.open(dir.path() / "part.parquet");
  EXPECT_THROW(writer.append(some.finish()), std::invalid_argument);
  writer.close();

  std::uint64_t bytes = 0;
  for (const FlowRecord& flow : flows) bytes += flow.bytes;
  const auto results =
      duckdb({"SELECT count(*) AS n, sum(bytes)::UBIGINT AS b FROM " + quoted(streamed),
              "SELECT count(DISTINCT row_group_id) AS g FROM parquet_metadata(" + quoted(streamed) + ")"});
  EXPECT_EQ(results[0], "[{\"n\":\"50000\",\"b\":\"" + std::to_string(bytes) + "\"}]");
  EXPECT_EQ(results[1], "[{\"g\":\"6\"}]");
}

// parquet_writer on 1 to 4 workers (each a share of the columns of every row
// group) behind a rotator: every window's file byte for byte the same, its
// row groups cut at row_group_rows and at the window's end as one worker cuts.
TEST(Workers, ParquetWriterWritesTheSameFilesOnAnyNumberOfWorkers) {
  testing::TempDir dir;
  std::string toml =
      "[engine]\ndrain_timeout = \"10m\"\n\n[sources.gen]\nplugin = \"generator\"\nrate = 20\nduration = "
      "\"20m\"\nspeedup = 0\nclock_start = \"2026-01-02T03:50:00Z\"\n\n"
      "[transforms.windows]\nplugin = \"rotator\"\ninputs = [\"gen\"]\ninterval = \"5m\"\nclock = \"event\"\n\n" +
      csv_sink("gen", dir.path() / "flows.csv");
  for (int workers = 1; workers <= 4; ++workers)
    toml += parquet_sink(
        "pq" + std::to_string(workers), dir.path() / ("w" + std::to_string(workers)) / "part-%Y%m%d%H%M.parquet",
        "row_group_rows = 2000\nflush_interval = \"1h\"\nworkers = " + std::to_string(workers), "windows");
  run_pipeline(dir.write("workers.toml", toml));
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir.path() / "w1")) files.push_back(entry.path().filename());
  ASSERT_GE(files.size(), 4U);
  for (int workers = 2; workers <= 4; ++workers)
    for (const fs::path& file : files)
      EXPECT_TRUE(testing::read_file(dir.path() / ("w" + std::to_string(workers)) / file) ==
                  testing::read_file(dir.path() / "w1" / file))
          << file << " on " << workers << " workers";
  const auto results = duckdb({"SELECT count(*) = (SELECT count(*) FROM " + quoted(dir.path() / "flows.csv") +
                                   ") AS all_rows FROM " + quoted(dir.path() / "w4/*.parquet"),
                               "SELECT count(*) > 12 AS several FROM parquet_metadata(" +
                                   quoted(dir.path() / "w4/*.parquet") + ") WHERE column_id = 0"});
  EXPECT_EQ(results[0], "[{\"all_rows\":true}]");
  EXPECT_EQ(results[1], "[{\"several\":true}]");
}

// On workers a flush_interval tick is a step every worker takes: the row
// group under way ends on all of them at once, and nothing is lost.
TEST(Workers, TicksCloseRowGroupsOnEveryWorker) {
  testing::TempDir dir;
  run_pipeline(dir.write(
      "ticks.toml", "[sources.gen]\nplugin = \"generator\"\nrate = 5000\nduration = \"1500ms\"\n\n" +
                        csv_sink("gen", dir.path() / "flows.csv") +
                        parquet_sink("pq", dir.path() / "flows.parquet", "flush_interval = \"100ms\"\nworkers = 3")));
  const auto results = duckdb({"SELECT count(*) = (SELECT count(*) FROM " + quoted(dir.path() / "flows.csv") +
                                   ") AS all_rows FROM " + quoted(dir.path() / "flows.parquet"),
                               "SELECT count(*) > 3 AS several FROM parquet_metadata(" +
                                   quoted(dir.path() / "flows.parquet") + ") WHERE column_id = 0"});
  EXPECT_EQ(results[0], "[{\"all_rows\":true}]");
  EXPECT_EQ(results[1], "[{\"several\":true}]");
}

}  // namespace
}  // namespace sluice
