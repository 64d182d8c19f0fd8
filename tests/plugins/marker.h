// Test plugins prove "no plugin started" by leaving a file when they start.
#pragma once

#include <fstream>
#include <string>

namespace sluice::testing {

inline void leave_marker(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  std::ofstream(path, std::ios::app) << text << '\n';
}

}  // namespace sluice::testing
