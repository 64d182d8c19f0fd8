#include "sluice/clickhouse_http/writer.h"

#include <fmt/format.h>

#include <algorithm>

#include "sluice/status.h"

namespace sluice::clickhouse_http {

RowsEncoder::RowsEncoder(std::span<const Column> columns, const WriterSettings& settings)
    : encoder_(settings.format, columns, settings.texts) {
  if (settings.gzip) deflater_.emplace();
}

EncodedRows RowsEncoder::encode(std::span<const FlowRecord> flows) {
  EncodedRows encoded;
  encoded.rows = flows.size();
  if (!deflater_) {
    encoder_.encode(flows, encoded.data);
    encoded.bytes = encoded.data.size();
    return encoded;
  }
  encoded_.resize_down(0);
  encoder_.encode(flows, encoded_);
  encoded.bytes = encoded_.size();
  encoded.crc = deflater_->deflate(encoded_.view(), encoded.data);
  return encoded;
}

// The rows of one INSERT, from gathering to acknowledged.
struct Writer::Insert {
  enum class State { idle, gathering, sending, failed };

  void clear() {
    pieces.clear();
    rows = 0;
    bytes = 0;
    body.clear();
    state = State::idle;
    unanswered = false;
  }

  std::vector<EncodedRows> pieces;  // its batches (or their parts), in order
  std::size_t rows = 0;
  std::size_t bytes = 0;  // encoded, before deflating
  State state = State::idle;
  Clock::time_point first_row_at;
  std::uint64_t first_row = 0;                   // of all rows the writer took
  std::vector<std::span<const std::byte>> body;  // built once, sent as often as needed
  std::size_t body_bytes = 0;
  GzipMember gzip;          // the frame around deflated pieces
  bool unanswered = false;  // an attempt got no answer: the server may hold these rows already
  std::string last_error;
};

Writer::Writer(Client& client, const FlowTable& table, WriterSettings settings, WriterCounters counters)
    : client_(client),
      query_(table.insert_query(settings.format)),
      columns_(table.columns()),
      settings_(settings),
      counters_(counters),
      encoder_(columns_, settings_) {
  // One INSERT gathers while each connection carries one.
  for (std::size_t i = 0; i <= client_.connections(); ++i) inserts_.push_back(new_insert());
}

std::unique_ptr<Writer::Insert> Writer::new_insert() const { return std::make_unique<Insert>(); }

// Nothing on its way may read a body after it is gone.
Writer::~Writer() { client_.abort(); }

void Writer::write(std::span<const FlowRecord> flows, Clock::time_point now) {
  settle();
  resend_failed();
  take(flows, now);  // from here on nothing throws: every flow is taken
}

void Writer::write(EncodedRows&& encoded, std::span<const FlowRecord> flows, Clock::time_point now) {
  settle();
  resend_failed();
  if (flows.empty()) return;
  Insert& insert = gathering(now);
  if (insert.rows + flows.size() > settings_.batch_rows) return take(flows, now);  // cut in two: encoded again
  rows_taken_ += flows.size();
  add(insert, std::move(encoded));
}

// An INSERT holds at most batch_rows rows, so that ClickHouse stores it as
// one block (atomic, and deduplicated by a replicated table when sent again).
void Writer::take(std::span<const FlowRecord> flows, Clock::time_point now) {
  while (!flows.empty()) {
    Insert& insert = gathering(now);
    const auto taken = flows.first(std::min(settings_.batch_rows - insert.rows, flows.size()));
    rows_taken_ += taken.size();
    flows = flows.subspan(taken.size());
    add(insert, encoder_.encode(taken));
  }
}

void Writer::add(Insert& insert, EncodedRows&& encoded) {
  insert.rows += encoded.rows;
  insert.bytes += encoded.bytes;
  insert.pieces.push_back(std::move(encoded));
  if (insert.rows >= settings_.batch_rows || insert.bytes >= settings_.batch_bytes) send(insert);
}

void Writer::tick(Clock::time_point now) {
  settle();
  resend_failed();
  for (const auto& insert : inserts_) {
    if (insert->state == Insert::State::gathering && now - insert->first_row_at >= settings_.batch_timeout)
      send(*insert);
  }
}

void Writer::flush() {
  settle();
  resend_failed();
  for (const auto& insert : inserts_)
    if (insert->state == Insert::State::gathering) send(*insert);
  while (client_.running() > 0) client_.wait();
  resend_failed();
}

std::uint64_t Writer::drop() {
  client_.abort();
  std::uint64_t held = 0;
  for (const auto& insert : inserts_) {
    held += insert->rows;
    insert->clear();
  }
  return held;
}

// INSERTs are answered in any order: rows_delivered_ moves over the
// contiguous answered prefix.
void Writer::answered(std::uint64_t first_row, std::uint64_t rows) {
  answered_ranges_.emplace(first_row, first_row + rows);
  for (auto next = answered_ranges_.begin(); next != answered_ranges_.end() && next->first == rows_delivered_;
       next = answered_ranges_.erase(next))
    rows_delivered_ = next->second;
}

// Runs what has become ready; a permanent failure is thrown here.
void Writer::settle() {
  client_.poll();
  if (permanent_error_) throw *permanent_error_;
}

// Each failed INSERT goes again, one at a time, waiting for the answer.
void Writer::resend_failed() {
  for (const auto& insert : inserts_) {
    if (insert->state != Insert::State::failed) continue;
    send(*insert);
    while (insert->state == Insert::State::sending) client_.wait();
    if (permanent_error_) throw *permanent_error_;
    if (insert->state == Insert::State::failed)
      throw TransientError(
          fmt::format("{} rows held, their INSERT failed again: {}", insert->rows, insert->last_error));
  }
}

// The INSERT gathering rows, or an idle one that starts to.
Writer::Insert& Writer::gathering(Clock::time_point now) {
  for (const auto& insert : inserts_)
    if (insert->state == Insert::State::gathering) return *insert;
  auto idle = std::find_if(inserts_.begin(), inserts_.end(),
                           [](const auto& insert) { return insert->state == Insert::State::idle; });
  if (idle == inserts_.end()) {  // the others have failed since this write began: they wait for the next
    inserts_.push_back(new_insert());
    idle = inserts_.end() - 1;
  }
  (*idle)->state = Insert::State::gathering;
  (*idle)->first_row_at = now;
  (*idle)->first_row = rows_taken_;
  return **idle;
}

// Starts the INSERT once a connection is free (waiting for one: that is how
// a slow server slows the pipeline down).
void Writer::send(Insert& insert) {
  if (insert.rows == 0) {
    insert.clear();
    return;
  }
  while (client_.idle() == 0) client_.wait();
  if (insert.body.empty()) build_body(insert);
  if (insert.unanswered) {
    counters_.maybe_duplicated.add(insert.rows);
    insert.unanswered = false;
  }
  insert.state = Insert::State::sending;
  client_.start(query_, insert.body, settings_.gzip ? "gzip" : "",
                [this, &insert](Outcome&& outcome) { ended(insert, std::move(outcome)); });
}

// The pieces in order; with gzip in one member's frame.
void Writer::build_body(Insert& insert) const {
  insert.gzip = {};
  if (settings_.gzip) insert.body.push_back(GzipMember::header());
  for (const EncodedRows& piece : insert.pieces) {
    insert.body.push_back(piece.data.view());
    if (settings_.gzip) insert.gzip.add(piece.crc, piece.bytes);
  }
  if (settings_.gzip) insert.body.push_back(insert.gzip.end());
  insert.body_bytes = 0;
  for (const auto& piece : insert.body) insert.body_bytes += piece.size();
}

void Writer::ended(Insert& insert, Outcome&& outcome) {
  if (!outcome.error) {
    answered(insert.first_row, insert.rows);
    counters_.rows.add(insert.rows);
    counters_.inserts.add();
    counters_.bytes.add(insert.body_bytes);
    insert.clear();
    return;
  }
  insert.state = Insert::State::failed;
  if (!outcome.error->transient()) {
    if (!permanent_error_) permanent_error_ = std::move(outcome.error);
    return;
  }
  counters_.failures.add();
  insert.unanswered = insert.unanswered || outcome.error->maybe_applied();
  insert.last_error = outcome.error->what();
}

}  // namespace sluice::clickhouse_http
