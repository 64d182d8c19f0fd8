#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <limits>

#include "sluice/csv/field_text.h"
#include "sluice/csv/protocol_names.h"

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

}  // namespace

bool parse_field_value(Field field, std::string_view text, FlowRecord& f) noexcept {
  switch (field) {
    case Field::first: return parse_time(text, f.first_ms);
    case Field::last: return parse_time(text, f.last_ms);
    case Field::received: return parse_time(text, f.received_ms);
    case Field::duration: return is_seconds(text);
    case Field::src_addr: return parse_address(text, f.src_addr);
    case Field::dst_addr: return parse_address(text, f.dst_addr);
    case Field::src_port: return parse_uint(text, f.src_port);
    case Field::dst_port: return parse_uint(text, f.dst_port);
    case Field::proto: return parse_protocol(text, f.proto);
    case Field::tcp_flags: return parse_uint(text, f.tcp_flags);
    case Field::tos: return parse_uint(text, f.tos);
    case Field::dst_tos: return parse_uint(text, f.dst_tos);
    case Field::packets: return parse_uint(text, f.packets);
    case Field::bytes: return parse_uint(text, f.bytes);
    case Field::reverse_packets: return parse_uint(text, f.reverse_packets);
    case Field::reverse_bytes: return parse_uint(text, f.reverse_bytes);
    case Field::in_if: return parse_uint(text, f.in_if);
    case Field::out_if: return parse_uint(text, f.out_if);
    case Field::src_as: return parse_uint(text, f.src_as);
    case Field::dst_as: return parse_uint(text, f.dst_as);
    case Field::src_mask: return parse_uint(text, f.src_mask);
    case Field::dst_mask: return parse_uint(text, f.dst_mask);
    case Field::next_hop: return parse_address(text, f.next_hop);
    case Field::exporter: return parse_address(text, f.exporter);
    case Field::engine_type: return parse_uint(text, f.engine_type);
    case Field::engine_id: return parse_uint(text, f.engine_id);
    case Field::observation_domain: return parse_uint(text, f.observation_domain);
    case Field::sampling_interval: return parse_uint(text, f.sampling_interval);
    case Field::direction: return parse_uint(text, f.direction);
    case Field::fwd_status: return parse_uint(text, f.fwd_status);
    case Field::label: return parse_uint(text, f.label);
    case Field::src_mac: return parse_mac(text, f.src_mac);
    case Field::dst_mac: return parse_mac(text, f.dst_mac);
    case Field::src_vlan: return parse_uint(text, f.src_vlan);
    case Field::dst_vlan: return parse_uint(text, f.dst_vlan);
  }
  return false;
}

bool parse_row(std::span<const Field> fields, std::string_view row, FlowRecord& flow) noexcept {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::size_t comma = row.find(',');
    const bool last = i + 1 == fields.size();
    if ((comma == std::string_view::npos) != last) return false;  // a column missing, or one too many
    if (!parse_field_value(fields[i], row.substr(0, comma), flow)) return false;
    row.remove_prefix(last ? row.size() : comma + 1);
  }
  return true;
}

}  // namespace sluice::csv
