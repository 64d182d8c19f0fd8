// The pieces of nfdump 1.7.1's text output, each as nfdump prints it.
#pragma once

#include <cstdint>
#include <string>

#include "sluice/flow_record.h"
#include "sluice/nffile/file.h"

namespace sluice::nfdump_text {

// 1234, "1.8 M", "2.0 G" (powers of 1000); fixed width pads to "%4.0f" and
// "%5.1f M" for columns; plain: the number as it is (nfdump -N).
std::string number(std::uint64_t value, bool fixed_width, bool plain);

// "    00:01:02.345", or "12d 00:01:02.345" from a day on.
std::string duration(double seconds);

// "TCP  ", "ICMP6": a protocol's name left-aligned in 5 characters, its
// number when it has none or `plain` (nfdump -N).
std::string protocol_text(std::uint8_t proto, bool plain);

// "YYYY-MM-DD hh:mm:ss" of epoch seconds in local time (TZ).
std::string local_time(std::int64_t seconds);
// The same with ".mmm" of epoch milliseconds.
std::string local_time_ms(std::uint64_t ms);

// An address as nfdump prints it in a column: IPv4 dotted unless `as_ipv6`
// (nfdump prints both addresses of an IPv6 flow as IPv6); IPv6 longer than
// 16 characters shortened to its first 7 and last 7 with ".." between,
// unless `long_v6` (nfdump -6).
std::string address(const IpAddress& address, bool as_ipv6, bool long_v6);

// (last - first) / 1000 as nfdump computes a flow's duration: unsigned, so a
// flow ending before it starts wraps.
inline double duration_of(std::uint64_t first_ms, std::uint64_t last_ms) {
  return static_cast<double>(last_ms - first_ms) / 1000.0;
}

// nfdump's "Summary: total flows: ..." line of the flows printed.
std::string summary_line(const nffile::FileStats& totals, bool plain);

}  // namespace sluice::nfdump_text
