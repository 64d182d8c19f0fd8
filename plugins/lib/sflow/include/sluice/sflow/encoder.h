// sFlow version 5 encoding: flows in, the datagrams an sFlow agent would
// have sent for their packets out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "sluice/flow_record.h"

namespace sluice::sflow {

struct EncoderConfig {
  // The agent address of every datagram. Unspecified: each flow's exporter
  // is an agent of its own, its observation domain the sub-agent id.
  IpAddress agent{};
  std::uint32_t sampling_rate = 1;  // an agent samples 1 in N packets of each flow
  std::size_t mtu = 1400;           // largest datagram (UDP payload) in bytes
  std::size_t header_bytes = 128;   // sampled bytes of each packet (sFlow's usual default)
  std::uint64_t seed = 1;           // where each flow's sampling starts
};

struct EncoderStats {
  std::uint64_t flows = 0;
  std::uint64_t unsampled_flows = 0;  // none of their packets was picked: too few for the sampling rate
  std::uint64_t samples = 0;
  std::uint64_t datagrams = 0;
};

// Turns flows into flow samples as an agent's sampler on the flow's input
// interface would take them: 1 in sampling_rate of each flow's packets
// (systematically, from a random start, so a flow of P packets gives P / N
// samples on average), packet sizes spread evenly over the flow's bytes and
// TCP flags over its packets (SYN first, FIN or RST last). Each sample
// carries the packet's Ethernet (802.1Q-tagged when the flow has a source
// VLAN), IP and TCP/UDP/ICMP headers, and extended switch, router and
// gateway records when the flow has VLANs, a next hop, masks or AS numbers. Every agent numbers its datagrams, and each
// input interface its samples, without gaps.
class Encoder {
 public:
  // Room for the datagram header and the largest sample.
  static std::size_t minimum_mtu(std::size_t header_bytes) noexcept;

  // Throws std::invalid_argument for a sampling rate of 0, header_bytes
  // outside 1 to 256, or an mtu below minimum_mtu(header_bytes).
  explicit Encoder(EncoderConfig config);
  ~Encoder();
  Encoder(Encoder&&) noexcept;
  Encoder& operator=(Encoder&&) noexcept;

  // Queues the flows' sampled packets. Flows none of whose packets is
  // picked are counted in stats() and leave nothing.
  void add(std::span<const FlowRecord> flows);

  // Writes the next datagram into `out` (at least config().mtu bytes): as
  // many queued samples of one agent as fit, agents taking turns. `now_ms`
  // (ms since the epoch) sets the agent's uptime. Returns its size, 0 once
  // every queued sample has been written.
  std::size_t next_datagram(std::uint64_t now_ms, std::span<std::uint8_t> out);

  // Samples queued and not yet written.
  std::uint64_t queued() const noexcept;
  const EncoderStats& stats() const noexcept;
  const EncoderConfig& config() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::sflow
