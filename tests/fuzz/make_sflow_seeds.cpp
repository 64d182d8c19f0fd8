// Writes seed inputs for the sFlow fuzzer: datagrams our encoder makes of
// varied flows (IPv4 and IPv6; TCP, UDP, ICMP; next hops, masks, AS numbers;
// interface indexes that need expanded samples), in the fuzzer's
// length-prefixed format.
// Usage: sflow_fuzz_seeds FILE
#include <random>
#include <vector>

#include "datagram_runs.h"
#include "sluice/sflow/encoder.h"

int main(int argc, char** argv) {
  using namespace sluice;
  if (argc != 2) return 2;
  std::vector<FlowRecord> flows(24);
  std::mt19937_64 rng(1);
  for (std::size_t i = 0; i < flows.size(); ++i) {
    auto& f = flows[i];
    std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, static_cast<std::uint8_t>(i)};
    const bool ipv6 = i % 3 == 0;
    f.src_addr = ipv6 ? IpAddress::v6(v6) : IpAddress::v4(static_cast<std::uint32_t>(rng()));
    f.dst_addr = ipv6 ? IpAddress::v6(v6) : IpAddress::v4(static_cast<std::uint32_t>(rng()));
    static constexpr std::uint8_t protos[] = {6, 17, 1, 47};
    f.proto = protos[i % 4] == 1 && ipv6 ? 58 : protos[i % 4];
    f.src_port = static_cast<std::uint16_t>(rng());
    f.dst_port = static_cast<std::uint16_t>(rng());
    f.tcp_flags = 0x1b;
    f.packets = 1 + rng() % 3;
    f.bytes = f.packets * (40 + rng() % 1400);
    if (i % 2) f.next_hop = f.src_addr;
    if (i % 4 == 1) f.src_as = f.dst_as = static_cast<std::uint32_t>(rng());
    f.in_if = i % 5 == 0 ? 1u << 26 : static_cast<std::uint32_t>(i);
    f.exporter = IpAddress::v4(0x0aff0001 + static_cast<std::uint32_t>(i % 2));
  }
  sflow::Encoder encoder({.mtu = 1000});
  encoder.add(flows);
  std::vector<std::uint8_t> buffer(encoder.config().mtu), seed;
  while (const std::size_t size = encoder.next_datagram(1'795'000'000'000, buffer)) {
    fuzz::append_datagram(seed, std::span(buffer).first(size));
  }
  fuzz::write_seed(argv[1], seed);
}
