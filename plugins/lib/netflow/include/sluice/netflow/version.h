// The NetFlow export protocol versions sluice speaks.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::netflow {

// The values are the version numbers in the datagram header.
enum class Version : std::uint16_t { v5 = 5, v9 = 9, ipfix = 10 };

// 5, 9 or 10 (IPFIX); anything else is not a version we speak.
constexpr std::optional<Version> version_from_number(std::int64_t n) noexcept {
  if (n == 5 || n == 9 || n == 10) return static_cast<Version>(n);
  return std::nullopt;
}

constexpr std::string_view version_name(Version v) noexcept {
  switch (v) {
    case Version::v5: return "v5";
    case Version::v9: return "v9";
    case Version::ipfix: return "IPFIX";
  }
  return "?";
}

}  // namespace sluice::netflow
