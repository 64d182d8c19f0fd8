// Internal: how both directions key an sFlow agent (its address and
// sub-agent id) in hash maps.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sluice/flow_record.h"
#include "sluice/net/address.h"

namespace sluice::sflow {

struct AgentKey {
  IpAddress address;
  std::uint32_t sub_agent = 0;
  friend bool operator==(const AgentKey& a, const AgentKey& b) noexcept {
    return a.sub_agent == b.sub_agent && net::equal(a.address, b.address);
  }
};

struct AgentKeyHash {
  std::size_t operator()(const AgentKey& k) const noexcept { return net::hash(k.address, k.sub_agent); }
};

}  // namespace sluice::sflow
