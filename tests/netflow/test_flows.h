// Flow records for codec tests: varied on purpose, including the edges each
// wire version has to narrow (32-bit AS, large counters, ICMP, IPv6).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "flows.h"  // PrintTo(FlowRecord)
#include "sluice/flow_record.h"

namespace sluice::netflow::test {

inline constexpr std::uint64_t test_now_ms = 1'795'000'000'123;  // 2026-11-18, with milliseconds

inline IpAddress random_v6(std::mt19937_64& rng) {
  std::uint8_t b[16];
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  b[0] = 0x20;  // a global unicast prefix, never v4-mapped
  return IpAddress::v6(b);
}

// `count` flows ending before test_now_ms; every `ipv6_every`-th is IPv6 (0: none).
inline std::vector<FlowRecord> test_flows(std::size_t count, std::uint64_t seed, std::size_t ipv6_every = 3,
                                          std::uint32_t domain = 7) {
  std::mt19937_64 rng(seed);
  std::vector<FlowRecord> flows(count);
  for (std::size_t i = 0; i < count; ++i) {
    FlowRecord& f = flows[i];
    const bool ipv6 = ipv6_every != 0 && i % ipv6_every == ipv6_every - 1;
    f.last_ms = test_now_ms - rng() % 60'000;
    f.first_ms = f.last_ms - rng() % 120'000;
    f.src_addr = ipv6 ? random_v6(rng) : IpAddress::v4(static_cast<std::uint32_t>(rng()));
    f.dst_addr = ipv6 ? random_v6(rng) : IpAddress::v4(static_cast<std::uint32_t>(rng()));
    if (i % 2 == 0) f.next_hop = ipv6 ? random_v6(rng) : IpAddress::v4(0x0a000001 + static_cast<std::uint32_t>(i));
    static constexpr std::uint8_t protos[] = {6, 17, 1, 6, 17, 47};
    f.proto = protos[i % 6];
    if (ipv6 && f.proto == 1) f.proto = 58;
    const bool icmp = f.proto == 1 || f.proto == 58;
    f.src_port = icmp ? 0 : static_cast<std::uint16_t>(rng());
    f.dst_port = icmp ? static_cast<std::uint16_t>(0x0300 | i % 16) : static_cast<std::uint16_t>(rng());
    f.tcp_flags = f.proto == 6 ? static_cast<std::uint8_t>(0x02 | (rng() & 0x3d)) : 0;
    f.packets = 1 + rng() % 1000;
    f.bytes = f.packets * (40 + rng() % 1460);
    if (i % 17 == 0) f.bytes = 0x1'2345'6789ULL;  // beyond v5's 32 bits
    if (i % 5 == 0) {
      f.reverse_packets = rng() % 100;
      f.reverse_bytes = f.reverse_packets * 60;
    }
    f.in_if = static_cast<std::uint32_t>(rng() % 64);
    f.out_if = i % 19 == 0 ? 70'000 : static_cast<std::uint32_t>(rng() % 64);
    f.src_as = i % 7 == 0 ? 4'200'000'000u : static_cast<std::uint32_t>(rng() % 65'000);
    f.dst_as = static_cast<std::uint32_t>(rng() % 65'000);
    f.src_mask = static_cast<std::uint8_t>(rng() % (ipv6 ? 129 : 33));
    f.dst_mask = static_cast<std::uint8_t>(rng() % (ipv6 ? 129 : 33));
    f.tos = static_cast<std::uint8_t>(rng());
    f.dst_tos = static_cast<std::uint8_t>(rng());
    f.direction = static_cast<std::uint8_t>(i % 2);
    f.fwd_status = 64;
    f.observation_domain = domain;
    f.engine_type = static_cast<std::uint8_t>(domain >> 8);
    f.engine_id = static_cast<std::uint8_t>(domain);
  }
  return flows;
}

}  // namespace sluice::netflow::test
