#include "sluice/sflow/encoder.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent_key.h"
#include "packet.h"
#include "wire.h"

namespace sluice::sflow {
namespace {

using namespace wire;

constexpr std::size_t max_header_bytes = 256;
constexpr std::size_t datagram_header_ipv6 = header_before_address + 16 + header_after_address;

// A flow whose sampled packets are still to be written.
struct Pending {
  FlowRecord flow;
  std::uint64_t next_packet;  // index of the next sampled packet in the flow
  std::uint64_t samples_left;
};

// One input interface's flow sampler.
struct Sampler {
  std::uint32_t sequence = 0;
  std::uint32_t pool = 0;  // packets it has seen
};

struct Agent {
  AgentKey key;
  std::uint32_t sequence = 0;
  std::uint64_t boot_ms = 0;
  bool booted = false;
  std::uint16_t ip_identification = 0;
  std::unordered_map<std::uint32_t, Sampler> samplers;  // by input ifIndex
  std::deque<Pending> pending;
};

std::size_t address_size(const IpAddress& a) noexcept { return 4 + (a.is_v4() ? 4 : 16); }

std::uint8_t* put32(std::uint8_t* p, std::uint32_t v) noexcept {
  store32(p, v);
  return p + 4;
}

std::uint8_t* put_address(std::uint8_t* p, const IpAddress& a) noexcept {
  if (a.is_v4()) return put32(put32(p, address_ipv4), a.v4_value());
  p = put32(p, address_ipv6);
  std::memcpy(p, a.bytes.data(), 16);
  return p + 16;
}

// The TCP flags of packet `index` of `packets`: the handshake's on the
// first, the close's on the last, the rest in between.
std::uint8_t packet_tcp_flags(std::uint8_t flow_flags, std::uint64_t index, std::uint64_t packets) noexcept {
  enum : std::uint8_t { fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10, urg = 0x20, ece = 0x40 };
  constexpr std::uint8_t cwr = 0x80;
  if (packets == 1) return flow_flags;
  if (index == 0 && (flow_flags & syn)) return flow_flags & (syn | ece | cwr);
  if (index == packets - 1 && (flow_flags & (fin | rst))) return flow_flags & (fin | rst | ack);
  return flow_flags & (ack | psh | urg);
}

bool needs_switch(const FlowRecord& f) noexcept { return f.src_vlan != 0 || f.dst_vlan != 0; }
bool needs_router(const FlowRecord& f) noexcept {
  return !f.next_hop.is_unspecified() || f.src_mask != 0 || f.dst_mask != 0;
}
bool needs_gateway(const FlowRecord& f) noexcept { return f.src_as != 0 || f.dst_as != 0; }
bool needs_expanded(const FlowRecord& f) noexcept {
  return f.in_if > source_index_mask || f.out_if >= interface_unknown;
}

// The next hop as the router and gateway records carry it: an all-zero
// address of the flow's family when there is none.
IpAddress next_hop_of(const FlowRecord& f) noexcept {
  if (!f.next_hop.is_unspecified()) return f.next_hop;
  return f.src_addr.is_v4() ? IpAddress::v4(0) : IpAddress{};
}

}  // namespace

struct Encoder::State {
  EncoderConfig config;
  EncoderStats stats;
  std::uint64_t random;
  std::uint64_t queued = 0;
  std::vector<Agent> agents;
  std::unordered_map<AgentKey, std::size_t, AgentKeyHash> agent_index;
  std::size_t turn = 0;  // the agent whose datagram is next

  // splitmix64: a fast, well-mixed sequence from the seed.
  std::uint64_t next_random() noexcept {
    std::uint64_t z = (random += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  Agent& agent_for(const FlowRecord& flow) {
    const AgentKey key =
        config.agent.is_unspecified() ? AgentKey{flow.exporter, flow.observation_domain} : AgentKey{config.agent, 0};
    auto [it, added] = agent_index.try_emplace(key, agents.size());
    if (added) agents.emplace_back().key = key;
    return agents[it->second];
  }

  std::size_t sample_size(const FlowRecord& f, std::size_t header_size) const noexcept;
  std::size_t write_sample(Agent& agent, Pending& p, std::uint8_t* out, std::size_t room);
  std::size_t write_datagram(Agent& agent, std::uint64_t now_ms, std::uint8_t* out);
};

std::size_t Encoder::minimum_mtu(std::size_t header_bytes) noexcept {
  // An expanded sample of an IPv6 flow with a header, switch, router and
  // gateway records.
  const std::size_t sample = tag_size + flow_sample_expanded_fields + 4 + tag_size + sampled_header_fields +
                             padded(header_bytes) + tag_size + extended_switch_size + tag_size + 20 + 8 + tag_size +
                             20 + 16 + 8 + 4 + 4 + 4;
  return datagram_header_ipv6 + sample;
}

Encoder::Encoder(EncoderConfig config) : state_(std::make_unique<State>()) {
  if (config.sampling_rate == 0) throw std::invalid_argument("the sampling rate must be at least 1");
  if (config.header_bytes == 0 || config.header_bytes > max_header_bytes)
    throw std::invalid_argument("header bytes must be 1 to " + std::to_string(max_header_bytes));
  if (config.mtu < minimum_mtu(config.header_bytes))
    throw std::invalid_argument("the mtu must be at least " + std::to_string(minimum_mtu(config.header_bytes)) +
                                " bytes for headers of " + std::to_string(config.header_bytes));
  state_->config = config;
  state_->random = config.seed;
}

Encoder::~Encoder() = default;
Encoder::Encoder(Encoder&&) noexcept = default;
Encoder& Encoder::operator=(Encoder&&) noexcept = default;

std::uint64_t Encoder::queued() const noexcept { return state_->queued; }
const EncoderStats& Encoder::stats() const noexcept { return state_->stats; }
const EncoderConfig& Encoder::config() const noexcept { return state_->config; }

void Encoder::add(std::span<const FlowRecord> flows) {
  State& s = *state_;
  const std::uint64_t n = s.config.sampling_rate;
  for (const FlowRecord& f : flows) {
    ++s.stats.flows;
    Agent& agent = s.agent_for(f);
    agent.samplers[f.in_if].pool += static_cast<std::uint32_t>(f.packets);
    // A systematic 1-in-n sampler that has counted a random number of
    // packets before the flow's first: it picks packets first, first + n...
    const std::uint64_t first = n == 1 ? 0 : s.next_random() % n;
    const std::uint64_t samples = f.packets > first ? (f.packets - first - 1) / n + 1 : 0;
    if (samples == 0) {
      ++s.stats.unsampled_flows;
      continue;
    }
    agent.pending.push_back({f, first, samples});
    s.queued += samples;
  }
}

std::size_t Encoder::next_datagram(std::uint64_t now_ms, std::span<std::uint8_t> out) {
  State& s = *state_;
  if (out.size() < s.config.mtu) throw std::invalid_argument("the datagram buffer is smaller than the mtu");
  for (std::size_t tried = 0; tried < s.agents.size(); ++tried) {
    const std::size_t index = (s.turn + tried) % s.agents.size();
    if (s.agents[index].pending.empty()) continue;
    s.turn = index + 1;
    return s.write_datagram(s.agents[index], now_ms, out.data());
  }
  return 0;
}

std::size_t Encoder::State::write_datagram(Agent& agent, std::uint64_t now_ms, std::uint8_t* out) {
  if (!agent.booted) {
    agent.boot_ms = now_ms;
    agent.booted = true;
  }
  std::uint8_t* p = put_address(put32(out, version), agent.key.address);
  p = put32(p, agent.key.sub_agent);
  p = put32(p, ++agent.sequence);
  p = put32(p, static_cast<std::uint32_t>(now_ms - agent.boot_ms));  // uptime
  std::uint8_t* count_at = p;
  std::size_t at = static_cast<std::size_t>(p + 4 - out);
  std::uint32_t samples = 0;
  while (!agent.pending.empty()) {
    const std::size_t size = write_sample(agent, agent.pending.front(), out + at, config.mtu - at);
    if (size == 0) break;  // the datagram is full
    at += size;
    ++samples;
    if (agent.pending.front().samples_left == 0) agent.pending.pop_front();
  }
  store32(count_at, samples);
  ++stats.datagrams;
  return at;
}

std::size_t Encoder::State::sample_size(const FlowRecord& f, std::size_t header_size) const noexcept {
  std::size_t size = tag_size + (needs_expanded(f) ? flow_sample_expanded_fields : flow_sample_fields) + 4 + tag_size +
                     sampled_header_fields + padded(header_size);
  if (needs_switch(f)) size += tag_size + extended_switch_size;
  if (needs_router(f)) size += tag_size + address_size(next_hop_of(f)) + 8;
  // next hop, AS, source AS, source peer AS, the path (one segment of one
  // AS), communities (none), local preference
  if (needs_gateway(f)) size += tag_size + address_size(next_hop_of(f)) + 12 + 4 + (f.dst_as ? 12 : 0) + 4 + 4;
  return size;
}

std::size_t Encoder::State::write_sample(Agent& agent, Pending& pending, std::uint8_t* out, std::size_t room) {
  const FlowRecord& f = pending.flow;
  const std::uint64_t packets = f.packets;
  const std::uint64_t index = pending.next_packet;
  // Packet sizes spread the flow's bytes: the first bytes % packets one larger.
  const std::uint64_t spread = f.bytes / packets + (index < f.bytes % packets ? 1 : 0);
  packet::Shape shape;
  shape.ip_length = static_cast<std::size_t>(
      std::clamp<std::uint64_t>(spread, packet::minimum_ip_length(f), packet::maximum_ip_length(f)));
  shape.tcp_flags = packet_tcp_flags(f.tcp_flags, index, packets);
  shape.ip_identification = ++agent.ip_identification;
  const std::size_t frame_length = packet::frame_length(f, shape.ip_length);
  const std::size_t header_size = std::min(config.header_bytes, frame_length - packet::ethernet_fcs);
  const std::size_t size = sample_size(f, header_size);
  if (size > room) return 0;

  Sampler& sampler = agent.samplers[f.in_if];
  const bool expanded = needs_expanded(f);
  const std::uint32_t records = 1 + (needs_switch(f) ? 1 : 0) + (needs_router(f) ? 1 : 0) + (needs_gateway(f) ? 1 : 0);
  std::uint8_t* p = put32(out, expanded ? flow_sample_expanded : flow_sample);
  p = put32(p, static_cast<std::uint32_t>(size - tag_size));
  p = put32(p, ++sampler.sequence);
  if (expanded) {
    p = put32(put32(p, 0), f.in_if);  // source: ifIndex type, index
  } else {
    p = put32(p, f.in_if);
  }
  p = put32(p, config.sampling_rate);
  p = put32(p, sampler.pool);
  p = put32(p, 0);  // drops
  if (expanded) {
    p = put32(put32(p, interface_ifindex), f.in_if);
    p = put32(put32(p, interface_ifindex), f.out_if);
  } else {
    p = put32(p, f.in_if);
    p = put32(p, f.out_if);
  }
  p = put32(p, records);

  p = put32(p, sampled_header);
  p = put32(p, static_cast<std::uint32_t>(sampled_header_fields + padded(header_size)));
  p = put32(p, header_ethernet);
  p = put32(p, static_cast<std::uint32_t>(frame_length));
  p = put32(p, packet::ethernet_fcs);  // stripped
  p = put32(p, static_cast<std::uint32_t>(header_size));
  packet::write_ethernet(f, shape, p, header_size);
  std::memset(p + header_size, 0, padded(header_size) - header_size);
  p += padded(header_size);

  if (needs_switch(f)) {
    p = put32(p, extended_switch);
    p = put32(p, extended_switch_size);
    p = put32(put32(p, f.src_vlan), 0);  // VLAN and priority in
    p = put32(put32(p, f.dst_vlan), 0);  // and out
  }
  const IpAddress next_hop = next_hop_of(f);
  if (needs_router(f)) {
    p = put32(p, extended_router);
    p = put32(p, static_cast<std::uint32_t>(address_size(next_hop) + 8));
    p = put_address(p, next_hop);
    p = put32(put32(p, f.src_mask), f.dst_mask);
  }
  if (needs_gateway(f)) {
    p = put32(p, extended_gateway);
    p = put32(p, static_cast<std::uint32_t>(address_size(next_hop) + 12 + 4 + (f.dst_as ? 12 : 0) + 8));
    p = put_address(p, next_hop);
    p = put32(put32(put32(p, 0), f.src_as), 0);  // the router's AS (unknown), source AS, source peer AS
    if (f.dst_as) {
      p = put32(p, 1);                             // one segment:
      p = put32(put32(put32(p, 2), 1), f.dst_as);  // an AS_SEQUENCE of one AS
    } else {
      p = put32(p, 0);
    }
    p = put32(put32(p, 0), 0);  // no communities, local preference 0
  }

  pending.next_packet += config.sampling_rate;
  --pending.samples_left;
  --queued;
  ++stats.samples;
  return static_cast<std::size_t>(p - out);
}

}  // namespace sluice::sflow
