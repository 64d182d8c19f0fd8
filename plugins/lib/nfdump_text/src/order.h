// What rows are ranked by, shared by the line and table layouts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/nfdump_text/formatters.h"

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
// value come in no particular order (nfdump's come in its hash table's).
class Ranking {
 public:
  Ranking(Order order, std::size_t top) : order_(order), top_(top) {}
  void add(std::span<const FlowRecord> rows);
  // The ranked rows; the ranking starts empty again.
  std::vector<FlowRecord> take();

 private:
  bool before(const FlowRecord& a, const FlowRecord& b) const noexcept;
  void keep_top();

  Order order_;
  std::size_t top_;
  std::vector<FlowRecord> rows_;
};

}  // namespace sluice::nfdump_text
