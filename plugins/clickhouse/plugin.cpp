// clickhouse: flows into a ClickHouse table over its HTTP interface, in
// batched INSERTs (docs/clickhouse.md). The work is in clickhouse_http.
#include <sluice/delivered_prefix.h>
#include <sluice/plugin.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/clickhouse_http/client.h"
#include "sluice/clickhouse_http/schema.h"
#include "sluice/clickhouse_http/table.h"
#include "sluice/clickhouse_http/writer.h"

namespace {

using namespace std::chrono;
using sluice::OptionError;
using sluice::OptionSpec;
using sluice::OptionType;
namespace ch = sluice::clickhouse_http;

constexpr OptionSpec options[] = {
    {.name = "url",
     .type = OptionType::string,
     .default_value = "\"http://127.0.0.1:8123\"",
     .help = "ClickHouse's HTTP interface, http://HOST[:PORT]"},
    {.name = "database", .type = OptionType::string, .default_value = "\"default\"", .help = "the table's database"},
    {.name = "table", .type = OptionType::string, .help = "the flows table", .required = true},
    {.name = "user", .type = OptionType::string, .default_value = "\"default\"", .help = "ClickHouse user"},
    {.name = "password",
     .type = OptionType::string,
     .default_value = "\"\"",
     .help = "the user's password; \"${VAR}\" reads it from the environment; never logged or shown"},
    {.name = "format",
     .type = OptionType::string,
     .default_value = "\"Native\"",
     .help = "INSERT format: Native (columns, what the server stores: it parses least) or RowBinary",
     .choices = "Native|RowBinary"},
    {.name = "batch_rows",
     .type = OptionType::integer,
     .default_value = "100000",
     .help = "rows per INSERT at most (one block, atomic)",
     .min = "1",
     // Above max_insert_block_size (ClickHouse's default), the server splits an
     // INSERT into blocks: no longer atomic, no longer deduplicated as one.
     .max = "1048576"},
    {.name = "batch_bytes",
     .type = OptionType::integer,
     .default_value = "67108864",
     .help = "an INSERT goes once its rows take this many bytes",
     .min = "1",
     .max = "1099511627776"},
    {.name = "batch_timeout",
     .type = OptionType::duration,
     .default_value = "\"1s\"",
     .help = "an INSERT goes at most this long after its first row came",
     .min = "\"1ms\""},
    {.name = "create_table",
     .type = OptionType::boolean,
     .default_value = "false",
     .help = "create a missing table (`sluice schema clickhouse` prints its SQL) and add the columns an older one "
             "lacks; false: a missing table is an error"},
    {.name = "compression",
     .type = OptionType::string,
     .default_value = "\"none\"",
     .help = "request bodies gzip-compressed (pays on slow links, not on loopback: docs/clickhouse.md)",
     .choices = "none|gzip"},
    {.name = "connections",
     .type = OptionType::integer,
     .default_value = "2",
     .help = "INSERTs on their way at once, each on its own keep-alive connection",
     .min = "1",
     .max = "16"},
    {.name = "timeout",
     .type = OptionType::duration,
     .default_value = "\"30s\"",
     .help = "for connecting and for each step of a request: past it, the request failed (and is sent again)",
     .min = "\"1ms\""},
};

ch::Endpoint endpoint_from(const sluice::Options& options) {
  ch::Endpoint endpoint;
  try {
    endpoint = ch::Endpoint::from_url(options.string("url"));
  } catch (const std::invalid_argument& e) {
    throw OptionError("url", e.what());
  }
  endpoint.user = options.string("user");
  endpoint.password = options.string("password");
  return endpoint;
}

ch::WriterSettings settings_from(const sluice::Options& options, const sluice::TextTable& texts) {
  return {.format = options.string("format") == "RowBinary" ? ch::Format::row_binary : ch::Format::native,
          .gzip = options.string("compression") == "gzip",
          .batch_rows = static_cast<std::size_t>(options.integer("batch_rows")),
          .batch_bytes = static_cast<std::size_t>(options.integer("batch_bytes")),
          .batch_timeout = options.duration("batch_timeout"),
          .texts = &texts};
}

class ClickHouseSink {
 public:
  // A batch is delivered once ClickHouse has answered the INSERTs of its rows.
  static constexpr bool acknowledges_later = true;

  // A batch's rows encoded on a worker for the table as that worker read it
  // (none while it has not: commit encodes them).
  struct Prepared {
    sluice::BatchPtr batch;
    std::shared_ptr<const ch::FlowTable> table;
    ch::EncodedRows rows;
  };

  ClickHouseSink(const sluice::Options& options, sluice::Host& host)
      : host_(host),
        endpoint_(endpoint_from(options)),
        database_(options.string("database")),
        table_name_(options.string("table")),
        create_table_(options.boolean("create_table")),
        connections_(static_cast<std::size_t>(options.integer("connections"))),
        timeout_(options.duration("timeout")),
        settings_(settings_from(options, host.texts())),
        counters_{
            .rows = host.counter("rows_inserted_total", "Rows ClickHouse acknowledged"),
            .inserts = host.counter("inserts_total", "INSERTs ClickHouse acknowledged"),
            .bytes = host.counter("bytes_sent_total", "Bytes of acknowledged INSERT bodies, after compression"),
            .failures = host.counter("insert_failures_total", "INSERTs that failed and were kept to be sent again"),
            .maybe_duplicated = host.counter("rows_maybe_duplicated_total",
                                             "Rows sent again after an INSERT got no answer: ClickHouse may hold "
                                             "them twice"),
        },
        encoded_again_(host.counter("batches_encoded_again_total",
                                    "Batches a worker had not encoded for the table (it had not read the table "
                                    "yet), encoded by the committing thread")) {
    if (table_name_.empty()) throw OptionError("table", "must not be empty");
    if (database_.empty()) throw OptionError("database", "must not be empty");
  }

  // Opens the table before any flow comes; see open_table().
  void start() {
    client_ = std::make_unique<ch::Client>(endpoint_, timeout_, connections_);
    try {
      open_table();
    } catch (const ch::Error& e) {
      // A server away at start: when a disk buffer (or a source that reads
      // again) keeps what comes, the collector starts anyway and the table
      // is opened once the server answers.
      if (!e.transient() || !host_.acknowledgements_awaited()) throw;
      host_.log(sluice::LogLevel::warning,
                fmt::format("{}; started anyway, what comes is kept until the server answers", e.what()));
    }
  }

  void consume(const sluice::Batch& batch) {
    if (!writer_) open_table_again();
    writer_->write(batch.records, ch::Clock::now());
    taken(batch);
  }

  // On a worker's copy, never started: it reads the table itself.
  Prepared prepare(const sluice::BatchPtr& batch) {
    if (!worker_table_) read_table_for_worker();
    Prepared prepared{.batch = batch, .table = worker_table_, .rows = {}};
    if (worker_table_) prepared.rows = worker_encoder_->encode(batch->records);
    return prepared;
  }

  void commit(Prepared& prepared) {
    if (!writer_) open_table_again();
    const sluice::Batch& batch = *prepared.batch;
    if (prepared.table && prepared.table->columns_match(*table_)) {
      writer_->write(std::move(prepared.rows), batch.records, ch::Clock::now());
    } else {
      writer_->write(batch.records, ch::Clock::now());
      encoded_again_.add();
    }
    taken(batch);
  }

  // Often enough that rows leave close to batch_timeout after they came.
  milliseconds tick_period() const {
    return std::clamp(duration_cast<milliseconds>(settings_.batch_timeout) / 4, milliseconds(10), milliseconds(250));
  }
  void tick() {
    if (!writer_) return;
    writer_->tick(ch::Clock::now());
    acknowledge_delivered();
  }

  void finish() {
    if (!writer_) return;
    if (writer_->failed()) {
      // Taken, and now never to be delivered, unless a disk buffer keeps them.
      const std::uint64_t dropped = writer_->drop();
      if (!host_.acknowledgements_awaited()) host_.count_lost(dropped);
    } else {
      writer_->flush();
    }
    acknowledge_delivered();
  }

  std::uint64_t abandon() { return writer_ ? writer_->drop() : 0; }

  std::string report() const {
    std::string text =
        fmt::format("{} rows in {} INSERTs into {} at {}", counters_.rows.value(), counters_.inserts.value(),
                    table_ ? table_->name() : table_name_, endpoint_.address());
    if (const auto failures = counters_.failures.value())
      text += fmt::format("; {} INSERTs failed and went again", failures);
    if (const auto again = encoded_again_.value())
      text +=
          fmt::format("; {} batches encoded again on the committing thread (a worker had not read the table)", again);
    if (const auto again = counters_.maybe_duplicated.value())
      text += fmt::format("; {} rows sent again after an answer was lost (ClickHouse may hold them twice)", again);
    return text;
  }

 private:
  // Finds (or creates) the table and checks its columns.
  void open_table() {
    table_.emplace(ch::FlowTable::open(*client_, database_, table_name_, create_table_));
    writer_ = std::make_unique<ch::Writer>(*client_, *table_, settings_, counters_);
    host_.log(sluice::LogLevel::info,
              fmt::format("writing to {} on ClickHouse at {} ({} schema, {})", table_->name(), endpoint_.address(),
                          ch::schema_name(table_->schema()), ch::format_name(settings_.format)));
    if (const auto& left_out = table_->left_out(); !left_out.empty())
      host_.log(sluice::LogLevel::warning,
                fmt::format("{} has no column {}: those values are not written (create_table = true adds the "
                            "columns)",
                            table_->name(), fmt::join(left_out, ", ")));
  }

  // The server was away at start: the engine retries the batch with backoff.
  void open_table_again() {
    try {
      open_table();
    } catch (const ch::Error& e) {
      if (e.transient()) throw sluice::TransientError(e.what());
      throw;
    }
  }

  // A worker's copy reads the table as it is (create_table is the started
  // copy's work), at most once a second until it has; until then commit
  // encodes. What fails here is the started copy's to report.
  void read_table_for_worker() {
    const auto now = steady_clock::now();
    if (now < next_table_read_) return;
    next_table_read_ = now + seconds(1);
    try {
      ch::Client client(endpoint_, timeout_);
      auto table = std::make_shared<const ch::FlowTable>(ch::FlowTable::open(client, database_, table_name_, false));
      if (create_table_ && !table->left_out().empty()) return;  // the started copy adds those columns
      worker_encoder_.emplace(table->columns(), settings_);
      worker_table_ = std::move(table);
    } catch (const ch::Error&) {
    }
  }

  void taken(const sluice::Batch& batch) {
    unacknowledged_.taken(batch.id, writer_->rows_taken());
    acknowledge_delivered();
  }

  // The batches whose every row ClickHouse has answered for.
  void acknowledge_delivered() { unacknowledged_.delivered(writer_->rows_delivered(), host_); }

  sluice::Host& host_;
  const ch::Endpoint endpoint_;
  const std::string database_;
  const std::string table_name_;
  const bool create_table_;
  const std::size_t connections_;
  const milliseconds timeout_;
  const ch::WriterSettings settings_;
  const ch::WriterCounters counters_;
  const sluice::Counter encoded_again_;
  std::unique_ptr<ch::Client> client_;
  std::optional<ch::FlowTable> table_;
  std::unique_ptr<ch::Writer> writer_;
  sluice::DeliveredPrefix unacknowledged_;  // batches by the writer's rows
  // A worker's copy:
  std::shared_ptr<const ch::FlowTable> worker_table_;
  std::optional<ch::RowsEncoder> worker_encoder_;
  steady_clock::time_point next_table_read_;
};

constexpr const char* schema_usage =
    "usage: sluice schema clickhouse --table NAME [--database DB] [--server-version X.Y]\n\n"
    "Prints the CREATE TABLE of the table the clickhouse sink writes (docs/clickhouse.md):\n"
    "  sluice schema clickhouse --table flows --server-version 18.16 | clickhouse-client\n\n"
    "  --table NAME           the table's name (required)\n"
    "  --database DB          its database (default: default)\n"
    "  --server-version X.Y   the ClickHouse it is for (default: 24.8); before 20.1 (Debian 12 has 18.16)\n"
    "                         addresses are FixedString(16) and times DateTime plus milliseconds\n";

constexpr int exit_usage = 64;  // sysexits.h

// `sluice schema clickhouse ...`: the table's SQL, without a server.
int print_schema(std::span<const std::string_view> args) {
  std::string table, database = "default", server_version = "24.8";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      fmt::print("{}", schema_usage);
      return 0;
    }
    const auto equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    std::string* value = name == "--table"            ? &table
                         : name == "--database"       ? &database
                         : name == "--server-version" ? &server_version
                                                      : nullptr;
    if (!value || (equals == std::string_view::npos && i + 1 == args.size())) {
      fmt::print(stderr, "sluice: {}\n{}",
                 value ? fmt::format("{} needs a value", arg) : fmt::format("unknown option {}", arg), schema_usage);
      return exit_usage;
    }
    *value = std::string(equals == std::string_view::npos ? args[++i] : arg.substr(equals + 1));
  }
  const auto version = ch::ServerVersion::parse(server_version);
  if (table.empty() || !version) {
    fmt::print(stderr, "sluice: {}\n", !version ? "--server-version is MAJOR.MINOR, as 18.16" : schema_usage);
    return exit_usage;
  }
  fmt::print("{}", ch::create_table_sql(database, table, ch::schema_for(*version)));
  return 0;
}

constexpr sluice::PluginCommand commands[] = {
    sluice::command<print_schema>("schema",
                                  "prints the CREATE TABLE of the sink's table: schema clickhouse --table NAME"),
};

}  // namespace

SLUICE_PLUGIN_WITH_COMMANDS(commands,
                            sluice::sink<ClickHouseSink>("clickhouse",
                                                         "writes flows into a ClickHouse table (HTTP, batched INSERTs)",
                                                         options))
