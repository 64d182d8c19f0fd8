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

// The most events of `times` (sorted) in one train: each within `gap` of
// the one before. Unlike densest(), a sender woken late by a loaded machine
// does not lengthen its trains, only puts them closer together.
inline std::size_t longest_train(const std::vector<std::int64_t>& times, std::int64_t gap) {
  std::size_t most = times.empty() ? 0 : 1;
  for (std::size_t i = 1, length = 1; i < times.size(); ++i) {
    length = times[i] - times[i - 1] <= gap ? length + 1 : 1;
    most = std::max(most, length);
  }
  return most;
}

}  // namespace sluice::testing
