#include "sluice/net/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>

namespace sluice::net {
namespace {

bool parse_address(const std::string& text, IpAddress& out) {
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out = IpAddress::v4(ntohl(v4.s_addr));
    return true;
  }
  std::uint8_t v6[16];
  if (inet_pton(AF_INET6, text.c_str(), v6) == 1) {
    out = IpAddress::v6(v6);
    return true;
  }
  return false;
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}

}  // namespace

IpAddress parse_address(std::string_view text) {
  IpAddress address;
  if (!parse_address(std::string(text), address))
    throw std::invalid_argument("\"" + std::string(text) + "\" is not an IPv4 or IPv6 address");
  return address;
}

bool Prefix::contains(const IpAddress& address) const noexcept {
  if (address.is_v4() != base.is_v4()) return false;
  // IPv4 lives in the last 32 bits of the IPv4-mapped form.
  const unsigned bits = base.is_v4() ? 96u + length : length;
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned covered = bits > i * 8 ? std::min(bits - i * 8, 8u) : 0u;
    const auto mask = static_cast<std::uint8_t>(0xff00u >> covered);
    if ((address.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

Prefix parse_prefix(std::string_view text) {
  const auto slash = text.find('/');
  Prefix p;
  if (!parse_address(std::string(text.substr(0, slash)), p.base))
    throw std::invalid_argument("\"" + std::string(text) + "\" is not an address or prefix");
  const unsigned max_length = p.base.is_v4() ? 32 : 128;
  unsigned length = max_length;
  if (slash != std::string_view::npos && (!parse_number(text.substr(slash + 1), length) || length > max_length))
    throw std::invalid_argument("\"" + std::string(text) + "\": prefix length must be 0 to " +
                                std::to_string(max_length));
  p.length = static_cast<std::uint8_t>(length);
  return p;
}

Endpoint parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  std::string_view host = colon == std::string_view::npos ? text : text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  Endpoint e;
  unsigned port = 0;
  if (colon == std::string_view::npos || !parse_number(text.substr(colon + 1), port) || port == 0 || port > 65535 ||
      !parse_address(std::string(host), e.address))
    throw std::invalid_argument("\"" + std::string(text) + "\" is not host:port (IPv6 as [address]:port)");
  e.port = static_cast<std::uint16_t>(port);
  return e;
}

std::string to_string(const IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.is_v4()) {
    const in_addr v4{htonl(address.v4_value())};
    inet_ntop(AF_INET, &v4, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, address.bytes.data(), text, sizeof text);
  }
  return text;
}

std::string to_string(const Endpoint& endpoint) {
  const std::string host = to_string(endpoint.address);
  return (endpoint.address.is_v4() ? host : "[" + host + "]") + ":" + std::to_string(endpoint.port);
}

}  // namespace sluice::net
