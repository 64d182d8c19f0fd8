// What rows are ranked by, shared by the line and table layouts.
#pragma once

#include <cstdint>
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

// Sorts rows into `order`, rows of equal value kept as they came.
void rank(std::vector<FlowRecord>& rows, Order order);

}  // namespace sluice::nfdump_text
