// What every generated flow shares, background or scenario: protocol
// constants, header sizes, and the exporter-side fields.
#pragma once

#include <cstdint>

#include "hosts.h"
#include "random.h"
#include "sluice/flow_record.h"
#include "sluice/flowgen/flow_generator.h"

namespace sluice::flowgen {

constexpr std::uint8_t tcp = 6, udp = 17, icmp = 1, icmpv6 = 58;
constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
constexpr unsigned mtu = 1500;
// No gap between two packets of one flow is longer: the exporter would have
// ended the flow (Cisco's default inactive timeout).
constexpr std::uint64_t inactive_timeout_ms = 15'000;

inline unsigned ip_header(const IpAddress& a) { return a.is_v4() ? 20 : 40; }
inline std::uint16_t ephemeral_port(Random& rng) { return static_cast<std::uint16_t>(rng.between(32768, 60999)); }

// Exporter, interfaces, routing and times: the same for every flow.
struct Stamp {
  std::uint32_t exporters = 1;
  const Hosts* hosts = nullptr;
  std::uint64_t active_timeout_ms = 1'800'000;  // longer flows leave the exporter in pieces this long

  // The flow ended at `last_ms` after `duration_ms`.
  void operator()(FlowRecord& f, Random& rng, std::uint64_t last_ms, std::uint64_t duration_ms) const {
    const auto exporter = static_cast<std::uint32_t>(rng.below(exporters));
    f.exporter = exporter_address(exporter);
    f.engine_id = static_cast<std::uint8_t>(exporter);
    f.observation_domain = exporter;  // engine type 0, engine id: as v5 and v9 collectors read it
    f.last_ms = last_ms;
    f.first_ms = last_ms - std::min(duration_ms, last_ms);
    f.in_if = static_cast<std::uint32_t>(1 + rng.below(48));
    f.out_if = static_cast<std::uint32_t>(1 + rng.below(48));
    f.src_mask = mask_for(f.src_addr);
    f.dst_mask = mask_for(f.dst_addr);
    f.src_as = as_for(f.src_addr, hosts->is_internal(f.src_addr));
    f.dst_as = as_for(f.dst_addr, hosts->is_internal(f.dst_addr));
    f.fwd_status = 64;                                                                  // forwarded
    if (f.src_addr.is_v4()) f.next_hop = IpAddress::v4(0xac1f0001u + (exporter << 8));  // 172.31.<exporter>.1
    f.present |= stamped;
    if (f.src_addr.is_v4()) f.set_present(Element::next_hop);
  }

  // The elements every stamped flow has (an exporter sending NetFlow v5 would).
  static constexpr std::uint64_t stamped =
      FlowRecord::bit(Element::exporter) | FlowRecord::bit(Element::engine) |
      FlowRecord::bit(Element::observation_domain) | FlowRecord::bit(Element::in_if) |
      FlowRecord::bit(Element::out_if) | FlowRecord::bit(Element::src_mask) | FlowRecord::bit(Element::dst_mask) |
      FlowRecord::bit(Element::src_as) | FlowRecord::bit(Element::dst_as) | FlowRecord::bit(Element::label);
};

}  // namespace sluice::flowgen
