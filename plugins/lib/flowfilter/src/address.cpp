#include "address.h"

#include <cctype>
#include <cstdint>

namespace sluice::flowfilter::detail {
namespace {

// Dotted decimal with up to four parts, each 0-255; fewer parts leave the
// rest zero. A trailing dot or an empty part is invalid.
bool parse_ipv4(std::string_view s, std::uint8_t (&out)[4], int& bytes) {
  std::uint8_t octets[4] = {};
  bytes = 0;
  bool saw_digit = false;
  unsigned value = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > 255) return false;
      if (!saw_digit) {
        if (++bytes > 4) return false;
        saw_digit = true;
      }
      octets[bytes - 1] = static_cast<std::uint8_t>(value);
    } else if (c == '.' && saw_digit) {
      if (bytes == 4 || i + 1 == s.size()) return false;
      saw_digit = false;
      value = 0;
    } else {
      return false;
    }
  }
  for (int i = 0; i < 4; ++i) out[i] = octets[i];
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// BSD's inet_pton6, as nfdump copies it, which also counts the bytes given
// when the address has no "::".
bool parse_ipv6(std::string_view s, std::uint8_t (&out)[16], int& bytes) {
  std::uint8_t tmp[16] = {};
  std::size_t tp = 0;
  constexpr std::size_t end = 16;
  std::size_t colon = end + 1;  // where "::" was; none yet
  std::size_t i = 0;
  if (!s.empty() && s[0] == ':') {
    if (s.size() < 2 || s[1] != ':') return false;
    i = 1;
  }
  std::size_t token = i;
  bool saw_xdigit = false;
  unsigned value = 0;
  while (i < s.size()) {
    const char c = s[i++];
    if (const int digit = hex_value(c); digit >= 0) {
      value = value << 4 | static_cast<unsigned>(digit);
      if (value > 0xffff) return false;
      saw_xdigit = true;
      continue;
    }
    if (c == ':') {
      token = i;
      if (!saw_xdigit) {
        if (colon != end + 1) return false;
        colon = tp;
        continue;
      }
      if (i == s.size() || tp + 2 > end) return false;
      tmp[tp++] = static_cast<std::uint8_t>(value >> 8);
      tmp[tp++] = static_cast<std::uint8_t>(value);
      saw_xdigit = false;
      value = 0;
      continue;
    }
    std::uint8_t v4[4];
    int v4_bytes = 0;
    if (c == '.' && tp + 4 <= end && parse_ipv4(s.substr(token), v4, v4_bytes)) {
      for (auto b : v4) tmp[tp++] = b;
      saw_xdigit = false;
      i = s.size();
      break;
    }
    return false;
  }
  if (saw_xdigit) {
    if (tp + 2 > end) return false;
    tmp[tp++] = static_cast<std::uint8_t>(value >> 8);
    tmp[tp++] = static_cast<std::uint8_t>(value);
  }
  if (colon != end + 1) {
    const std::size_t n = tp - colon;
    for (std::size_t k = 1; k <= n; ++k) {
      tmp[end - k] = tmp[colon + n - k];
      tmp[colon + n - k] = 0;
    }
    tp = end;
  }
  bytes = static_cast<int>(tp);
  for (std::size_t k = 0; k < end; ++k) out[k] = tmp[k];
  return true;
}

std::uint64_t word_of(const std::uint8_t* bytes) {
  std::uint64_t w = 0;
  for (int i = 0; i < 8; ++i) w = w << 8 | bytes[i];
  return w;
}

}  // namespace

Literal parse_literal(std::string_view text) {
  Literal literal;
  if (text.find(':') != std::string_view::npos) {
    std::uint8_t bytes[16];
    if (!parse_ipv6(text, bytes, literal.bytes)) return literal;
    literal.ipv6 = true;
    literal.words = {word_of(bytes), word_of(bytes + 8)};
  } else if (text.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos) {
    literal.status = Literal::Status::host_name;
    return literal;
  } else {
    std::uint8_t bytes[4];
    if (!parse_ipv4(text, bytes, literal.bytes)) return literal;
    literal.words = {
        0, std::uint64_t{bytes[0]} << 24 | std::uint64_t{bytes[1]} << 16 | std::uint64_t{bytes[2]} << 8 | bytes[3]};
  }
  literal.status = Literal::Status::ok;
  return literal;
}

Words prefix_mask(bool ipv6, unsigned bits) {
  constexpr std::uint64_t ones = ~std::uint64_t{0};
  if (!ipv6) return {ones, ones << (32 - bits)};
  if (bits > 64) return {ones, ones << (128 - bits)};
  // nfdump shifts by 64 for /0, which x86 reads as a shift by 0: ::/0 would
  // match only addresses with a zero upper half. Here /0 matches all.
  return {bits == 0 ? 0 : ones << (64 - bits), 0};
}

}  // namespace sluice::flowfilter::detail
