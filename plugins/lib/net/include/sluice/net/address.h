// Addresses as people write them: prefixes ("10.0.0.0/8", "2001:db8::/32")
// for allow-lists and generated subnets, endpoints ("host:port") for sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sluice/flow_record.h"

namespace sluice::net {

struct Prefix {
  IpAddress base;
  std::uint8_t length = 0;  // in bits of the address family: 0-32 for IPv4, 0-128 for IPv6

  bool contains(const IpAddress& address) const noexcept;
};

// Parses "192.0.2.1" or "2001:db8::1"; throws std::invalid_argument.
IpAddress parse_address(std::string_view text);

// Parses "address/length" or a bare address (a host prefix); throws
// std::invalid_argument with a message naming the text otherwise.
Prefix parse_prefix(std::string_view text);

// Parses "host:port" or "[v6-address]:port"; throws std::invalid_argument.
struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
};
Endpoint parse_endpoint(std::string_view text);

// Equality in two 8-byte compares, where IpAddress's own == calls memcmp:
// for hot paths.
inline bool equal(const IpAddress& a, const IpAddress& b) noexcept {
  std::uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a.bytes.data(), 8);
  std::memcpy(&a1, a.bytes.data() + 8, 8);
  std::memcpy(&b0, b.bytes.data(), 8);
  std::memcpy(&b1, b.bytes.data() + 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

// A well-mixed hash of an address and a salt (a version, a domain, a
// sub-agent), for keys of hash maps.
inline std::size_t hash(const IpAddress& address, std::uint64_t salt) noexcept {
  std::uint64_t a, b;
  std::memcpy(&a, address.bytes.data(), 8);
  std::memcpy(&b, address.bytes.data() + 8, 8);
  const std::uint64_t h = (a * 0x9e3779b97f4a7c15ULL ^ b ^ salt) * 0xff51afd7ed558ccdULL;
  return static_cast<std::size_t>(h ^ h >> 32);
}

// "192.0.2.1" or "2001:db8::1", and "192.0.2.1:2055" or "[2001:db8::1]:2055".
std::string to_string(const IpAddress& address);
std::string to_string(const Endpoint& endpoint);

}  // namespace sluice::net
