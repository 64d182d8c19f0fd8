// Synthetic flows: deterministic for a seed, consistent in time, shaped like
// traffic. A plain library so that benchmarks and tests call it directly.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/net/address.h"

namespace sluice::flowgen {

enum class Profile {
  // The application mix of nflow-generator (HTTP, HTTPS, DNS, NTP, SSH...)
  // with sane values: bytes >= 40 x packets, TCP flags that fit, AS and
  // masks fixed per address.
  nflow,
  // Calibrated against published measurements of real traffic
  // (docs/scenarios.md): Zipf-popular hosts in the configured subnets talking
  // to Internet hosts and to each other, the TCP/UDP/ICMP mix and packet
  // counts of a campus uplink, half-open and refused TCP connections, DNS,
  // NTP and ICMP sizes, long flows cut by the active timeout.
  realistic,
};

struct GeneratorConfig {
  Profile profile = Profile::realistic;
  std::uint64_t seed = 1;
  std::uint32_t exporters = 1;            // simulated exporters, 1 to 256: addresses 10.255.0.1..., engine ids 0...
  double ipv6_ratio = 0.2;                // realistic: share of IPv6 flows (needs an IPv6 subnet)
  std::vector<net::Prefix> subnets = {};  // realistic: where hosts live; empty: 10.0.0.0/8 and 2001:db8::/32
  std::uint64_t active_timeout_ms = 1'800'000;  // realistic: longer flows are exported in pieces this long
};

// The address of simulated exporter `index` (0-based).
IpAddress exporter_address(std::uint32_t index);

class FlowGenerator {
 public:
  // Throws std::invalid_argument for an unusable configuration.
  explicit FlowGenerator(GeneratorConfig config);
  ~FlowGenerator();
  FlowGenerator(FlowGenerator&&) noexcept;
  FlowGenerator& operator=(FlowGenerator&&) noexcept;

  // Appends `count` flows that ended at or before `now_ms` (ms since the
  // epoch): first_ms <= last_ms <= now_ms.
  void generate(std::size_t count, std::uint64_t now_ms, std::vector<FlowRecord>& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::flowgen
