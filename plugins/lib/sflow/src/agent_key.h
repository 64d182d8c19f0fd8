// Internal: how both directions key an sFlow agent (its address and
// sub-agent id) in hash maps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sluice/flow_record.h"

namespace sluice::sflow {

struct AgentKey {
  IpAddress address;
  std::uint32_t sub_agent = 0;
  friend bool operator==(const AgentKey&, const AgentKey&) = default;
};

struct AgentKeyHash {
  std::size_t operator()(const AgentKey& k) const noexcept {
    std::uint64_t a, b;
    std::memcpy(&a, k.address.bytes.data(), 8);
    std::memcpy(&b, k.address.bytes.data() + 8, 8);
    const std::uint64_t h = (a * 0x9e3779b97f4a7c15ULL ^ b ^ k.sub_agent) * 0xff51afd7ed558ccdULL;
    return static_cast<std::size_t>(h ^ h >> 32);
  }
};

}  // namespace sluice::sflow
