// Flows into the table, INSERT by INSERT: rows gather until batch_rows rows
// or batch_bytes bytes or batch_timeout since the first, then go out while
// the next ones gather, up to `connections` INSERTs on their way at once.
// Each batch written is encoded on its own (RowsEncoder), on any thread: an
// INSERT's body is its batches' pieces in order, Native blocks (the server
// joins them into one) or RowBinary rows, and with gzip their deflated data
// in one gzip member. A batch that crosses batch_rows is encoded again in two.
//
// Delivery is at least once. A transient failure (sluice::TransientError)
// leaves every row held, to be sent again; when an INSERT got no answer, the
// server may have stored it already, and sending it again may store its rows
// twice: they are counted in rows_maybe_duplicated.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/clickhouse_http/client.h"
#include "sluice/clickhouse_http/encoder.h"
#include "sluice/clickhouse_http/gzip.h"
#include "sluice/clickhouse_http/table.h"
#include "sluice/flow_record.h"
#include "sluice/metrics.h"
#include "sluice/texts.h"

namespace sluice::clickhouse_http {

using Clock = std::chrono::steady_clock;

struct WriterSettings {
  Format format = Format::native;
  bool gzip = false;
  std::size_t batch_rows = 100'000;
  std::size_t batch_bytes = 64 << 20;
  Clock::duration batch_timeout = std::chrono::seconds(1);
  const TextTable* texts = nullptr;  // the String columns' texts (the run's table)
};

// A batch's rows as an INSERT's body takes them.
struct EncodedRows {
  std::size_t rows = 0;
  std::size_t bytes = 0;  // encoded (what batch_bytes counts), before deflating
  std::uint32_t crc = 0;  // of those bytes, when deflated
  ByteBuffer data;        // what the body carries: the encoded bytes, or their deflated data
};

// Encodes batches for the writer of a table, on any thread (one encoder each).
class RowsEncoder {
 public:
  RowsEncoder(std::span<const Column> columns, const WriterSettings& settings);
  EncodedRows encode(std::span<const FlowRecord> flows);

 private:
  Encoder encoder_;
  std::optional<Deflater> deflater_;
  ByteBuffer encoded_;  // before deflating
};

struct WriterCounters {
  Counter rows;              // rows the server has acknowledged
  Counter inserts;           // INSERTs acknowledged
  Counter bytes;             // request bodies acknowledged (after compression)
  Counter failures;          // INSERTs that failed and were kept to be sent again
  Counter maybe_duplicated;  // rows sent again after an INSERT got no answer
};

class Writer {
 public:
  // `client` runs the INSERTs, as many at once as it has connections.
  Writer(Client& client, const FlowTable& table, WriterSettings settings, WriterCounters counters = {});
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Takes every flow, or none: first it sends again what failed before, and
  // throws sluice::TransientError if that fails again. Blocks while every
  // connection has an INSERT on its way. A permanent failure of an earlier
  // INSERT is thrown as Error.
  void write(std::span<const FlowRecord> flows, Clock::time_point now);
  // The same for flows a RowsEncoder of this table and settings encoded;
  // `encoded` is taken only when the flows are (left as it is on a throw).
  void write(EncodedRows&& encoded, std::span<const FlowRecord> flows, Clock::time_point now);
  // Sends the gathered rows once they have waited batch_timeout.
  void tick(Clock::time_point now);
  // Sends every held row and waits for the answers.
  void flush();
  // Forgets the held rows (gathered, on their way, failed); returns how many.
  std::uint64_t drop();

  // An INSERT failed for good: nothing more is sent (drop() says what is held).
  bool failed() const noexcept { return permanent_error_.has_value(); }

  // Rows taken by write() so far, counted from the first.
  std::uint64_t rows_taken() const noexcept { return rows_taken_; }
  // The first rows_delivered() rows taken are in ClickHouse: their INSERTs,
  // and every earlier one, were answered.
  std::uint64_t rows_delivered() const noexcept { return rows_delivered_; }

 private:
  struct Insert;
  void take(std::span<const FlowRecord> flows, Clock::time_point now);
  void add(Insert& insert, EncodedRows&& encoded);
  void settle();
  void resend_failed();
  Insert& gathering(Clock::time_point now);
  void send(Insert& insert);
  void build_body(Insert& insert) const;
  void ended(Insert& insert, Outcome&& outcome);
  void answered(std::uint64_t first_row, std::uint64_t rows);
  std::unique_ptr<Insert> new_insert() const;

  Client& client_;
  const std::string query_;
  const std::span<const Column> columns_;
  const WriterSettings settings_;
  const WriterCounters counters_;
  RowsEncoder encoder_;
  std::vector<std::unique_ptr<Insert>> inserts_;  // one per connection, and one gathering
  std::optional<Error> permanent_error_;
  std::uint64_t rows_taken_ = 0;
  std::uint64_t rows_delivered_ = 0;
  std::map<std::uint64_t, std::uint64_t> answered_ranges_;  // answered past rows_delivered_: first row -> end
};

}  // namespace sluice::clickhouse_http
