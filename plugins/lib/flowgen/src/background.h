// Background traffic: what a network does when nobody attacks it. The
// realistic profile is calibrated against published measurements of real
// traffic (docs/scenarios.md cites them); the nflow profile is
// nflow-generator's application mix.
#pragma once

#include <cstdint>

#include "flow_shape.h"
#include "hosts.h"
#include "random.h"
#include "sluice/flowgen/flow_generator.h"

namespace sluice::flowgen {

// The configuration with its defaults filled in; throws std::invalid_argument
// for an unusable one.
GeneratorConfig checked(GeneratorConfig config);

class Background {
 public:
  Background(const GeneratorConfig& config, const Hosts& hosts);

  // One flow exported at `export_ms`: it ended up to a second before.
  FlowRecord next(Random& rng, std::uint64_t export_ms) const;

 private:
  struct Endpoints;
  FlowRecord nflow(Random& rng, std::uint64_t export_ms) const;
  FlowRecord realistic(Random& rng, std::uint64_t export_ms) const;
  Endpoints endpoints(Random& rng, bool ipv6, bool peer_to_peer) const;
  // The client's or the server's side of the conversation.
  static void orient(FlowRecord& f, const Endpoints& e, bool from_client);
  void tcp_flow(FlowRecord& f, Random& rng, bool ipv6, std::uint64_t end_ms) const;
  void udp_flow(FlowRecord& f, Random& rng, bool ipv6, std::uint64_t end_ms) const;
  void icmp_flow(FlowRecord& f, Random& rng, bool ipv6, std::uint64_t end_ms) const;
  // A long flow is cut by the exporter's active timeout: returns whether it was.
  bool cut(std::uint64_t& duration_ms, double gap_ms, Random& rng) const;

  Profile profile_;
  double ipv6_ratio_;
  const Hosts& hosts_;
  Stamp stamp_;
  AliasTable popularity_;
};

}  // namespace sluice::flowgen
