#include "sluice/flowgen/flow_generator.h"

#include <stdexcept>

#include "background.h"

namespace sluice::flowgen {

IpAddress exporter_address(std::uint32_t index) { return IpAddress::v4(0x0aff0001u + index); }

GeneratorConfig checked(GeneratorConfig c) {
  if (c.exporters < 1 || c.exporters > 256) throw std::invalid_argument("exporters must be 1 to 256");
  if (c.ipv6_ratio < 0 || c.ipv6_ratio > 1) throw std::invalid_argument("ipv6_ratio must be 0 to 1");
  if (c.active_timeout_ms < 1000) throw std::invalid_argument("active_timeout must be at least 1s");
  if (c.subnets.empty()) c.subnets = {net::parse_prefix("10.0.0.0/8"), net::parse_prefix("2001:db8::/32")};
  bool v4 = false, v6 = false;
  for (const auto& subnet : c.subnets) (subnet.base.is_v4() ? v4 : v6) = true;
  if (c.ipv6_ratio > 0 && !v6) throw std::invalid_argument("ipv6_ratio > 0 needs an IPv6 subnet");
  if (c.ipv6_ratio < 1 && !v4) throw std::invalid_argument("ipv6_ratio < 1 needs an IPv4 subnet");
  return c;
}

struct FlowGenerator::State {
  GeneratorConfig config;
  Hosts hosts;
  Background background;
  Random rng;

  explicit State(GeneratorConfig c)
      : config(checked(std::move(c))), hosts(config.subnets), background(config, hosts), rng(config.seed) {}
};

FlowGenerator::FlowGenerator(GeneratorConfig config) : state_(std::make_unique<State>(std::move(config))) {}

FlowGenerator::~FlowGenerator() = default;
FlowGenerator::FlowGenerator(FlowGenerator&&) noexcept = default;
FlowGenerator& FlowGenerator::operator=(FlowGenerator&&) noexcept = default;

void FlowGenerator::generate(std::size_t count, std::uint64_t now_ms, std::vector<FlowRecord>& out) {
  out.reserve(out.size() + count);
  auto& s = *state_;
  for (std::size_t i = 0; i < count; ++i) s.background.next(s.rng, now_ms, out.emplace_back());
}

}  // namespace sluice::flowgen
