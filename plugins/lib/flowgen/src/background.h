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

  // Fills `f`, a default record, with one flow exported at `export_ms`: it
  // ended up to a second before. Filled in place: a 320-byte record built
  // aside and copied into the batch cost as much as making it.
  void next(Random& rng, std::uint64_t export_ms, FlowRecord& f) const;

 private:
  struct Endpoints;
  void nflow(Random& rng, std::uint64_t export_ms, FlowRecord& f) const;
  void realistic(Random& rng, std::uint64_t export_ms, FlowRecord& f) const;
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
