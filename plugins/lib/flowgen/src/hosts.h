// Where simulated hosts live: inside the configured subnets (ours) or on the
// Internet (theirs), each address with its own fixed mask and AS number.
#pragma once

#include <cstdint>
#include <vector>

#include "random.h"
#include "sluice/flow_record.h"
#include "sluice/net/address.h"

namespace sluice::flowgen {

constexpr std::uint32_t local_as = 64512;  // the simulated network's own (private) AS number

class Hosts {
 public:
  // Throws std::invalid_argument when no subnet is given.
  explicit Hosts(const std::vector<net::Prefix>& subnets);

  bool has_v4() const { return !v4_.empty(); }
  bool has_v6() const { return !v6_.empty(); }
  // Host `rank` of our network (0 the most popular), always the same address.
  IpAddress internal(bool ipv6, std::uint64_t rank) const;
  // A public Internet address outside our subnets, always the same for a key.
  IpAddress external(bool ipv6, std::uint64_t key) const;
  bool is_internal(const IpAddress& a) const;

 private:
  // A subnet as masks over the address's two 64-bit halves: a test every
  // flow makes twice, so two compares rather than a walk over bytes.
  struct Net {
    std::uint64_t high_mask, high, low_mask, low;
  };
  std::vector<net::Prefix> v4_, v6_;
  std::vector<Net> nets_;
};

// The address at `offset` inside `subnet` (offset wraps at the subnet size).
IpAddress address_in(const net::Prefix& subnet, std::uint64_t offset);

// Masks and AS numbers follow from the address: our hosts are in local_as,
// Internet hosts in a public AS fixed per /16 (IPv4) or /32 (IPv6).
std::uint8_t mask_for(const IpAddress& a);
std::uint32_t as_for(const IpAddress& a, bool internal);

}  // namespace sluice::flowgen
