// The readers of the texts text.h's writers write (text_parse.h).
#include "sluice/csv/text_parse.h"

#include <arpa/inet.h>

#include <cstring>

#include "sluice/csv/text.h"
#include "sluice/protocols.h"

namespace sluice::csv::text {
namespace {

// The next `digits` characters as a number; false unless all are digits.
bool take_digits(std::string_view& text, std::size_t digits, unsigned& out) noexcept {
  if (text.size() < digits) return false;
  out = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  text.remove_prefix(digits);
  return true;
}

bool take(std::string_view& text, char c) noexcept {
  if (text.empty() || text.front() != c) return false;
  text.remove_prefix(1);
  return true;
}

bool parse_ipv4(std::string_view text, std::uint32_t& out) noexcept {
  out = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0 && !take(text, '.')) return false;
    unsigned value = 0;
    std::size_t digits = 0;
    while (digits < text.size() && digits < 3 && text[digits] >= '0' && text[digits] <= '9')
      value = value * 10 + static_cast<unsigned>(text[digits++] - '0');
    if (digits == 0 || value > 255) return false;
    text.remove_prefix(digits);
    out = out << 8 | value;
  }
  return text.empty();
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// 2023-11-14T22:13:20.123Z, the milliseconds and the Z optional, or epoch ms.
bool parse_time(std::string_view text, std::uint64_t& ms) noexcept {
  if (parse_uint(text, ms)) return true;
  unsigned year, month, day, hour, minute, second, millis = 0;
  if (!take_digits(text, 4, year) || !take(text, '-') || !take_digits(text, 2, month) || !take(text, '-') ||
      !take_digits(text, 2, day) || !(take(text, 'T') || take(text, ' ')) || !take_digits(text, 2, hour) ||
      !take(text, ':') || !take_digits(text, 2, minute) || !take(text, ':') || !take_digits(text, 2, second))
    return false;
  if (take(text, '.') && !take_digits(text, 3, millis)) return false;
  take(text, 'Z');
  if (!text.empty() || year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60)
    return false;
  const std::int64_t days = days_from_civil(year, month, day);
  ms = (static_cast<std::uint64_t>(days) * 86400 + hour * 3600ULL + minute * 60ULL + second) * 1000 + millis;
  return true;
}

// Seconds with up to three decimals, as duration is written: checked only.
bool parse_seconds(std::string_view text) noexcept {
  const auto dot = text.find('.');
  std::uint64_t whole = 0, fraction = 0;
  if (dot == std::string_view::npos) return parse_uint(text, whole);
  return parse_uint(text.substr(0, dot), whole) && dot + 4 >= text.size() && parse_uint(text.substr(dot + 1), fraction);
}

// Empty: unset. IPv4 by hand (most addresses, and inet_pton wants a C string).
bool parse_address(std::string_view text, IpAddress& out) noexcept {
  if (text.empty()) {
    out = {};
    return true;
  }
  if (std::uint32_t v4; parse_ipv4(text, v4)) {
    out = IpAddress::v4(v4);
    return true;
  }
  char c_text[INET6_ADDRSTRLEN];
  if (text.size() >= sizeof c_text) return false;
  std::memcpy(c_text, text.data(), text.size());
  c_text[text.size()] = '\0';
  std::uint8_t bytes[16];
  if (inet_pton(AF_INET6, c_text, bytes) != 1) return false;
  out = IpAddress::v6(bytes);
  return true;
}

bool parse_mac(std::string_view text, MacAddress& out) noexcept {
  out = {};
  if (text.empty()) return true;
  if (text.size() != 17) return false;
  for (std::size_t i = 0; i < 6; ++i) {
    const int high = hex_digit(text[i * 3]), low = hex_digit(text[i * 3 + 1]);
    if (high < 0 || low < 0 || (i < 5 && text[i * 3 + 2] != ':')) return false;
    out.bytes[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return true;
}

bool parse_protocol(std::string_view text, std::uint8_t& out) noexcept {
  if (parse_uint(text, out)) return true;
  const auto number = protocol_number(text);
  if (number) out = *number;
  return number.has_value();
}

}  // namespace sluice::csv::text
