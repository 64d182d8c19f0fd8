// nfdump 1.7.1's text layouts as csv::Formatter layouts, so that csv's
// FileWriter writes them as it writes CSV: the header is nfdump's column
// header, the trailer its "Summary:" line.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/csv/formatter.h"
#include "sluice/fields.h"

namespace sluice::nfdump_text {

// The `fmt:` string of nfdump's named layouts: line, long, extended, biline,
// bilong, nsel, nel; null's is empty.
std::optional<std::string_view> named_format(std::string_view name) noexcept;

// How rows are ranked (nfdump -s ELEMENT/ORDER, -O ORDER): largest first,
// but earliest first for tstart and tend.
enum class Order { flows, packets, bytes, pps, bps, bpp, tstart, tend };
std::optional<Order> parse_order(std::string_view name) noexcept;
std::string_view to_string(Order order) noexcept;

struct LineLayout {
  std::string format;          // nfdump's `-o fmt:` tokens (%ts %td %pr %sap -> %dap ...) and text between them;
                               // empty: no header and no line per flow, only what the trailer says (-o null)
  bool long_v6 = false;        // IPv6 addresses whole (nfdump -6), not shortened to fit 16 characters
  bool plain = false;          // numbers as they are (nfdump -N), not scaled to "1.8 M"
  bool summary = false;        // the Summary line after the rows (and "No matching flows" before it when none)
  std::optional<Order> order;  // rows held until the file closes, then printed in this order (nfdump -O)
  std::size_t top = 0;         // with an order: the first N rows only; 0: all
  bool totals_row = false;     // with an order: the last row is the totals of all (see StatLayout)
  // With an order: a line above the column header, both printed only when
  // a row came (nfdump -s record's "Top 10 flows ordered by bytes:").
  std::string title;
  bool no_match = true;  // "No matching flows" when no row came (nfdump says it once, before its first table)
};

// One line per flow; "No matching flows" when the file got none, as nfdump
// says with and without -q. Throws std::invalid_argument naming the first token
// it does not print.
std::unique_ptr<csv::Formatter> make_line_formatter(LineLayout layout);

// `-o json`: nfdump's JSON array, an object per flow with a group of
// members for each element the flow has (its nfdump extensions), export_sysid
// numbering exporters as they first appear; "No matching flows" when none
// came. Without `brackets` (nfdump -q) neither the header's "[" nor the
// trailer's "]": the objects alone, the last without a line end.
std::unique_ptr<csv::Formatter> make_json_formatter(bool brackets);

// `-o raw`: nfdump's "Flow Record:" block per flow, the record as an nfcapd
// file stores it (binary_writer's form of it: header flags, elements, size),
// RecordCount numbering the flows printed, export sysid the exporters as they
// first appear; with `summary` nfdump's Summary line after the last.
std::unique_ptr<csv::Formatter> make_raw_formatter(bool summary);

// `-o pipe`: nfdump's numbers of each flow between '|' (address family,
// times in ms, protocol, each address as four 32-bit words, ports, AS
// numbers, interfaces, TCP flags, ToS, packets, bytes); no header, no
// Summary, "No matching flows" when none came.
std::unique_ptr<csv::Formatter> make_pipe_formatter();

struct StatLayout {
  Field field = Field::src_addr;  // the element, as the aggregate upstream keyed the records
  // The aggregate counted each flow under either side (nfdump -s ip, port,
  // as, if, mask, vlan): `field` names the source side, the column says
  // "IP Addr", and the shares are of the flows, each of which is in the rows twice.
  bool either_side = false;
  // The last row of the bin is not a key but the totals of all keys (an
  // aggregate's `totals`, which may send only its top rows); else the
  // totals are the rows' sums.
  bool totals_row = false;
  Order order = Order::flows;
  std::size_t top = 10;  // rows printed; 0: every row
  bool long_v6 = false;
  bool plain = false;
  bool csv = false;      // nfdump -o csv's table: comma-separated, addresses whole, its own header
  bool title = true;     // "Top N ... ordered by ...:" and the column header; with csv, its header
  bool no_match = true;  // "No matching flows" when no row came (nfdump says it once, before its first table)
  bool summary = false;  // the Summary line after the table
};

// The fields a statistics table can name (their column header), for messages.
std::string stat_field_names();

// Takes one record per key (an aggregate's rows of one bin) and prints,
// when the file closes, the `top` largest by `order` with each one's share
// of all the rows' flows, packets and bytes. Throws std::invalid_argument
// for a field it has no column for.
std::unique_ptr<csv::Formatter> make_stat_formatter(StatLayout layout);

}  // namespace sluice::nfdump_text
