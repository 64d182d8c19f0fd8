// Test support: how bursty a series of event times is.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::testing {

// The most events of `times` (sorted) within any `span` of the same unit.
inline std::size_t densest(const std::vector<std::int64_t>& times, std::int64_t span) {
  std::size_t most = 0;
  for (std::size_t i = 0, j = 0; i < times.size(); ++i) {
    while (times[i] - times[j] >= span) ++j;
    most = std::max(most, i - j + 1);
  }
  return most;
}

}  // namespace sluice::testing
