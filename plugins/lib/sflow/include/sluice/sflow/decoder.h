// sFlow version 5 decoding: datagrams in, one flow record per flow sample
// out, with the interface counters of counter samples, per-agent sequence
// tracking and counters for everything that went wrong.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/flow_record.h"

namespace sluice::sflow {

// Why (part of) a datagram was not decoded. Each is counted per agent.
enum class Malformed : std::uint8_t {
  truncated,        // shorter than its header, or a sample or record shorter than its own fields
  bad_version,      // not version 5 (2 and 4 have other layouts): usually not sFlow at all
  bad_address,      // an address type that is neither IPv4 (1) nor IPv6 (2)
  length_overrun,   // a sample, record or packet header longer than what holds it
  count_overrun,    // more samples, records or AS path entries than the bytes could hold
  header_protocol,  // a sampled packet header of a protocol not parsed here (not Ethernet, IPv4 or IPv6)
  bad_header,       // a sampled packet header whose IP header contradicts itself (version, header length)
};
inline constexpr std::size_t malformed_kinds = 7;
std::string_view malformed_name(Malformed reason) noexcept;

// One agent as a collector keys it: the agent address the datagrams carry
// and the sub-agent id. Datagrams whose header could not be read are
// counted under the address they came from, sub-agent 0.
struct AgentStats {
  IpAddress address;
  std::uint32_t sub_agent = 0;
  // When its first and its latest datagram arrived (the decoder's clock):
  // an agent forgotten and heard from again starts afresh.
  std::uint64_t first_seen_ms = 0;
  std::uint64_t last_seen_ms = 0;

  std::uint64_t datagrams = 0;
  std::uint64_t flow_samples = 0;
  std::uint64_t counter_samples = 0;
  // Datagram sequence numbers, counted as netflow_udp counts them: one error
  // per datagram that does not carry the expected number, and the size of
  // forward gaps as datagrams lost.
  std::uint64_t sequence_errors = 0;
  std::uint64_t lost_datagrams = 0;
  // The same per data source (each flow sampler and counter poller numbers
  // its samples): errors, and samples lost in forward gaps.
  std::uint64_t sample_sequence_errors = 0;
  std::uint64_t lost_samples = 0;
  // What the agent says it dropped: the latest "drops" of each flow
  // sampler (packets selected but lost for lack of resources), summed.
  std::uint64_t agent_drops = 0;
  // Samples and records of formats not read here, skipped by their length.
  std::uint64_t skipped = 0;
  std::uint64_t sources = 0;  // data sources whose sequence numbers are tracked
  std::array<std::uint64_t, malformed_kinds> malformed{};

  std::uint64_t malformed_total() const noexcept;
};

// An interface's generic counters (counter record 1: the ifTable of RFC
// 2233) as a counter sample reported them.
struct InterfaceCounters {
  IpAddress agent;
  std::uint32_t sub_agent = 0;
  std::uint32_t if_index = 0;
  std::uint32_t if_type = 0;
  std::uint64_t if_speed = 0;      // bits per second
  std::uint32_t if_direction = 0;  // 0 unknown, 1 full duplex, 2 half duplex, 3 in, 4 out
  std::uint32_t if_status = 0;     // bit 0: admin up, bit 1: operationally up
  std::uint64_t in_octets = 0;
  std::uint32_t in_unicast_packets = 0;
  std::uint32_t in_multicast_packets = 0;
  std::uint32_t in_broadcast_packets = 0;
  std::uint32_t in_discards = 0;
  std::uint32_t in_errors = 0;
  std::uint32_t in_unknown_protocols = 0;
  std::uint64_t out_octets = 0;
  std::uint32_t out_unicast_packets = 0;
  std::uint32_t out_multicast_packets = 0;
  std::uint32_t out_broadcast_packets = 0;
  std::uint32_t out_discards = 0;
  std::uint32_t out_errors = 0;
  std::uint32_t promiscuous_mode = 0;

  friend bool operator==(const InterfaceCounters&, const InterfaceCounters&) = default;
};

// What one decoder keeps at most, whatever senders (or spoofers) send. An
// agent silent for agent_idle_ms is forgotten with its counters; a new agent
// in a full table makes room by forgetting the longest-silent one.
struct DecoderLimits {
  std::size_t max_agents = 4096;
  std::uint64_t agent_idle_ms = 3'600'000;
  std::size_t max_sources_per_agent = 4096;  // further data sources' sequence numbers are not tracked
};

class Decoder {
 public:
  explicit Decoder(DecoderLimits limits = {});
  ~Decoder();
  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;

  // Decodes one datagram that arrived from `sender`, appending a record for
  // each flow sample to `flows` and the generic interface counters of each
  // counter sample to `interfaces`. A flow sample becomes one sampled
  // packet: packets 1, bytes its frame length, sampling_interval the
  // sampling rate, first and last time `received_ms`, exporter the agent
  // address, observation_domain the sub-agent id; MACs from its Ethernet
  // header, src_vlan the extended switch record's incoming VLAN or else the
  // header's outer tag, dst_vlan the switch record's outgoing VLAN. Bad
  // input is counted, never thrown: the samples that can be decoded are
  // kept.
  void decode(const IpAddress& sender, std::span<const std::uint8_t> datagram, std::uint64_t received_ms,
              std::vector<FlowRecord>& flows, std::vector<InterfaceCounters>& interfaces);

  // Every agent known, ordered by address and sub-agent.
  std::vector<AgentStats> agents() const;
  // Forgets the agents silent for agent_idle_ms at `now_ms` (decode() does
  // too, before it adds an agent).
  void forget_idle(std::uint64_t now_ms);
  // Agents forgotten to make room for new ones in a full table.
  std::uint64_t evicted_agents() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::sflow
