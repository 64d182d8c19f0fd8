#include "sluice/net/sockaddr.h"

#include <netinet/in.h>

#include <cstring>

namespace sluice::net {

socklen_t to_sockaddr(const Endpoint& endpoint, sockaddr_storage& out) noexcept {
  out = {};
  if (endpoint.address.is_v4()) {
    auto& a = reinterpret_cast<sockaddr_in&>(out);
    a.sin_family = AF_INET;
    a.sin_port = htons(endpoint.port);
    a.sin_addr.s_addr = htonl(endpoint.address.v4_value());
    return sizeof a;
  }
  auto& a = reinterpret_cast<sockaddr_in6&>(out);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(endpoint.port);
  std::memcpy(&a.sin6_addr, endpoint.address.bytes.data(), 16);
  return sizeof a;
}

IpAddress address_of(const sockaddr_storage& s) noexcept {
  if (s.ss_family == AF_INET) return IpAddress::v4(ntohl(reinterpret_cast<const sockaddr_in&>(s).sin_addr.s_addr));
  IpAddress a;
  std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6&>(s).sin6_addr, 16);
  return a;
}

}  // namespace sluice::net
