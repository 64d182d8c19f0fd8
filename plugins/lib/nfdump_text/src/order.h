// What rows are ranked by, shared by the line and table layouts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/nfdump_text/formatters.h"
#include "sluice/nffile/file.h"

namespace sluice::nfdump_text {

// A row's counts as nfdump sums them: packets and bytes of both directions.
struct Counts {
  std::uint64_t flows, packets, bytes;
};
Counts counts_of(const FlowRecord& r) noexcept;

// The value a row ranks by: nfdump's integer rates over the row's span in ms.
std::uint64_t value_of(const FlowRecord& r, Order order) noexcept;

// The first `top` rows by `order` of all rows added (all of them when top
// is 0), holding no more than twice `top` at a time: a bin of a million keys
// ranked for its top 10 keeps a few rows, not the million. Rows of equal
// value come ordered by their keys, whatever order they were added in
// (nfdump's come in its hash table's).
class Ranking {
 public:
  Ranking(Order order, std::size_t top) : order_(order), top_(top) {}
  void add(std::span<const FlowRecord> rows);
  // The ranked rows; the ranking starts empty again.
  std::vector<FlowRecord> take();

 private:
  // Whether row a (of value a_value) ranks before row b.
  bool before(std::uint64_t a_value, const FlowRecord& a, std::uint64_t b_value, const FlowRecord& b) const noexcept;
  void keep_top();

  Order order_;
  std::size_t top_;
  std::vector<FlowRecord> rows_;
};

// A bin's rows the last of which is the totals of all its keys (an
// aggregate's `totals`), or none is: rows go to the ranking and count in
// the totals, or the held last row is the totals.
class RankedRows {
 public:
  RankedRows(Order order, std::size_t top, bool totals_row) : ranking_(order, top), totals_row_(totals_row) {}
  void add(std::span<const FlowRecord> rows);
  // The ranked rows and the totals; both start empty again.
  std::vector<FlowRecord> take();
  nffile::FileStats take_totals();

 private:
  Ranking ranking_;
  const bool totals_row_;
  nffile::FileStats totals_;
  std::optional<FlowRecord> last_;  // with a totals row: the last row so far, perhaps the totals
};

}  // namespace sluice::nfdump_text
