// Writes seed inputs for the netflow fuzzers: datagrams our encoder makes
// (templates, IPv4 and IPv6 data), in the fuzzers' length-prefixed format.
// Usage: netflow_fuzz_seeds VERSION FILE
#include <random>
#include <string>
#include <vector>

#include "datagram_runs.h"
#include "sluice/netflow/encoder.h"

int main(int argc, char** argv) {
  using namespace sluice;
  if (argc != 3) return 2;
  const auto version = static_cast<netflow::Version>(std::stoi(argv[1]));
  std::vector<FlowRecord> flows(40);
  std::mt19937_64 rng(1);
  for (std::size_t i = 0; i < flows.size(); ++i) {
    auto& f = flows[i];
    f.last_ms = 1'795'000'000'000 - rng() % 1000;
    f.first_ms = f.last_ms - rng() % 5000;
    std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, static_cast<std::uint8_t>(i)};
    f.src_addr = i % 3 == 0 ? IpAddress::v6(v6) : IpAddress::v4(static_cast<std::uint32_t>(rng()));
    f.dst_addr = i % 3 == 0 ? IpAddress::v6(v6) : IpAddress::v4(static_cast<std::uint32_t>(rng()));
    f.proto = i % 2 ? 6 : 17;
    f.packets = 1 + rng() % 100;
    f.bytes = f.packets * 100;
    f.observation_domain = static_cast<std::uint32_t>(i % 2);
  }
  netflow::Encoder encoder({.version = version, .mtu = 600});
  std::vector<std::uint8_t> buffer(600), seed;
  std::span<const FlowRecord> rest(flows);
  while (!rest.empty()) {
    const auto e = encoder.encode(rest, 1'795'000'000'000, buffer);
    rest = rest.subspan(e.consumed);
    fuzz::append_datagram(seed, std::span(buffer).first(e.size));
  }
  fuzz::write_seed(argv[2], seed);
}
