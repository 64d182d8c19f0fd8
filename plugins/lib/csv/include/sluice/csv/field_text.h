// One field of a flow as text, the way the default CSV layout writes it, and
// back. The one place that knows each field's format: csv_writer's rows, and
// the formats that carry flows as text (JSON, CSV rows on a message bus).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "sluice/csv/fields.h"
#include "sluice/csv/text.h"
#include "sluice/flow_record.h"

namespace sluice::csv {

enum class TimeFormat {
  iso,       // 2023-11-14T22:13:20.123Z (UTC)
  epoch_ms,  // 1700000000123
  epoch_s,   // 1700000000 (whole seconds)
};

class FieldWriter {
 public:
  FieldWriter(TimeFormat time_format, bool proto_names) : time_format_(time_format), proto_names_(proto_names) {}

  // The longest text of any field (an IPv6 address).
  static constexpr std::size_t max_size = 48;

  // Writes the text of `field` at `out`, which has room for max_size, and
  // returns its end. An address or MAC nobody set is empty.
  char* put(char* out, Field field, const FlowRecord& flow);

  // The room a row of `fields` columns needs.
  static constexpr std::size_t row_room(std::size_t fields) noexcept { return fields * (max_size + 1); }
  // Writes the fields comma-separated, without a line end, at `out` (which
  // has row_room), and returns the end.
  char* put_row(char* out, std::span<const Field> fields, const FlowRecord& flow);

 private:
  char* put_time(char* out, std::uint64_t ms);

  TimeFormat time_format_;
  bool proto_names_;
  text::AddressText next_hop_;  // repeats from row to row: kept as text
  text::AddressText exporter_;
  text::DateTime utc_{text::DateTime::Zone::utc, 'T'};
};

// Sets `field` of `flow` from its text as FieldWriter writes it: a time in
// ISO 8601 UTC (seconds or milliseconds, 'T' or ' ' between date and time,
// "Z" optional) or a number of epoch milliseconds; a protocol by name or
// number; empty for an unset address or MAC. `duration` follows from first
// and last: its text is checked, not kept. False when the text is not a
// value of the field (the flow may then be half set).
bool parse_field_value(Field field, std::string_view text, FlowRecord& flow) noexcept;

// Reads one row of the default layout without its line end, `fields` its
// columns: false when a column is missing, extra or not a value of its field.
bool parse_row(std::span<const Field> fields, std::string_view row, FlowRecord& flow) noexcept;

}  // namespace sluice::csv
