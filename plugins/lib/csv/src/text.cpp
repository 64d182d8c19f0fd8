#include "sluice/csv/text.h"

#include <time.h>

#include <array>
#include <bit>
#include <cstdio>
#include <iterator>

namespace sluice::csv::text {

char* put_thousandths(char* out, std::uint64_t value) noexcept {
  if (value >= std::uint64_t{1} << 53) {  // past exact doubles: print what printf prints
    return out + std::snprintf(out, 32, "%.3f", static_cast<double>(value) / 1000.0);
  }
  out = put_uint(out, value / 1000);
  *out++ = '.';
  return put_three_digits(out, static_cast<unsigned>(value % 1000));
}

namespace {

// "0" to "255" padded to four bytes, the last holding the length.
constexpr auto octet_texts = [] {
  std::array<std::array<char, 4>, 256> texts{};
  for (unsigned i = 0; i < 256; ++i) {
    auto& t = texts[i];
    const unsigned digits = i >= 100 ? 3 : i >= 10 ? 2 : 1;
    for (unsigned d = 0, v = i; d < digits; ++d, v /= 10) t[digits - 1 - d] = static_cast<char>('0' + v % 10);
    t[3] = static_cast<char>(digits);
  }
  return texts;
}();

}  // namespace

char* put_ipv4(char* out, std::uint32_t a) noexcept {
  for (int shift = 24; shift >= 0; shift -= 8) {
    const auto& text = octet_texts[a >> shift & 0xff];
    std::memcpy(out, text.data(), 4);  // the room is reserved; the extra bytes are overwritten next
    out += text[3];
    *out++ = '.';
  }
  return out - 1;
}

char* put_ipv6(char* out, const std::uint8_t* b) noexcept {
  unsigned words[8];
  unsigned zero_words = 0;  // bit i: word i is zero
  for (std::size_t i = 0; i < 8; ++i) {
    words[i] = unsigned{b[2 * i]} << 8 | b[2 * i + 1];
    zero_words |= unsigned{words[i] == 0} << i;
  }
  // The first longest run of two or more zero words becomes "::".
  int best = -1, best_len = 1;
  for (int i = 0; zero_words >> i != 0;) {
    if (!(zero_words >> i & 1)) {
      ++i;
      continue;
    }
    const int len = std::countr_one(zero_words >> i);
    if (len > best_len) best = i, best_len = len;
    i += len;
  }

  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) *out++ = ':';
      continue;
    }
    if (i != 0) *out++ = ':';
    // ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 address dotted.
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
      return put_ipv4(out, std::uint32_t{b[12]} << 24 | std::uint32_t{b[13]} << 16 | std::uint32_t{b[14]} << 8 | b[15]);
    }
    // All four digits, of which the leading zeros are skipped (room is reserved).
    const unsigned w = words[i];
    const char digits[8] = {hex[w >> 12], hex[w >> 8 & 0xf], hex[w >> 4 & 0xf], hex[w & 0xf]};
    const int length = w == 0 ? 1 : (std::bit_width(w) + 3) / 4;
    std::memcpy(out, digits + 4 - length, 4);
    out += length;
  }
  if (best >= 0 && best + best_len == 8) *out++ = ':';
  return out;
}

char* put_address_as_ipv6(char* out, const IpAddress& a) noexcept { return put_ipv6(out, a.bytes.data()); }

char* put_address(char* out, const IpAddress& a) noexcept {
  return a.is_v4() ? put_ipv4(out, a.v4_value()) : put_ipv6(out, a.bytes.data());
}

char* AddressText::put(char* out, const IpAddress& address) noexcept {
  std::uint64_t words[2];
  std::memcpy(words, address.bytes.data(), sizeof words);
  if (!have_ || words[0] != last_[0] || words[1] != last_[1]) {
    have_ = true;
    std::memcpy(last_, words, sizeof words);
    size_ = static_cast<std::size_t>(put_address(text_, address) - text_);
  }
  std::memcpy(out, text_, sizeof text_);  // a fixed size copies inline; the room is reserved
  return out + size_;
}

namespace {

constexpr auto flag_texts = [] {
  constexpr char letters[] = "CEUAPRSF";
  std::array<std::array<char, 8>, 256> texts{};
  for (unsigned flags = 0; flags < 256; ++flags) {
    for (unsigned bit = 0; bit < 8; ++bit) texts[flags][bit] = flags & (0x80u >> bit) ? letters[bit] : '.';
  }
  return texts;
}();

}  // namespace

char* put_tcp_flags(char* out, std::uint8_t flags) noexcept {
  std::memcpy(out, flag_texts[flags].data(), 8);
  return out + 8;
}

char* put_mac(char* out, const MacAddress& mac) noexcept {
  static constexpr char hex[] = "0123456789abcdef";
  for (const std::uint8_t b : mac.bytes) {
    *out++ = hex[b >> 4];
    *out++ = hex[b & 0xf];
    *out++ = ':';
  }
  return out - 1;
}

namespace {

struct CivilDate {
  std::int64_t year;
  unsigned month, day;
};

// The proleptic Gregorian date of a day count since 1970-01-01, by whole
// 400-year eras (146097 days) counted from 0000-03-01, so that the leap day
// ends each year of the cycle.
CivilDate civil_from_days(std::int64_t days) noexcept {
  days += 719468;  // 0000-03-01 to 1970-01-01
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned month_from_march = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const unsigned month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  return {static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2), month, day};
}

}  // namespace

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

namespace {

char* put_two_digits(char* out, unsigned value) noexcept {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
  return out + 2;
}

}  // namespace

DateTime::DateTime(Zone zone, char separator) : zone_(zone), separator_(separator) {
  if (zone == Zone::local) ::tzset();
}

std::int64_t DateTime::local_offset(std::int64_t seconds) {
  Minute& m = minutes_[static_cast<std::uint64_t>(seconds / 60) % std::size(minutes_)];
  if (seconds < m.start || seconds >= m.start + 60) {
    const time_t t = static_cast<time_t>(seconds);
    struct tm tm {};
    ::localtime_r(&t, &tm);
    // Zone offsets change on whole local minutes, so one offset serves the minute.
    m.start = seconds - tm.tm_sec;
    m.offset = tm.tm_gmtoff;
  }
  return m.offset;
}

char* DateTime::put(char* out, std::int64_t seconds) {
  Second& second = seconds_[static_cast<std::uint64_t>(seconds) % std::size(seconds_)];
  if (second.seconds != seconds) {
    second.seconds = seconds;
    second.size = static_cast<std::size_t>(format(second.text, seconds) - second.text);
  }
  std::memcpy(out, second.text, sizeof second.text);  // a fixed size copies inline; the room is reserved
  return out + second.size;
}

char* DateTime::format(char* out, std::int64_t seconds) {
  if (zone_ == Zone::local) seconds += local_offset(seconds);
  const std::int64_t day = (seconds >= 0 ? seconds : seconds - 86399) / 86400;
  if (day != day_) {
    const CivilDate date = civil_from_days(day);
    const auto year = static_cast<std::uint64_t>(date.year);  // 1969 at the least: times are unsigned
    char* p = date_;
    if (year <= 9999) {
      p = put_two_digits(p, static_cast<unsigned>(year / 100));
      p = put_two_digits(p, static_cast<unsigned>(year % 100));
    } else {
      p = put_uint(p, year);  // as strftime's %Y: unpadded (a corrupt time, most likely)
    }
    *p++ = '-';
    p = put_two_digits(p, date.month);
    *p++ = '-';
    p = put_two_digits(p, date.day);
    *p++ = separator_;
    date_size_ = static_cast<std::size_t>(p - date_);
    day_ = day;
  }
  std::memcpy(out, date_, date_size_);
  out += date_size_;
  const auto second_of_day = static_cast<unsigned>(seconds - day * 86400);
  out = put_two_digits(out, second_of_day / 3600);
  *out++ = ':';
  out = put_two_digits(out, second_of_day / 60 % 60);
  *out++ = ':';
  return put_two_digits(out, second_of_day % 60);
}

}  // namespace sluice::csv::text
