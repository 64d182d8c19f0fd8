#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <exception>
#include <limits>
#include <optional>
#include <string>

#include "sluice/csv/field_text.h"
#include "sluice/protocols.h"

namespace sluice::csv {
namespace {

template <class T>
bool parse_uint(std::string_view text, T& out) noexcept {
  const char* end = text.data() + text.size();
  if (text.empty() || text.front() == '-' || text.front() == '+') return false;
  const auto [ptr, error] = std::from_chars(text.data(), end, out);
  return error == std::errc{} && ptr == end;
}

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
  const std::int64_t days = text::days_from_civil(year, month, day);
  ms = (static_cast<std::uint64_t>(days) * 86400 + hour * 3600ULL + minute * 60ULL + second) * 1000 + millis;
  return true;
}

// Seconds with up to three decimals, as duration is written: checked only.
bool is_seconds(std::string_view text) noexcept {
  const auto dot = text.find('.');
  std::uint64_t whole = 0, fraction = 0;
  if (dot == std::string_view::npos) return parse_uint(text, whole);
  return parse_uint(text.substr(0, dot), whole) && dot + 4 >= text.size() && parse_uint(text.substr(dot + 1), fraction);
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

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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

// An unsigned number no wider than the field's member.
bool parse_number(std::string_view text, const FieldInfo& f, std::uint64_t& out) noexcept {
  if (!parse_uint(text, out)) return false;
  return f.width >= 8 || out >> (8 * f.width) == 0;
}

bool parse_country(std::string_view text, FlowRecord& flow, const FieldInfo& f) noexcept {
  if (!text.empty() && (text.size() != 2 || text[0] < 'A' || text[0] > 'Z' || text[1] < 'A' || text[1] > 'Z'))
    return false;
  char* at = reinterpret_cast<char*>(&flow) + f.offset;
  at[0] = text.empty() ? '\0' : text[0];
  at[1] = text.empty() ? '\0' : text[1];
  return true;
}

std::optional<Boundary> parse_boundary(std::string_view text) noexcept {
  for (const Boundary b : {Boundary::undefined, Boundary::external, Boundary::internal})
    if (boundary_name(b) == text) return b;
  return std::nullopt;
}

// Sets an address, MAC or boundary member, present unless the text is empty.
template <class Address>
bool set_address(FlowRecord& flow, const FieldInfo& f, bool ok, const Address& a, bool empty) noexcept {
  if (!ok) return false;
  std::memcpy(reinterpret_cast<char*>(&flow) + f.offset, &a, sizeof a);
  if (!empty && f.presence != always_present) flow.set_present(static_cast<Element>(f.presence));
  return true;
}

}  // namespace

bool parse_field_value(Field field, std::string_view text, FlowRecord& flow, TextTable* texts) noexcept {
  const FieldInfo& f = info(field);
  std::uint64_t value = 0;
  switch (f.kind) {
    case FieldKind::time:
      if (!parse_time(text, value)) return false;
      break;
    case FieldKind::duration: return is_seconds(text);
    case FieldKind::counter:
    case FieldKind::number:
      if (!parse_number(text, f, value)) return false;
      break;
    case FieldKind::protocol: {
      std::uint8_t proto = 0;
      if (!parse_protocol(text, proto)) return false;
      value = proto;
      break;
    }
    case FieldKind::address: {
      IpAddress a;
      return set_address(flow, f, parse_address(text, a), a, text.empty());
    }
    case FieldKind::mac: {
      MacAddress m;
      return set_address(flow, f, parse_mac(text, m), m, text.empty());
    }
    case FieldKind::country: return parse_country(text, flow, f);
    case FieldKind::text:
      if (texts == nullptr) return false;
      try {
        value = texts->intern(text);
      } catch (const std::exception&) {  // the table is full, or memory is
        return false;
      }
      break;
    case FieldKind::boundary: {
      const auto b = parse_boundary(text);
      if (!b) return false;
      if (*b == Boundary::undefined) return set_address(flow, f, true, *b, true);  // stays absent
      value = static_cast<std::uint64_t>(*b);
      break;
    }
  }
  set_unsigned_value(flow, f, value);
  return true;
}

namespace {

// A column quoted as RFC 4180 says: its text without the quotes (doubled
// quotes undoubled, into `buffer`) and what follows the closing quote.
bool take_quoted(std::string_view& row, std::string& buffer, std::string_view& value) {
  buffer.clear();
  for (std::size_t i = 1; i < row.size(); ++i) {
    if (row[i] != '"') {
      buffer += row[i];
    } else if (i + 1 < row.size() && row[i + 1] == '"') {
      buffer += '"';
      ++i;
    } else {
      row.remove_prefix(i + 1);
      value = buffer;
      return true;
    }
  }
  return false;  // no closing quote
}

}  // namespace

bool parse_row(std::span<const Field> fields, std::string_view row, FlowRecord& flow, TextTable* texts) noexcept {
  std::string unquoted;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string_view value;
    if (!row.empty() && row.front() == '"') {
      try {
        if (!take_quoted(row, unquoted, value)) return false;
      } catch (const std::exception&) {
        return false;
      }
    } else {
      value = row.substr(0, row.find(','));
      row.remove_prefix(value.size());
    }
    const bool last = i + 1 == fields.size();
    if (last != row.empty()) return false;  // a column missing, or one too many
    if (!last && row.front() != ',') return false;
    if (!parse_field_value(fields[i], value, flow, texts)) return false;
    if (!last) row.remove_prefix(1);
  }
  return true;
}

}  // namespace sluice::csv
