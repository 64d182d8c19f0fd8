// Endpoints and addresses to and from the socket API's sockaddr.
#pragma once

#include <sys/socket.h>

#include "sluice/flow_record.h"
#include "sluice/net/address.h"

namespace sluice::net {

// The sockaddr_in or sockaddr_in6 for `endpoint`; returns its length.
socklen_t to_sockaddr(const Endpoint& endpoint, sockaddr_storage& out) noexcept;

// The address of an AF_INET or AF_INET6 sockaddr (IPv4 as IPv4-mapped).
IpAddress address_of(const sockaddr_storage& s) noexcept;

}  // namespace sluice::net
