#include "hosts.h"

#include <algorithm>
#include <stdexcept>

namespace sluice::flowgen {
namespace {

// Space no Internet host uses: this host, private, CGN, loopback,
// link-local, documentation, benchmarking, multicast and reserved.
bool reserved_v4(std::uint32_t a) {
  const auto in = [a](std::uint32_t base, int length) { return (a >> (32 - length)) == (base >> (32 - length)); };
  return in(0x00000000, 8) || in(0x0a000000, 8) || in(0x64400000, 10) || in(0x7f000000, 8) || in(0xa9fe0000, 16) ||
         in(0xac100000, 12) || in(0xc0000000, 24) || in(0xc0000200, 24) || in(0xc0a80000, 16) || in(0xc6120000, 15) ||
         in(0xc6336400, 24) || in(0xcb007100, 24) || a >= 0xe0000000;
}

std::pair<std::uint64_t, std::uint64_t> halves(const IpAddress& a) {
  std::uint64_t high = 0, low = 0;
  for (std::size_t i = 0; i < 8; ++i) high = high << 8 | a.bytes[i];
  for (std::size_t i = 8; i < 16; ++i) low = low << 8 | a.bytes[i];
  return {high, low};
}

std::uint64_t leading_ones(int n) { return n <= 0 ? 0 : n >= 64 ? ~std::uint64_t{0} : ~(~std::uint64_t{0} >> n); }

}  // namespace

Hosts::Hosts(const std::vector<net::Prefix>& subnets) {
  if (subnets.empty()) throw std::invalid_argument("no subnet for the simulated hosts");
  for (const auto& subnet : subnets) {
    (subnet.base.is_v4() ? v4_ : v6_).push_back(subnet);
    const int bits = subnet.length + (subnet.base.is_v4() ? 96 : 0);  // IPv4 lives in ::ffff:0:0/96
    const auto [high, low] = halves(subnet.base);
    const std::uint64_t high_mask = leading_ones(bits), low_mask = leading_ones(bits - 64);
    nets_.push_back({high_mask, high & high_mask, low_mask, low & low_mask});
  }
}

IpAddress Hosts::internal(bool ipv6, std::uint64_t rank) const {
  const auto& subnets = ipv6 ? v6_ : v4_;
  return address_in(subnets[rank % subnets.size()], mix(rank + (ipv6 ? 7 : 0)) | 1);
}

IpAddress Hosts::external(bool ipv6, std::uint64_t key) const {
  for (std::uint64_t attempt = 0;; ++attempt) {
    const std::uint64_t h = mix(key * 0x9e3779b97f4a7c15ULL + attempt + (ipv6 ? 0x5bd1e995 : 0));
    IpAddress a;
    if (ipv6) {
      std::uint8_t bytes[16];
      std::uint64_t bits = h, more = mix(h);
      for (int i = 0; i < 8; ++i, bits >>= 8) bytes[i] = static_cast<std::uint8_t>(bits);
      for (int i = 8; i < 16; ++i, more >>= 8) bytes[i] = static_cast<std::uint8_t>(more);
      bytes[0] = static_cast<std::uint8_t>(0x20 | (bytes[0] & 0x1f));  // global unicast, 2000::/3
      a = IpAddress::v6(bytes);
      if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) continue;  // documentation
    } else {
      const auto value = static_cast<std::uint32_t>(h);
      if (reserved_v4(value)) continue;
      a = IpAddress::v4(value);
    }
    if (!is_internal(a)) return a;
  }
}

bool Hosts::is_internal(const IpAddress& a) const {
  const auto address = halves(a);
  const std::uint64_t high = address.first, low = address.second;
  return std::any_of(nets_.begin(), nets_.end(),
                     [&](const Net& n) { return (high & n.high_mask) == n.high && (low & n.low_mask) == n.low; });
}

IpAddress address_in(const net::Prefix& subnet, std::uint64_t offset) {
  IpAddress a = subnet.base;
  const int family_bits = subnet.base.is_v4() ? 32 : 128;
  const int host_bits = std::min(family_bits - subnet.length, 64);
  if (host_bits <= 0) return a;
  const std::uint64_t host = host_bits == 64 ? offset : offset & ((std::uint64_t{1} << host_bits) - 1);
  std::uint64_t carry = host;
  for (int i = 15; i >= 8 && carry; --i) {  // add into the low 64 bits
    const unsigned sum = a.bytes[static_cast<std::size_t>(i)] + static_cast<unsigned>(carry & 0xff);
    a.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return a;
}

std::uint8_t mask_for(const IpAddress& a) {
  const std::uint64_t h = mix(a.is_v4() ? a.v4_value() >> 8 : a.bytes[0] << 8 | a.bytes[1]);
  return static_cast<std::uint8_t>(a.is_v4() ? 16 + h % 9 : 32 + h % 33);
}

std::uint32_t as_for(const IpAddress& a, bool internal) {
  if (internal) return local_as;
  std::uint64_t key = 0;
  for (std::size_t i = a.is_v4() ? 12 : 0; i < (a.is_v4() ? 14u : 4u); ++i) key = key << 8 | a.bytes[i];
  return static_cast<std::uint32_t>(1 + mix(key) % 64495);  // 1-64495: public 16-bit AS numbers
}

}  // namespace sluice::flowgen
