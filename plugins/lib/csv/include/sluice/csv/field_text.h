// One field of a flow as text, the way the default CSV layout writes it, and
// back. The one place that knows each field's format: csv_writer's rows, and
// the formats that carry flows as text (JSON, CSV rows on a message bus).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "sluice/csv/text.h"
#include "sluice/fields.h"
#include "sluice/flow_record.h"
#include "sluice/texts.h"

namespace sluice::csv {

enum class TimeFormat {
  iso,       // 2023-11-14T22:13:20.123Z (UTC)
  epoch_ms,  // 1700000000123
  epoch_s,   // 1700000000 (whole seconds)
};

// An interface boundary as text: "external", "internal", empty when undefined.
constexpr std::string_view boundary_name(Boundary b) noexcept {
  return b == Boundary::external ? "external" : b == Boundary::internal ? "internal" : "";
}

// The columns of the default layout, when `fields` is not set.
std::span<const Field> default_fields() noexcept;

class FieldWriter {
 public:
  // `texts`: where text fields' ids are looked up; without it they are empty.
  FieldWriter(TimeFormat time_format, bool proto_names, const TextTable* texts = nullptr)
      : time_format_(time_format), proto_names_(proto_names), texts_(texts) {}

  // The longest text of any field but a text field (an IPv6 address).
  static constexpr std::size_t max_size = 48;

  // Writes the text of `field` at `out`, which has room for room(field,
  // flow), and returns its end. A number the source did not have is 0; an
  // address, MAC, country or text nobody set is empty; a text holding a
  // comma, quote or line break is quoted as RFC 4180 says.
  char* put(char* out, Field field, const FlowRecord& flow);
  // The room put() needs for `field` of `flow`: max_size but for texts.
  std::size_t room(Field field, const FlowRecord& flow) const noexcept;

  // The room a row of `fields` columns needs when none is a text field.
  static constexpr std::size_t row_room(std::size_t fields) noexcept { return fields * (max_size + 1); }
  // The room a row of `fields` needs for `flow`, text fields included.
  std::size_t row_room(std::span<const Field> fields, const FlowRecord& flow) const noexcept;
  // Writes the fields comma-separated, without a line end, at `out` (which
  // has row_room), and returns the end.
  char* put_row(char* out, std::span<const Field> fields, const FlowRecord& flow);

 private:
  char* put_time(char* out, std::uint64_t ms);
  char* put_text(char* out, TextId id) const;

  TimeFormat time_format_;
  bool proto_names_;
  const TextTable* texts_;
  text::AddressText next_hop_;  // repeat from row to row: kept as text
  text::AddressText bgp_next_hop_;
  text::AddressText exporter_;
  text::DateTime utc_{text::DateTime::Zone::utc, 'T'};
};

// Sets `field` of `flow` from its text as FieldWriter writes it: a time in
// ISO 8601 UTC (seconds or milliseconds, 'T' or ' ' between date and time,
// "Z" optional) or a number of epoch milliseconds; a protocol by name or
// number; empty for an unset address or MAC. `duration` follows from first
// and last: its text is checked, not kept. A value read marks its element
// present (an empty address or MAC leaves it absent). Text fields are
// interned into `texts`; without a table they are not values. False when
// the text is not a value of the field (the flow may then be half set).
bool parse_field_value(Field field, std::string_view text, FlowRecord& flow, TextTable* texts = nullptr) noexcept;

// Reads one row of the default layout without its line end, `fields` its
// columns (text fields interned into `texts`, and may be quoted): false when
// a column is missing, extra or not a value of its field.
bool parse_row(std::span<const Field> fields, std::string_view row, FlowRecord& flow,
               TextTable* texts = nullptr) noexcept;

}  // namespace sluice::csv
