#include "sluice/sflow/decoder.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "agent_key.h"
#include "packet.h"
#include "sluice/fields.h"
#include "sluice/net/sender_table.h"
#include "wire.h"

namespace sluice::sflow {
namespace {

using namespace wire;

// Reads XDR words from a bounded run of bytes. Callers check left() first.
class Cursor {
 public:
  Cursor(const std::uint8_t* begin, std::size_t size) noexcept : p_(begin), end_(begin + size) {}

  std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  const std::uint8_t* position() const noexcept { return p_; }
  std::uint32_t u32() noexcept {
    const std::uint32_t v = load32(p_);
    p_ += 4;
    return v;
  }
  std::uint64_t u64() noexcept {
    const std::uint64_t v = load64(p_);
    p_ += 8;
    return v;
  }
  void skip(std::size_t n) noexcept { p_ += n; }
  // The next `n` bytes as a cursor of their own, skipped here.
  Cursor take(std::size_t n) noexcept {
    Cursor part(p_, n);
    p_ += n;
    return part;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// The expected next number of one sequence (datagrams of an agent, samples
// of a data source).
struct Sequence {
  bool known = false;
  std::uint32_t expected = 0;

  // Compares with the expected number, counts an error and the forward gap,
  // then expects number + 1. A backwards jump is a restart or reordering,
  // not loss.
  void track(std::uint32_t number, std::uint64_t& errors, std::uint64_t& lost) noexcept {
    if (known && number != expected) {
      ++errors;
      const std::uint32_t gap = number - expected;
      if (gap < 0x8000'0000u) lost += gap;
    }
    expected = number + 1;
    known = true;
  }
};

struct Source {
  Sequence sequence;
  std::uint32_t drops = 0;  // a flow sampler's latest count
};

struct Agent {
  AgentStats stats;
  Sequence datagrams;
  std::unordered_map<std::uint64_t, Source> sources;
  // The sources last looked up, by the low bits of their key: most samples
  // find theirs here rather than in the map (whose nodes do not move).
  static constexpr std::size_t recent_slots = 64;
  static constexpr std::uint64_t no_key = ~std::uint64_t{0};
  std::array<std::pair<std::uint64_t, Source*>, recent_slots> recent;

  Agent() { recent.fill({no_key, nullptr}); }

  void count(Malformed m) noexcept { ++stats.malformed[static_cast<std::size_t>(m)]; }
};

// Reads an address (its type, then 4 or 16 bytes).
std::optional<Malformed> read_address(Cursor& c, IpAddress& out) noexcept {
  if (c.left() < 4) return Malformed::truncated;
  const std::uint32_t type = c.u32();
  if (type == address_ipv4) {
    if (c.left() < 4) return Malformed::truncated;
    out = IpAddress::v4(c.u32());
  } else if (type == address_ipv6) {
    if (c.left() < 16) return Malformed::truncated;
    std::memcpy(out.bytes.data(), c.position(), 16);
    c.skip(16);
  } else {
    return Malformed::bad_address;
  }
  return std::nullopt;
}

// NetFlow's forwarding status (RFC 7270: "dropped" and a reason) for the
// reason an sFlow agent gives for discarding a packet: an ICMP unreachable
// code (0-15) or one of sFlow's own (256 and up).
std::uint8_t dropped_status(std::uint32_t reason) noexcept {
  enum : std::uint8_t { unknown = 128, acl_deny = 129, unroutable = 131, fragmentation = 133, bad_ttl = 137 };
  enum : std::uint8_t { policer = 138, wred = 139 };
  switch (reason) {
    case 0:  // net unreachable
    case 1:  // host unreachable
    case 5:  // source route failed
    case 6:  // destination network unknown
    case 7:  // destination host unknown
    case 11:
    case 12: return unroutable;      // unreachable for the ToS
    case 4:                          // fragmentation needed and DF set
    case 262: return fragmentation;  // packet too big
    case 9:
    case 10:
    case 13:                    // administratively prohibited
    case 258: return acl_deny;  // ACL
    case 257: return bad_ttl;   // TTL exceeded
    case 260: return wred;      // RED
    case 261: return policer;   // traffic shaping
    default: return unknown;
  }
}

// A flow sample's interfaces: an ifIndex, or for the output a discard (with
// its reason) or several interfaces. Unknown and several read as 0,
// NetFlow's "unknown".
void apply_interfaces(const std::uint32_t (&formats)[2], const std::uint32_t (&values)[2], FlowRecord& r) noexcept {
  if (formats[0] == interface_ifindex) r.set_present(Element::in_if);
  if (formats[1] == interface_ifindex) r.set_present(Element::out_if);
  if (formats[0] == interface_ifindex && values[0] != interface_unknown) r.in_if = values[0];
  if (formats[1] == interface_ifindex && values[1] != interface_unknown) r.out_if = values[1];
  if (formats[1] == interface_discarded) r.fwd_status = dropped_status(values[1]);
}

// A sample's data source: a type (ifIndex, VLAN, physical or logical
// entity) and an index, in one word (compact) or two (expanded).
struct DataSource {
  std::uint32_t type = 0;
  std::uint32_t index = 0;
};

DataSource read_data_source(Cursor& c, bool expanded) noexcept {
  if (expanded) {
    const std::uint32_t type = c.u32();
    return {type, c.u32()};
  }
  const std::uint32_t id = c.u32();
  return {id >> 24, id & source_index_mask};
}

enum class SampleKind : std::uint64_t { flow = 0, counters = 1 };

// Flow samplers and counter pollers of one data source number their
// samples apart.
std::uint64_t source_key(SampleKind kind, const DataSource& s) noexcept {
  return (static_cast<std::uint64_t>(kind) << 63) | (std::uint64_t{s.type & 0x7fff'ffffu} << 32) | s.index;
}

}  // namespace

std::string_view malformed_name(Malformed reason) noexcept {
  switch (reason) {
    case Malformed::truncated: return "truncated";
    case Malformed::bad_version: return "bad version";
    case Malformed::bad_address: return "bad address";
    case Malformed::length_overrun: return "length overrun";
    case Malformed::count_overrun: return "count overrun";
    case Malformed::header_protocol: return "header protocol";
    case Malformed::bad_header: return "bad header";
  }
  return "?";
}

std::uint64_t AgentStats::malformed_total() const noexcept {
  std::uint64_t n = 0;
  for (auto m : malformed) n += m;
  return n;
}

struct Decoder::State {
  explicit State(DecoderLimits l) : limits(l), agents(l.max_agents, l.agent_idle_ms) {}

  DecoderLimits limits;
  net::SenderTable<AgentKey, Agent, AgentKeyHash> agents;

  Agent& agent(const IpAddress& address, std::uint32_t sub_agent, std::uint64_t now_ms) {
    bool created = false;
    auto& entry = agents.find(AgentKey{address, sub_agent}, now_ms, created);
    Agent& a = entry.value;
    if (created) {
      a.stats.address = address;
      a.stats.sub_agent = sub_agent;
      a.stats.first_seen_ms = now_ms;
    }
    a.stats.last_seen_ms = entry.last_seen_ms;
    return a;
  }

  // A datagram whose header could not be read: counted under its sender.
  void count_unreadable(const IpAddress& sender, Malformed m, std::uint64_t now_ms) {
    Agent& a = agent(sender, 0, now_ms);
    ++a.stats.datagrams;
    a.count(m);
  }

  Source* source(Agent& a, std::uint64_t key) {
    auto& slot = a.recent[(key ^ key >> 32) % Agent::recent_slots];
    if (slot.first == key) return slot.second;
    Source* s = nullptr;
    if (auto it = a.sources.find(key); it != a.sources.end())
      s = &it->second;
    else if (a.sources.size() < limits.max_sources_per_agent)
      s = &a.sources[key];
    if (s && key != Agent::no_key) slot = {key, s};
    return s;
  }

  void read_flow_sample(Agent& a, Cursor c, bool expanded, const FlowRecord& blank, std::vector<FlowRecord>& flows);
  void read_counters_sample(Agent& a, Cursor c, bool expanded, std::vector<InterfaceCounters>& interfaces);
};

Decoder::Decoder(DecoderLimits limits) : state_(std::make_unique<State>(limits)) {}
Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

std::uint64_t Decoder::evicted_agents() const noexcept { return state_->agents.evicted(); }

void Decoder::forget_idle(std::uint64_t now_ms) { state_->agents.expire(now_ms); }

std::vector<AgentStats> Decoder::agents() const {
  std::vector<AgentStats> all;
  all.reserve(state_->agents.size());
  for (const auto& entry : state_->agents) {
    const Agent& a = entry.value;
    all.push_back(a.stats);
    all.back().sources = a.sources.size();
    for (const auto& [id, s] : a.sources) all.back().agent_drops += s.drops;
  }
  std::sort(all.begin(), all.end(), [](const AgentStats& x, const AgentStats& y) {
    return std::tie(x.address.bytes, x.sub_agent) < std::tie(y.address.bytes, y.sub_agent);
  });
  return all;
}

void Decoder::decode(const IpAddress& sender, std::span<const std::uint8_t> datagram, std::uint64_t received_ms,
                     std::vector<FlowRecord>& flows, std::vector<InterfaceCounters>& interfaces) {
  State& s = *state_;
  Cursor c(datagram.data(), datagram.size());
  if (c.left() < 4) return s.count_unreadable(sender, Malformed::truncated, received_ms);
  if (c.u32() != version) return s.count_unreadable(sender, Malformed::bad_version, received_ms);
  IpAddress agent_address;
  if (const auto m = read_address(c, agent_address)) return s.count_unreadable(sender, *m, received_ms);
  if (c.left() < header_after_address) return s.count_unreadable(agent_address, Malformed::truncated, received_ms);
  const std::uint32_t sub_agent = c.u32();
  const std::uint32_t sequence = c.u32();
  c.skip(4);  // uptime
  const std::uint32_t samples = c.u32();
  Agent* a = &s.agent(agent_address, sub_agent, received_ms);
  ++a->stats.datagrams;
  a->datagrams.track(sequence, a->stats.sequence_errors, a->stats.lost_datagrams);
  if (samples > c.left() / tag_size) return a->count(Malformed::count_overrun);

  FlowRecord blank;
  blank.exporter = agent_address;
  blank.observation_domain = sub_agent;
  blank.received_ms = blank.first_ms = blank.last_ms = received_ms;
  blank.packets = 1;
  blank.export_version = sflow_5_export_version;
  for (const Element e : {Element::exporter, Element::observation_domain, Element::received, Element::sampling})
    blank.set_present(e);
  for (std::uint32_t i = 0; i < samples; ++i) {
    if (c.left() < tag_size) return a->count(Malformed::truncated);
    const std::uint32_t tag = c.u32();
    const std::uint32_t length = c.u32();
    if (length > c.left()) return a->count(Malformed::length_overrun);
    const Cursor sample = c.take(length);
    if (enterprise_of(tag) != 0) {
      ++a->stats.skipped;
      continue;
    }
    switch (format_of(tag)) {
      case flow_sample:
      case flow_sample_expanded:
        s.read_flow_sample(*a, sample, format_of(tag) == flow_sample_expanded, blank, flows);
        break;
      case counters_sample:
      case counters_sample_expanded:
        s.read_counters_sample(*a, sample, format_of(tag) == counters_sample_expanded, interfaces);
        break;
      default: ++a->stats.skipped;
    }
  }
}

namespace {

// The flow records of one sample, read into `r`. Returns what was malformed
// in them, if anything made the sample unreadable.
struct RecordReader {
  Agent& agent;
  FlowRecord& r;
  bool frame_length_known = false;  // from a packet header or Ethernet record, rather than an IP length

  // Reads the next record at c, or says why it cannot be read.
  std::optional<Malformed> next(Cursor& c) {
    if (c.left() < tag_size) return Malformed::truncated;
    const std::uint32_t tag = c.u32();
    const std::uint32_t length = c.u32();
    if (length > c.left()) return Malformed::length_overrun;
    const Cursor record = c.take(length);
    if (enterprise_of(tag) != 0) {
      ++agent.stats.skipped;
      return std::nullopt;
    }
    return read(format_of(tag), record);
  }

  std::optional<Malformed> read(std::uint32_t format, Cursor c) {
    switch (format) {
      case sampled_header: return read_header(c);
      case sampled_ethernet:  // length, then each MAC padded to 8 bytes
        if (c.left() < sampled_ethernet_size) return Malformed::truncated;
        r.bytes = c.u32();
        frame_length_known = true;
        std::memcpy(r.src_mac.bytes.data(), c.position(), 6);
        std::memcpy(r.dst_mac.bytes.data(), c.position() + 8, 6);
        r.set_present(Element::src_mac);
        r.set_present(Element::dst_mac);
        return std::nullopt;
      case sampled_ipv4: return read_sampled_ip(c, sampled_ipv4_size, 4);
      case sampled_ipv6: return read_sampled_ip(c, sampled_ipv6_size, 16);
      case extended_switch: return read_switch(c);
      case extended_router: return read_router(c);
      case extended_gateway: return read_gateway(c);
      default: ++agent.stats.skipped; return std::nullopt;
    }
  }

  std::optional<Malformed> read_header(Cursor c) {
    if (c.left() < sampled_header_fields) return Malformed::truncated;
    const std::uint32_t protocol = c.u32();
    r.bytes = c.u32();  // the frame length
    frame_length_known = true;
    c.skip(4);  // bytes stripped (usually the FCS)
    const std::uint32_t size = c.u32();
    if (size > c.left()) return Malformed::length_overrun;
    const std::uint8_t* h = c.position();
    bool consistent = true;
    switch (protocol) {
      case header_ethernet: consistent = packet::read_ethernet(h, size, r); break;
      case header_ipv4: consistent = packet::read_ipv4(h, size, r); break;
      case header_ipv6: consistent = packet::read_ipv6(h, size, r); break;
      default: agent.count(Malformed::header_protocol); return std::nullopt;
    }
    if (!consistent) agent.count(Malformed::bad_header);
    return std::nullopt;  // the sample keeps what the header gave
  }

  std::optional<Malformed> read_sampled_ip(Cursor c, std::size_t record_size, std::size_t address_size) {
    if (c.left() < record_size) return Malformed::truncated;
    const std::uint32_t length = c.u32();
    if (!frame_length_known) r.bytes = length;
    r.proto = static_cast<std::uint8_t>(c.u32());
    if (address_size == 4) {
      r.src_addr = IpAddress::v4(c.u32());
      r.dst_addr = IpAddress::v4(c.u32());
    } else {
      std::memcpy(r.src_addr.bytes.data(), c.position(), 16);
      std::memcpy(r.dst_addr.bytes.data(), c.position() + 16, 16);
      c.skip(32);
    }
    r.src_port = static_cast<std::uint16_t>(c.u32());
    r.dst_port = static_cast<std::uint16_t>(c.u32());
    r.tcp_flags = static_cast<std::uint8_t>(c.u32());
    r.tos = static_cast<std::uint8_t>(c.u32());
    return std::nullopt;
  }

  // The VLANs the switch saw the packet in and out on, where it says
  // (0: it does not); the incoming one over the sampled header's tag.
  std::optional<Malformed> read_switch(Cursor c) {
    if (c.left() < extended_switch_size) return Malformed::truncated;
    const std::uint32_t in = c.u32();
    c.skip(4);  // priority
    const std::uint32_t out = c.u32();
    if (in != 0) r.src_vlan = static_cast<std::uint16_t>(std::min<std::uint32_t>(in, 0xffff));
    if (out != 0) r.dst_vlan = static_cast<std::uint16_t>(std::min<std::uint32_t>(out, 0xffff));
    if (in != 0) r.set_present(Element::src_vlan);
    if (out != 0) r.set_present(Element::dst_vlan);
    return std::nullopt;
  }

  std::optional<Malformed> read_router(Cursor c) {
    IpAddress next_hop;
    if (const auto m = read_address(c, next_hop)) return m;
    if (c.left() < 8) return Malformed::truncated;
    set_next_hop(next_hop);
    r.src_mask = static_cast<std::uint8_t>(std::min<std::uint32_t>(c.u32(), 128));
    r.dst_mask = static_cast<std::uint8_t>(std::min<std::uint32_t>(c.u32(), 128));
    r.set_present(Element::src_mask);
    r.set_present(Element::dst_mask);
    return std::nullopt;
  }

  // BGP: the next hop (unless the router record gave one), the source AS,
  // and the destination AS, the last of the AS path.
  std::optional<Malformed> read_gateway(Cursor c) {
    IpAddress next_hop;
    if (const auto m = read_address(c, next_hop)) return m;
    if (c.left() < 16) return Malformed::truncated;
    c.skip(4);  // the router's own AS
    const std::uint32_t src_as = c.u32();
    c.skip(4);  // the source's peer AS
    const std::uint32_t segments = c.u32();
    if (segments > c.left() / 8) return Malformed::count_overrun;
    std::uint32_t dst_as = 0;
    for (std::uint32_t i = 0; i < segments; ++i) {
      if (c.left() < 8) return Malformed::truncated;
      c.skip(4);  // AS_SET or AS_SEQUENCE
      const std::uint32_t count = c.u32();
      if (count > c.left() / 4) return Malformed::count_overrun;
      if (count > 0) {
        c.skip((count - 1) * std::size_t{4});
        dst_as = c.u32();
      }
    }
    if (c.left() < 4) return Malformed::truncated;
    const std::uint32_t communities = c.u32();
    if (communities > c.left() / 4) return Malformed::count_overrun;
    c.skip(communities * std::size_t{4});
    if (c.left() < 4) return Malformed::truncated;  // local preference
    if (r.next_hop.is_unspecified()) set_next_hop(next_hop);
    r.src_as = src_as;
    r.dst_as = dst_as;
    r.set_present(Element::src_as);
    r.set_present(Element::dst_as);
    return std::nullopt;
  }

  // An all-zero next hop means none.
  void set_next_hop(const IpAddress& a) {
    static constexpr IpAddress none, v4_none = IpAddress::v4(0);
    if (net::equal(a, none) || net::equal(a, v4_none)) return;
    r.next_hop = a;
    r.set_present(Element::next_hop);
  }
};

}  // namespace

void Decoder::State::read_flow_sample(Agent& a, Cursor c, bool expanded, const FlowRecord& blank,
                                      std::vector<FlowRecord>& flows) {
  if (c.left() < (expanded ? flow_sample_expanded_fields : flow_sample_fields) + 4)
    return a.count(Malformed::truncated);
  const std::uint32_t sequence = c.u32();
  const DataSource data_source = read_data_source(c, expanded);
  const std::uint32_t sampling_rate = c.u32();
  c.skip(4);  // sample pool
  const std::uint32_t drops = c.u32();
  std::uint32_t formats[2], values[2];  // input, output
  for (int i = 0; i < 2; ++i) {
    if (expanded) {
      formats[i] = c.u32();
      values[i] = c.u32();
    } else {
      const std::uint32_t word = c.u32();
      formats[i] = word >> interface_format_shift;
      values[i] = word & interface_value_mask;
    }
  }
  if (Source* s = source(a, source_key(SampleKind::flow, data_source))) {
    s->sequence.track(sequence, a.stats.sample_sequence_errors, a.stats.lost_samples);
    s->drops = drops;
  }
  const std::uint32_t records = c.u32();
  if (records > c.left() / tag_size) return a.count(Malformed::count_overrun);

  FlowRecord& r = flows.emplace_back(blank);
  r.sampling_interval = std::max<std::uint32_t>(sampling_rate, 1);
  apply_interfaces(formats, values, r);
  RecordReader reader{a, r};
  for (std::uint32_t i = 0; i < records; ++i) {
    if (const auto m = reader.next(c)) {
      flows.pop_back();  // the sample's records cannot be trusted
      return a.count(*m);
    }
  }
  ++a.stats.flow_samples;
}

void Decoder::State::read_counters_sample(Agent& a, Cursor c, bool expanded,
                                          std::vector<InterfaceCounters>& interfaces) {
  if (c.left() < (expanded ? counters_sample_expanded_fields : counters_sample_fields) + 4)
    return a.count(Malformed::truncated);
  const std::uint32_t sequence = c.u32();
  if (Source* s = source(a, source_key(SampleKind::counters, read_data_source(c, expanded))))
    s->sequence.track(sequence, a.stats.sample_sequence_errors, a.stats.lost_samples);
  const std::uint32_t records = c.u32();
  if (records > c.left() / tag_size) return a.count(Malformed::count_overrun);
  ++a.stats.counter_samples;
  for (std::uint32_t i = 0; i < records; ++i) {
    if (c.left() < tag_size) return a.count(Malformed::truncated);
    const std::uint32_t tag = c.u32();
    const std::uint32_t length = c.u32();
    if (length > c.left()) return a.count(Malformed::length_overrun);
    Cursor record = c.take(length);
    if (tag != generic_interface) {  // enterprise 0, format 1
      ++a.stats.skipped;
      continue;
    }
    if (record.left() < generic_interface_size) return a.count(Malformed::truncated);
    InterfaceCounters& n = interfaces.emplace_back();
    n.agent = a.stats.address;
    n.sub_agent = a.stats.sub_agent;
    n.if_index = record.u32();
    n.if_type = record.u32();
    n.if_speed = record.u64();
    n.if_direction = record.u32();
    n.if_status = record.u32();
    n.in_octets = record.u64();
    n.in_unicast_packets = record.u32();
    n.in_multicast_packets = record.u32();
    n.in_broadcast_packets = record.u32();
    n.in_discards = record.u32();
    n.in_errors = record.u32();
    n.in_unknown_protocols = record.u32();
    n.out_octets = record.u64();
    n.out_unicast_packets = record.u32();
    n.out_multicast_packets = record.u32();
    n.out_broadcast_packets = record.u32();
    n.out_discards = record.u32();
    n.out_errors = record.u32();
    n.promiscuous_mode = record.u32();
  }
}

}  // namespace sluice::sflow
