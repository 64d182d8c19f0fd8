// Fast text for the pieces of a row. Each writer puts its text at `out` and
// returns the end; the caller has reserved the room.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

#include "sluice/flow_record.h"

namespace sluice::csv::text {

// An empty view may have no data at all (an unknown country, text id 0),
// and memcpy's source must not be null even for no bytes.
inline char* put(char* out, std::string_view s) noexcept {
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

inline char* put_uint(char* out, std::uint64_t value) noexcept {
  if (value < 10) {  // most counters in a row are 0 or small
    *out = static_cast<char>('0' + value);
    return out + 1;
  }
  return std::to_chars(out, out + 20, value).ptr;
}

// value / 1000 with three decimals: what printf("%.3f", value / 1000.0) prints
// for every value below 2^53.
char* put_thousandths(char* out, std::uint64_t value) noexcept;

// Three digits with leading zeros (milliseconds of a time).
inline char* put_three_digits(char* out, unsigned value) noexcept {
  out[0] = static_cast<char>('0' + value / 100);
  out[1] = static_cast<char>('0' + value / 10 % 10);
  out[2] = static_cast<char>('0' + value % 10);
  return out + 3;
}

char* put_ipv4(char* out, std::uint32_t address) noexcept;
// As inet_ntop(AF_INET6) writes it (RFC 5952, embedded IPv4 forms included).
char* put_ipv6(char* out, const std::uint8_t* bytes) noexcept;  // 16 bytes
// IPv4 addresses dotted, others as IPv6.
char* put_address(char* out, const IpAddress& address) noexcept;
char* put_address_as_ipv6(char* out, const IpAddress& address) noexcept;

// The text of the address written last, for columns whose address repeats
// from row to row (exporter, next hop): a copy instead of a conversion.
class AddressText {
 public:
  char* put(char* out, const IpAddress& address) noexcept;  // as put_address

 private:
  bool have_ = false;
  std::uint64_t last_[2] = {};  // the address as two words: compared without memcmp
  char text_[48];
  std::size_t size_ = 0;
};

// Lower-case hex bytes between colons: 00:1b:21:3c:4d:5e.
char* put_mac(char* out, const MacAddress& mac) noexcept;

// nfdump's TCP flags: CWR ECE URG ACK PSH RST SYN FIN as "CEUAPRSF", '.' when unset.
char* put_tcp_flags(char* out, std::uint8_t flags) noexcept;

// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
// (month 1-12, day 1-31): what DateTime turns back into a date.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept;

// Epoch seconds as "YYYY-MM-DD hh:mm:ss" (separator configurable), in UTC or
// local time, computed without the C library's formatting: rows need three
// stamps each. The texts of the last 64 seconds seen are kept (flows of a
// file start within seconds of each other, in no strict order). Local time
// asks localtime_r for the zone offset once per minute, remembered for the
// minutes seen last; the date is kept while the day lasts.
class DateTime {
 public:
  enum class Zone { utc, local };
  DateTime(Zone zone, char separator);
  char* put(char* out, std::int64_t seconds);

 private:
  char* format(char* out, std::int64_t seconds);
  std::int64_t local_offset(std::int64_t seconds);

  struct Minute {
    std::int64_t start = std::numeric_limits<std::int64_t>::max();  // UTC second the local minute begins at; none yet
    std::int64_t offset = 0;
  };
  Zone zone_;
  char separator_;
  Minute minutes_[64];  // by UTC minute, modulo 64
  struct Second {
    std::int64_t seconds = std::numeric_limits<std::int64_t>::min();  // none yet
    char text[32];
    std::size_t size = 0;
  };
  Second seconds_[64];                                           // by epoch second, modulo 64
  std::int64_t day_ = std::numeric_limits<std::int64_t>::min();  // of date_
  char date_[32];                                                // "YYYY-MM-DD" and the separator
  std::size_t date_size_ = 0;
};

}  // namespace sluice::csv::text
