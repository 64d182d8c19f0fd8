// One scenario's flows, in export order, each carrying its label.
#pragma once

#include <cstdint>
#include <limits>
#include <queue>
#include <vector>

#include "flow_shape.h"
#include "hosts.h"
#include "random.h"
#include "sluice/flowgen/scenario.h"

namespace sluice::flowgen {

class ScenarioStream {
 public:
  static constexpr double never = std::numeric_limits<double>::infinity();

  // `start_ms`: the simulation's start, to which the scenario's window is
  // relative. Throws std::invalid_argument for an unusable configuration.
  ScenarioStream(ScenarioConfig config, const Hosts& hosts, Stamp stamp, std::uint64_t start_ms, std::uint64_t seed);

  // When the next flow is exported (ms since the simulation's start: offsets
  // keep a double's precision far below a microsecond), `never` once done.
  double next_ms() const { return pending_ < events_.size() ? event_ms_ : never; }
  FlowRecord pop();

 private:
  void advance();  // the next event: its time and its one or two flows
  void event();
  void port_scan();
  void syn_flood();
  void udp_amplification();
  void ddos();
  void brute_force();
  void exfiltration();
  void beaconing(std::size_t host);
  // Ends the flow at the event, and starts it no earlier than the window.
  void finish(FlowRecord& f, std::uint64_t duration_ms);
  FlowRecord& flow(std::uint8_t proto, const IpAddress& src, std::uint16_t src_port, const IpAddress& dst,
                   std::uint16_t dst_port);
  // Flows per event: the scenario's intensity counts flows, events come at intensity / this.
  double flows_per_event() const;

  ScenarioConfig config_;
  Stamp stamp_;
  Random rng_;
  bool ipv6_;
  std::uint64_t origin_ms_;  // the simulation's start: the times below count from it
  double begin_ms_, end_ms_;
  double events_per_ms_;
  double event_ms_ = 0;
  std::vector<FlowRecord> events_;  // the current event's flows, not yet popped from `pending_` on
  std::size_t pending_ = 0;
  std::uint64_t probes_ = 0;
  std::uint16_t scanner_port_ = 0;
  std::vector<IpAddress> peers_;                  // reflectors, bots or beaconing hosts
  using Beacon = std::pair<double, std::size_t>;  // next call, host
  std::priority_queue<Beacon, std::vector<Beacon>, std::greater<>> beacons_;
};

}  // namespace sluice::flowgen
