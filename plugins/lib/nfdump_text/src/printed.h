// Pieces the JSON and raw layouts print their lines with.
#pragma once

#include <cstdio>
#include <string>

#include "sluice/csv/text.h"
#include "sluice/flow_record.h"

namespace sluice::nfdump_text {

// printf's `format` of `args`, appended to `out`: on the stack when it fits
// (a line does), else formatted again into `out` (raw's lines of two IPv6
// networks reach 263 bytes).
template <class... Args>
void append(std::string& out, const char* format, Args... args) {
  char text[256];
  const int n = std::snprintf(text, sizeof text, format, args...);
  if (n <= 0) return;
  const auto size = static_cast<std::size_t>(n);
  if (size < sizeof text) return void(out.append(text, size));
  const std::size_t at = out.size();
  out.resize(at + size + 1);  // room for snprintf's terminating zero
  std::snprintf(out.data() + at, size + 1, format, args...);
  out.resize(at + size);
}

// An address as inet_ntop prints it; as IPv6 (::ffff:a.b.c.d) when `ipv6`.
inline std::string ip_text(const IpAddress& a, bool ipv6) {
  char text[64];
  char* const end = ipv6 ? csv::text::put_address_as_ipv6(text, a) : csv::text::put_address(text, a);
  return {text, static_cast<std::size_t>(end - text)};
}

}  // namespace sluice::nfdump_text
