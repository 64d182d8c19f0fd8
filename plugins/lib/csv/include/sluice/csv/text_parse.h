// Reading back the texts of a flow's fields: what the CSV rows, JSON and
// other text formats carry. Each is false when `text` is not one.
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>

#include "sluice/flow_record.h"

namespace sluice::csv::text {

// Digits only (no sign), within T.
template <class T>
inline bool parse_uint(std::string_view text, T& out) noexcept {
  const char* end = text.data() + text.size();
  if (text.empty() || text.front() == '-' || text.front() == '+') return false;
  const auto [ptr, error] = std::from_chars(text.data(), end, out);
  return error == std::errc{} && ptr == end;
}

// A time in ISO 8601 UTC (seconds or milliseconds, 'T' or ' ' between date
// and time, "Z" optional), or a number of epoch milliseconds.
bool parse_time(std::string_view text, std::uint64_t& ms) noexcept;
// Seconds with up to three decimals, as a duration is written: checked only.
bool parse_seconds(std::string_view text) noexcept;
// IPv4 dotted or IPv6; empty: unset.
bool parse_address(std::string_view text, IpAddress& out) noexcept;
// 00:1b:21:3c:4d:5e; empty: unset.
bool parse_mac(std::string_view text, MacAddress& out) noexcept;
// A protocol's number, or its name as protocol_name() writes it.
bool parse_protocol(std::string_view text, std::uint8_t& out) noexcept;

}  // namespace sluice::csv::text
