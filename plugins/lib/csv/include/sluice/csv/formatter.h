// Formats flow records as CSV rows.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "sluice/csv/buffer.h"
#include "sluice/csv/field_text.h"
#include "sluice/flow_record.h"

namespace sluice::csv {

// A layout: a header row, the rows, and optionally a trailer after them.
class Formatter {
 public:
  virtual ~Formatter() = default;
  virtual void header(Buffer& out) = 0;
  virtual void rows(std::span<const FlowRecord> flows, Buffer& out) = 0;
  virtual void trailer(Buffer& out) = 0;  // closes one file's worth of rows

  // Rows formatted away from their file, by another copy of the formatter
  // (a worker's): as rows() would if they were the first of a file, taking
  // no note of them for the trailer.
  virtual void detached_rows(std::span<const FlowRecord> flows, Buffer& out) { rows(flows, out); }
  // The writer's copy, as those rows land in its file: takes note of them as
  // rows() would, and makes `text` (detached_rows()' output for them) what
  // rows() would have made here.
  virtual void attach(std::span<const FlowRecord> /*flows*/, Buffer& /*text*/) {}
};

struct DefaultLayout {
  std::vector<Field> fields{default_fields().begin(), default_fields().end()};
  TimeFormat time_format = TimeFormat::iso;
  bool proto_names = true;           // TCP, UDP, ICMP ... instead of 6, 17, 1
  const TextTable* texts = nullptr;  // text fields' texts (the run's table)
};

// The chosen fields in order, header = their names. Only a text field may
// hold a comma, quote or line break: it is quoted as RFC 4180 says.
std::unique_ptr<Formatter> make_default_formatter(DefaultLayout layout);

// The exact `nfdump -o csv` output of nfdump 1.7.1 for the same flows read
// from an nfcapd file sluice wrote: its 48-column header and formats, times in
// local time (TZ) and exporter ids numbered as in that file. With `summary`,
// the trailer is nfdump's "Summary" lines.
std::unique_ptr<Formatter> make_nfdump_formatter(bool summary);

}  // namespace sluice::csv
