#include "sluice/netflow/decoder.h"

#include <algorithm>
#include <bitset>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "sluice/net/address.h"
#include "sluice/net/sender_table.h"
#include "wire.h"

namespace sluice::netflow {
namespace {

using namespace wire;

// What a template field means, resolved once when the template arrives.
enum class Target : std::uint8_t {
  skip,
  bytes,
  packets,
  reverse_bytes,
  reverse_packets,
  flows,
  proto,
  tos,
  dst_tos,
  tcp_flags,
  src_port,
  dst_port,
  src_addr,
  dst_addr,
  next_hop,
  bgp_next_hop,
  src_mask,
  dst_mask,
  in_if,
  out_if,
  src_as,
  dst_as,
  first_uptime,
  last_uptime,
  first_seconds,
  last_seconds,
  first_ms,
  last_ms,
  first_ntp,
  last_ntp,
  duration_ms,
  system_init_ms,
  icmp_type_code,
  icmp_type,
  icmp_code,
  engine_type,
  engine_id,
  direction,
  fwd_status,
  end_reason,
  biflow_direction,
  sampling_interval,
  sampling_packet_interval,
  sampling_packet_space,
  sampler_id,  // the last: target_count
};
constexpr std::size_t target_count = static_cast<std::size_t>(Target::sampler_id) + 1;

Target target_of(std::uint16_t id, std::uint32_t enterprise) {
  if (enterprise == reverse_pen) {
    switch (id) {
      case ie::octets:
      case ie::octets_total: return Target::reverse_bytes;
      case ie::packets:
      case ie::packets_total: return Target::reverse_packets;
      default: return Target::skip;
    }
  }
  if (enterprise != 0) return Target::skip;
  switch (id) {
    case ie::octets:
    case ie::octets_total: return Target::bytes;
    case ie::packets:
    case ie::packets_total: return Target::packets;
    case ie::out_octets: return Target::reverse_bytes;
    case ie::out_packets: return Target::reverse_packets;
    case ie::flows: return Target::flows;
    case ie::protocol: return Target::proto;
    case ie::tos: return Target::tos;
    case ie::dst_tos: return Target::dst_tos;
    case ie::tcp_flags: return Target::tcp_flags;
    case ie::src_port: return Target::src_port;
    case ie::dst_port: return Target::dst_port;
    case ie::src_ipv4:
    case ie::src_ipv6: return Target::src_addr;
    case ie::dst_ipv4:
    case ie::dst_ipv6: return Target::dst_addr;
    case ie::next_hop_ipv4:
    case ie::next_hop_ipv6: return Target::next_hop;
    case ie::bgp_next_hop_ipv4:
    case ie::bgp_next_hop_ipv6: return Target::bgp_next_hop;
    case ie::src_mask:
    case ie::src_mask_ipv6: return Target::src_mask;
    case ie::dst_mask:
    case ie::dst_mask_ipv6: return Target::dst_mask;
    case ie::input_if: return Target::in_if;
    case ie::output_if: return Target::out_if;
    case ie::src_as: return Target::src_as;
    case ie::dst_as: return Target::dst_as;
    case ie::first_uptime: return Target::first_uptime;
    case ie::last_uptime: return Target::last_uptime;
    case ie::start_seconds: return Target::first_seconds;
    case ie::end_seconds: return Target::last_seconds;
    case ie::start_ms: return Target::first_ms;
    case ie::end_ms: return Target::last_ms;
    case ie::start_us:
    case ie::start_ns: return Target::first_ntp;
    case ie::end_us:
    case ie::end_ns: return Target::last_ntp;
    case ie::duration_ms: return Target::duration_ms;
    case ie::system_init_ms: return Target::system_init_ms;
    case ie::icmp_type_code:
    case ie::icmp_type_code_ipv6: return Target::icmp_type_code;
    case ie::icmp_type:
    case ie::icmp_type_ipv6: return Target::icmp_type;
    case ie::icmp_code:
    case ie::icmp_code_ipv6: return Target::icmp_code;
    case ie::engine_type: return Target::engine_type;
    case ie::engine_id: return Target::engine_id;
    case ie::direction: return Target::direction;
    case ie::fwd_status: return Target::fwd_status;
    case ie::flow_end_reason: return Target::end_reason;
    case ie::biflow_direction: return Target::biflow_direction;
    case ie::sampling_interval:
    case ie::sampler_random_interval: return Target::sampling_interval;
    case ie::sampling_packet_interval: return Target::sampling_packet_interval;
    case ie::sampling_packet_space: return Target::sampling_packet_space;
    case ie::sampler_id:
    case ie::selector_id: return Target::sampler_id;
    default: return Target::skip;
  }
}

// The presence bits a record gains from a field of its template.
std::uint64_t presence_of(Target t) {
  const auto bit = FlowRecord::bit;
  switch (t) {
    case Target::reverse_bytes:
    case Target::reverse_packets: return bit(Element::reverse_counters);
    case Target::flows: return bit(Element::flows);
    case Target::dst_tos: return bit(Element::dst_tos);
    case Target::next_hop: return bit(Element::next_hop);
    case Target::bgp_next_hop: return bit(Element::bgp_next_hop);
    case Target::src_mask: return bit(Element::src_mask);
    case Target::dst_mask: return bit(Element::dst_mask);
    case Target::in_if: return bit(Element::in_if);
    case Target::out_if: return bit(Element::out_if);
    case Target::src_as: return bit(Element::src_as);
    case Target::dst_as: return bit(Element::dst_as);
    case Target::direction: return bit(Element::direction);
    case Target::sampling_interval:
    case Target::sampling_packet_interval: return bit(Element::sampling);
    case Target::engine_type:
    case Target::engine_id: return bit(Element::engine);
    default: return 0;
  }
}

// Where a field lies in a record: the wire bytes before its end, and its
// length (variable_length in a template: read from each record).
struct FieldSpan {
  std::uint16_t end = 0;
  std::uint16_t length = 0;
};

// A field whose value a record member of type T takes as it is (its low
// bytes when the member is narrower), or an address.
template <class T>
struct Copy {
  std::uint16_t field = 0;  // its index in the template
  T FlowRecord::*member = nullptr;
};

// A field whose value means something only with others' (times, sampling,
// ICMP): apply() puts it into the record's Values.
struct Applied {
  std::uint16_t field = 0;
  Target target = Target::skip;
};

// A template compiled for decoding its records: the steps, grouped by the
// member's type, so that a record is decoded by straight loops of copies.
// A switch on each field's element was two thirds of a v9 record's time:
// an indirect jump per field, whose cost moved with code placement. Only
// the last field of each element has a step: its value is the one kept.
struct Steps {
  std::vector<Copy<std::uint8_t>> u8s;
  std::vector<Copy<std::uint16_t>> u16s;
  std::vector<Copy<std::uint32_t>> u32s;
  std::vector<Copy<std::uint64_t>> u64s;
  std::vector<Copy<IpAddress>> addresses;
  std::vector<Applied> applied;  // in template order: elements such as start seconds and ms set the same value
};

struct Template {
  std::vector<FieldSpan> fields;
  Steps steps;
  bool variable = false;            // some field's length is read from each record
  std::size_t min_record_size = 0;  // the record size when no field is variable; those count one byte
  bool options = false;             // options data updates exporter state, it is no flow
  std::uint64_t present = 0;        // the elements its records carry (FlowRecord::present)
};

// Adds the step that decodes field `i` of element `t`: a copy into the
// member that takes the element as it is, or apply() for the others.
void add_step(Steps& s, Target t, std::uint16_t i) {
  using F = FlowRecord;
  switch (t) {
    case Target::skip: return;
    case Target::bytes: return s.u64s.push_back({i, &F::bytes});
    case Target::packets: return s.u64s.push_back({i, &F::packets});
    case Target::reverse_bytes: return s.u64s.push_back({i, &F::reverse_bytes});
    case Target::reverse_packets: return s.u64s.push_back({i, &F::reverse_packets});
    case Target::proto: return s.u8s.push_back({i, &F::proto});
    case Target::tos: return s.u8s.push_back({i, &F::tos});
    case Target::dst_tos: return s.u8s.push_back({i, &F::dst_tos});
    // IPFIX's 2-byte form of TCP flags: the low byte holds them.
    case Target::tcp_flags: return s.u8s.push_back({i, &F::tcp_flags});
    case Target::src_port: return s.u16s.push_back({i, &F::src_port});
    case Target::dst_port: return s.u16s.push_back({i, &F::dst_port});
    case Target::src_addr: return s.addresses.push_back({i, &F::src_addr});
    case Target::dst_addr: return s.addresses.push_back({i, &F::dst_addr});
    // An IPv6 next hop of :: stays ::, an IPv4 one of 0.0.0.0 IPv4: the
    // template says the exporter sent one (presence), nfdump prints its family.
    case Target::next_hop: return s.addresses.push_back({i, &F::next_hop});
    case Target::bgp_next_hop: return s.addresses.push_back({i, &F::bgp_next_hop});
    case Target::src_mask: return s.u8s.push_back({i, &F::src_mask});
    case Target::dst_mask: return s.u8s.push_back({i, &F::dst_mask});
    case Target::in_if: return s.u32s.push_back({i, &F::in_if});
    case Target::out_if: return s.u32s.push_back({i, &F::out_if});
    case Target::src_as: return s.u32s.push_back({i, &F::src_as});
    case Target::dst_as: return s.u32s.push_back({i, &F::dst_as});
    case Target::engine_type: return s.u8s.push_back({i, &F::engine_type});
    case Target::engine_id: return s.u8s.push_back({i, &F::engine_id});
    case Target::direction: return s.u8s.push_back({i, &F::direction});
    case Target::fwd_status: return s.u8s.push_back({i, &F::fwd_status});
    case Target::end_reason: return s.u8s.push_back({i, &F::end_reason});
    case Target::biflow_direction: return s.u8s.push_back({i, &F::biflow_direction});
    default: return s.applied.push_back({i, t});
  }
}

// The steps for fields of these elements, each field's last.
Steps compile(const std::vector<Target>& targets) {
  Steps s;
  std::bitset<target_count> seen;
  for (std::size_t i = targets.size(); i-- > 0;) {
    const auto t = static_cast<std::size_t>(targets[i]);
    if (seen[t]) continue;
    seen[t] = true;
    add_step(s, targets[i], static_cast<std::uint16_t>(i));
  }
  std::reverse(s.applied.begin(), s.applied.end());
  return s;
}

// One record's values before they become a FlowRecord or an exporter setting:
// some elements only mean something together (times, sampling, ICMP). The
// flow is filled where it will stay (the output's last record): building a
// 320-byte record aside and copying it cost a third of a v9 record's time.
struct Values {
  explicit Values(FlowRecord& f) : flow(f) {}
  FlowRecord& flow;
  std::optional<std::uint32_t> first_uptime, last_uptime;
  std::optional<std::uint64_t> first_abs_ms, last_abs_ms, system_init_ms, duration_ms;
  std::optional<std::uint16_t> icmp_type_code;
  std::optional<std::uint8_t> icmp_type, icmp_code;
  std::optional<std::uint64_t> sampling_interval, packet_interval, packet_space, sampler_id;
};

// An NTP timestamp (seconds since 1900 and a binary fraction, RFC 7011's
// dateTimeMicroseconds/Nanoseconds) to ms since the Unix epoch.
std::uint64_t ntp_to_ms(std::uint64_t ntp) {
  constexpr std::uint64_t unix_epoch_in_ntp = 2'208'988'800;
  const std::uint64_t seconds = ntp >> 32;
  const std::uint64_t ms = ((ntp & 0xffff'ffff) * 1000) >> 32;
  return seconds >= unix_epoch_in_ntp ? (seconds - unix_epoch_in_ntp) * 1000 + ms : 0;
}

// Sets `a` to the IPv4-mapped form of the 4 address bytes at `wire`, which
// are in network order already. Written in place in three stores: assigning
// IpAddress::v4's byte-by-byte result stalls on the copy (see decode_fixed).
void set_v4(IpAddress& a, const std::uint8_t* wire) {
  constexpr std::uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::memcpy(a.bytes.data(), mapped_prefix, sizeof mapped_prefix);
  std::memcpy(a.bytes.data() + sizeof mapped_prefix, wire, 4);
}

// An address field: IPv4, IPv6, or of another length, which says nothing.
void set_address(IpAddress& a, const std::uint8_t* p, std::size_t length) {
  if (length == 4)
    set_v4(a, p);
  else if (length == 16)
    std::memcpy(a.bytes.data(), p, 16);
  else
    a = IpAddress{};
}

void apply(Target t, const std::uint8_t* p, std::size_t length, Values& v) {
  const auto u = [&] { return load_uint(p, length); };
  const auto u8 = [&] { return static_cast<std::uint8_t>(load_uint(p, length)); };
  const auto u16 = [&] { return static_cast<std::uint16_t>(load_uint(p, length)); };
  const auto u32 = [&] { return static_cast<std::uint32_t>(load_uint(p, length)); };
  switch (t) {
    case Target::flows: v.flow.flows = std::max<std::uint64_t>(u(), 1); break;  // 0 reads as 1, as in nfdump
    case Target::first_uptime: v.first_uptime = u32(); break;
    case Target::last_uptime: v.last_uptime = u32(); break;
    case Target::first_seconds: v.first_abs_ms = u() * 1000; break;
    case Target::last_seconds: v.last_abs_ms = u() * 1000; break;
    case Target::first_ms: v.first_abs_ms = u(); break;
    case Target::last_ms: v.last_abs_ms = u(); break;
    case Target::first_ntp: v.first_abs_ms = ntp_to_ms(u()); break;
    case Target::last_ntp: v.last_abs_ms = ntp_to_ms(u()); break;
    case Target::duration_ms: v.duration_ms = u(); break;
    case Target::system_init_ms: v.system_init_ms = u(); break;
    case Target::icmp_type_code: v.icmp_type_code = u16(); break;
    case Target::icmp_type: v.icmp_type = u8(); break;
    case Target::icmp_code: v.icmp_code = u8(); break;
    case Target::sampling_interval: v.sampling_interval = u(); break;
    case Target::sampling_packet_interval: v.packet_interval = u(); break;
    case Target::sampling_packet_space: v.packet_space = u(); break;
    case Target::sampler_id: v.sampler_id = u(); break;
    default: break;  // copies (add_step)
  }
}

template <class T>
void copy_all(const std::vector<Copy<T>>& copies, const std::uint8_t* record, const FieldSpan* fields, FlowRecord& f) {
  for (const Copy<T>& c : copies) {
    const FieldSpan& s = fields[c.field];
    f.*c.member = static_cast<T>(load_uint_ending_at(record + s.end, s.length));
  }
}

// Decodes a record whose fields lie at `fields`.
void run(const Steps& steps, const std::uint8_t* record, const FieldSpan* fields, Values& v) {
  copy_all(steps.u8s, record, fields, v.flow);
  copy_all(steps.u16s, record, fields, v.flow);
  copy_all(steps.u32s, record, fields, v.flow);
  copy_all(steps.u64s, record, fields, v.flow);
  for (const Copy<IpAddress>& c : steps.addresses) {
    const FieldSpan& s = fields[c.field];
    set_address(v.flow.*c.member, record + s.end - s.length, s.length);
  }
  for (const Applied& a : steps.applied) {
    const FieldSpan& s = fields[a.field];
    apply(a.target, record + s.end - s.length, s.length, v);
  }
}

// Where the fields of a record of a template with variable-length fields
// lie (RFC 7011 7: one length byte, or 255 and two length bytes), and the
// record's size; nothing when it runs past `size`.
std::optional<std::size_t> measure(const Template& t, const std::uint8_t* record, std::size_t size,
                                   std::vector<FieldSpan>& fields) {
  fields.resize(t.fields.size());
  std::size_t at = 0;
  for (std::size_t i = 0; i < t.fields.size(); ++i) {
    std::size_t length = t.fields[i].length;
    if (length == variable_length) {
      if (at >= size) return std::nullopt;
      length = record[at++];
      if (length == 255) {
        if (size - at < 2) return std::nullopt;
        length = load16(record + at);
        at += 2;
      }
    }
    if (length > size - at) return std::nullopt;
    at += length;
    // A set is at most 65535 bytes long, and so is each record in it.
    fields[i] = {static_cast<std::uint16_t>(at), static_cast<std::uint16_t>(length)};
  }
  return at;
}

// 1 in N: from samplingInterval (or v9's random interval), or from RFC 5476's
// packet interval (sampled) and packet space (skipped).
std::optional<std::uint32_t> sampling_of(const Values& v) {
  std::uint64_t n = 0;
  if (v.sampling_interval)
    n = *v.sampling_interval;
  else if (v.packet_interval && *v.packet_interval > 0)
    n = (*v.packet_interval + v.packet_space.value_or(0)) / *v.packet_interval;
  else
    return std::nullopt;
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(n, 1, 0xffff'ffff));
}

// Uptime-relative times, as nfdump places them: a first time above the last
// one means the 32-bit millisecond clock wrapped in between.
std::uint64_t uptime_first(std::int64_t boot_ms, std::uint32_t first, std::uint32_t last) {
  const std::int64_t wrap = first > last ? 0x1'0000'0000LL : 0;
  return static_cast<std::uint64_t>(boot_ms - wrap + first);
}

// The fixed-record versions share one decoder: v5, and its relatives v1 (no
// sequence number, no AS or masks, flags elsewhere) and v7 (Catalyst: no
// engine or sampling, longer records). v1 allows 30 records as v5 does:
// Cisco sent at most 24, but softflowd sends 29.
struct FixedLayout {
  std::uint16_t version;
  std::size_t header_size;
  std::size_t record_size;
  std::size_t max_records;
  std::size_t tcp_flags_at;
  bool has_sequence;
  bool has_as_and_masks;
  bool has_engine_and_sampling;
  std::uint64_t present;  // what every record of the version carries
};

constexpr FixedLayout v1_layout{1, 16, 48, v5_max_records, 40, false, false, false, v1_present};
constexpr FixedLayout v5_layout{5, v5_header_size, v5_record_size, v5_max_records, 37, true, true, true, v5_present};
constexpr FixedLayout v7_layout{7, v5_header_size, 52, v5_max_records, 37, true, true, false, v7_present};

struct ExporterKey {
  IpAddress address;
  std::uint16_t version = 0;
  std::uint32_t domain = 0;
  friend bool operator==(const ExporterKey&, const ExporterKey&) = default;
};

struct ExporterKeyHash {
  std::size_t operator()(const ExporterKey& k) const noexcept {
    return net::hash(k.address, std::uint64_t{k.version} << 32 | k.domain);
  }
};

struct Exporter {
  ExporterStats stats;
  std::unordered_map<std::uint16_t, Template> templates;
  // Sequence tracking: the number the next datagram should carry.
  bool sequence_known = false;
  std::uint32_t expected_sequence = 0;
  // Sampling announced in options data: per sampler id, and for the exporter.
  std::unordered_map<std::uint64_t, std::uint32_t> samplers;
  std::uint32_t sampling = 1;
  bool sampling_announced = false;              // `sampling` came from options data
  std::optional<std::uint64_t> system_init_ms;  // IPFIX: base of uptime-relative times

  void count(Malformed m) { ++stats.malformed[static_cast<std::size_t>(m)]; }

  // Compares with the expected number, then expects `sequence + advance` next.
  void track_sequence(std::uint32_t sequence, std::uint32_t advance) {
    if (sequence_known && sequence != expected_sequence) {
      ++stats.sequence_errors;
      const std::uint32_t gap = sequence - expected_sequence;
      if (gap < 0x8000'0000u) stats.lost += gap;  // a backwards jump is a restart or reordering, not loss
    }
    expected_sequence = sequence + advance;
    sequence_known = true;
  }
};

}  // namespace

std::string_view malformed_name(Malformed reason) noexcept {
  switch (reason) {
    case Malformed::truncated: return "truncated";
    case Malformed::count_overrun: return "count overrun";
    case Malformed::unknown_version: return "unknown version";
    case Malformed::bad_set: return "bad set";
    case Malformed::bad_template: return "bad template";
    case Malformed::template_limit: return "template limit";
  }
  return "?";
}

std::uint64_t ExporterStats::malformed_total() const noexcept {
  std::uint64_t n = 0;
  for (auto m : malformed) n += m;
  return n;
}

struct Decoder::State {
  explicit State(DecoderLimits l)
      : limits(l), exporters(l.max_exporters, l.exporter_idle_ms, [this](auto& e) { forget(e.value); }) {}

  DecoderLimits limits;
  net::SenderTable<ExporterKey, Exporter, ExporterKeyHash> exporters;
  std::size_t templates = 0;  // over all exporters

  Exporter& exporter(const IpAddress& address, std::uint16_t version, std::uint32_t domain, std::uint64_t now_ms) {
    bool created = false;
    auto& entry = exporters.find(ExporterKey{address, version, domain}, now_ms, created);
    Exporter& e = entry.value;
    if (created) {
      e.stats.address = address;
      e.stats.version = version;
      e.stats.domain = domain;
      e.stats.first_seen_ms = now_ms;
    }
    e.stats.last_seen_ms = entry.last_seen_ms;
    return e;
  }
  void forget(const Exporter& e) { templates -= e.templates.size(); }

  void decode_fixed(const FixedLayout& layout, const IpAddress& from, std::span<const std::uint8_t> d,
                    std::uint64_t received_ms, std::vector<FlowRecord>& out);
  void decode_templated(const IpAddress& from, std::span<const std::uint8_t> d, std::uint64_t received_ms,
                        std::vector<FlowRecord>& out);
  void read_templates(Exporter& e, bool ipfix, bool options, const std::uint8_t* p, std::size_t size);
  std::optional<Template> parse_template(Exporter& e, bool ipfix, bool options, std::uint16_t second,
                                         const std::uint8_t* p, std::size_t size, std::size_t& at) const;
  void withdraw(Exporter& e, bool options, std::uint16_t id);
  void keep(Exporter& e, std::uint16_t id, Template&& t);
  std::uint32_t read_data(Exporter& e, const Template& t, const FlowRecord& blank,
                          std::optional<std::int64_t> v9_boot_ms, const std::uint8_t* p, std::size_t size,
                          std::vector<FlowRecord>& out);
  std::vector<FieldSpan> measured;  // a variable-length record's fields (read_data)
  void note_options(Exporter& e, const Values& v) const;
  static void finish_flow(const Exporter& e, Values& v, std::optional<std::int64_t> v9_boot_ms);
};

Decoder::Decoder(DecoderLimits limits) : state_(std::make_unique<State>(limits)) {}
Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

std::uint64_t Decoder::evicted_exporters() const noexcept { return state_->exporters.evicted(); }

void Decoder::forget_idle(std::uint64_t now_ms) { state_->exporters.expire(now_ms); }

std::vector<ExporterStats> Decoder::exporters() const {
  std::vector<ExporterStats> all;
  all.reserve(state_->exporters.size());
  for (const auto& entry : state_->exporters) {
    all.push_back(entry.value.stats);
    all.back().templates = entry.value.templates.size();
  }
  std::sort(all.begin(), all.end(), [](const ExporterStats& a, const ExporterStats& b) {
    return std::tie(a.address.bytes, a.version, a.domain) < std::tie(b.address.bytes, b.version, b.domain);
  });
  return all;
}

void Decoder::decode(const IpAddress& from, std::span<const std::uint8_t> d, std::uint64_t received_ms,
                     std::vector<FlowRecord>& out) {
  const std::uint16_t version = d.size() >= 2 ? load16(d.data()) : 0;
  switch (version) {
    case 1: return state_->decode_fixed(v1_layout, from, d, received_ms, out);
    case 5: return state_->decode_fixed(v5_layout, from, d, received_ms, out);
    case 7: return state_->decode_fixed(v7_layout, from, d, received_ms, out);
    case 9:
    case 10: return state_->decode_templated(from, d, received_ms, out);
    default:
      Exporter& e = state_->exporter(from, 0, 0, received_ms);
      ++e.stats.datagrams;
      e.count(d.size() < 2 ? Malformed::truncated : Malformed::unknown_version);
  }
}

void Decoder::State::decode_fixed(const FixedLayout& layout, const IpAddress& from, std::span<const std::uint8_t> d,
                                  std::uint64_t received_ms, std::vector<FlowRecord>& out) {
  const std::uint8_t* h = d.data();
  const bool whole_header = d.size() >= layout.header_size;
  const std::uint32_t engine_tag = whole_header && layout.has_engine_and_sampling ? load16(h + 20) : 0;
  Exporter* e = &exporter(from, layout.version, engine_tag, received_ms);
  ++e->stats.datagrams;
  if (!whole_header) return e->count(Malformed::truncated);
  const std::size_t count = load16(h + 2);
  if (count > layout.max_records || layout.header_size + count * layout.record_size > d.size())
    return e->count(Malformed::count_overrun);

  if (layout.has_sequence) e->track_sequence(load32(h + 16), static_cast<std::uint32_t>(count));
  const std::uint32_t uptime = load32(h + 4);
  const std::int64_t boot_ms = std::int64_t{load32(h + 8)} * 1000 + load32(h + 12) / 1'000'000 - std::int64_t{uptime};

  FlowRecord blank;
  blank.exporter = from;
  blank.received_ms = received_ms;
  blank.observation_domain = engine_tag;
  blank.export_version = layout.version == 7 ? 5 : static_cast<std::uint8_t>(layout.version);  // as nfcapd says v7
  blank.present = layout.present;
  if (layout.has_engine_and_sampling) {
    blank.engine_type = h[20];
    blank.engine_id = h[21];
    const std::uint16_t sampling = load16(h + 22) & 0x3fff;
    blank.sampling_interval = sampling > 1 ? sampling : 1;
  }

  // Each record is filled in place, field by field: one built aside and
  // copied in whole would be read back in wide loads right after its narrow
  // stores, which stalls the CPU (the loads wait for the stores to reach the
  // cache).
  const std::uint8_t* p = h + layout.header_size;
  for (std::size_t i = 0; i < count; ++i, p += layout.record_size) {
    FlowRecord& r = out.emplace_back(blank);
    set_v4(r.src_addr, p);
    set_v4(r.dst_addr, p + 4);
    set_v4(r.next_hop, p + 8);
    r.in_if = load16(p + 12);
    r.out_if = load16(p + 14);
    r.packets = load32(p + 16);
    r.bytes = load32(p + 20);
    const std::uint32_t first = load32(p + 24);
    const std::uint32_t last = load32(p + 28);
    std::int64_t first_ms = static_cast<std::int64_t>(uptime_first(boot_ms, first, last));
    std::int64_t last_ms = boot_ms + last;
    // The clock wrapped after the flow ended but before the export (Cisco
    // bug CSCei12353; nfdump corrects it the same way).
    if (last > uptime && last - uptime > 100'000) {
      first_ms -= 0x1'0000'0000LL;
      last_ms -= 0x1'0000'0000LL;
    }
    r.first_ms = static_cast<std::uint64_t>(first_ms);
    r.last_ms = static_cast<std::uint64_t>(last_ms);
    r.src_port = load16(p + 32);
    r.dst_port = load16(p + 34);
    r.tcp_flags = p[layout.tcp_flags_at];
    r.proto = p[38];
    r.tos = p[39];
    if (layout.has_as_and_masks) {
      r.src_as = load16(p + 40);
      r.dst_as = load16(p + 42);
      r.src_mask = p[44];
      r.dst_mask = p[45];
    }
  }
  e->stats.records += count;
}

void Decoder::State::decode_templated(const IpAddress& from, std::span<const std::uint8_t> d, std::uint64_t received_ms,
                                      std::vector<FlowRecord>& out) {
  const bool ipfix = load16(d.data()) == 10;
  const std::size_t header_size = ipfix ? ipfix_header_size : v9_header_size;
  const std::uint8_t* h = d.data();
  const std::uint32_t domain = d.size() >= header_size ? load32(h + header_size - 4) : 0;
  Exporter* e = &exporter(from, ipfix ? 10 : 9, domain, received_ms);
  ++e->stats.datagrams;
  if (d.size() < header_size) return e->count(Malformed::truncated);

  std::size_t size = d.size();
  if (ipfix) {
    const std::size_t length = load16(h + 2);
    if (length < header_size || length > size) return e->count(Malformed::truncated);
    size = length;  // bytes after the message are not part of it
  }
  const std::uint32_t sequence = load32(h + (ipfix ? 8 : 12));
  // v9 times are relative to the exporter's boot, which the header gives in
  // whole seconds minus uptime.
  std::optional<std::int64_t> v9_boot_ms;
  if (!ipfix) v9_boot_ms = std::int64_t{load32(h + 8)} * 1000 - std::int64_t{load32(h + 4)};

  FlowRecord blank;
  blank.exporter = from;
  blank.received_ms = received_ms;
  blank.observation_domain = domain;
  blank.export_version = ipfix ? 10 : 9;
  // v9 names the engine in the source id (see finish_flow).
  blank.present = collector_present | (ipfix ? 0 : FlowRecord::bit(Element::engine));

  std::uint32_t data_records = 0;
  std::size_t at = header_size;
  while (size - at >= set_header_size) {
    const std::uint16_t set_id = load16(h + at);
    const std::size_t set_size = load16(h + at + 2);
    if (set_size < set_header_size) {
      e->count(Malformed::bad_set);
      break;  // the next set's position is unknown
    }
    if (set_size > size - at) {
      e->count(Malformed::truncated);
      break;
    }
    const std::uint8_t* body = h + at + set_header_size;
    const std::size_t body_size = set_size - set_header_size;
    at += set_size;

    const std::uint16_t template_set = ipfix ? ipfix_template_set : v9_template_set;
    const std::uint16_t options_set = ipfix ? ipfix_options_template_set : v9_options_template_set;
    if (set_id == template_set || set_id == options_set) {
      read_templates(*e, ipfix, set_id == options_set, body, body_size);
    } else if (set_id < first_data_set) {
      e->count(Malformed::bad_set);
    } else if (auto t = e->templates.find(set_id); t == e->templates.end()) {
      ++e->stats.sets_without_template;
    } else {
      data_records += read_data(*e, t->second, blank, v9_boot_ms, body, body_size, out);
    }
  }
  // v9 counts datagrams. IPFIX counts data records; as in nfcapd, an
  // exporter's numbering is only checked once its data could be counted.
  if (!ipfix)
    e->track_sequence(sequence, 1);
  else if (data_records > 0 || e->sequence_known)
    e->track_sequence(sequence, data_records);
}

void Decoder::State::read_templates(Exporter& e, bool ipfix, bool options, const std::uint8_t* p, std::size_t size) {
  std::size_t at = 0;
  while (size - at >= 4) {
    const std::uint16_t id = load16(p + at);
    const std::uint16_t second = load16(p + at + 2);  // field count, or v9 options' scope length
    if (id == 0 && second == 0) return;               // padding
    at += 4;
    if (ipfix && second == 0) {
      if (id != (options ? ipfix_options_template_set : ipfix_template_set) && id < first_data_set)
        return e.count(Malformed::bad_template);
      withdraw(e, options, id);
      continue;
    }
    if (id < first_data_set) return e.count(Malformed::bad_template);
    auto t = parse_template(e, ipfix, options, second, p, size, at);
    if (!t) return;  // counted: a set that goes wrong is not read further
    keep(e, id, std::move(*t));
  }
}

// Withdrawal (RFC 7011 8.1), without a scope count even in an options
// template set: one template, or all of the set's kind when the id is the
// set id.
void Decoder::State::withdraw(Exporter& e, bool options, std::uint16_t id) {
  if (id == ipfix_template_set || id == ipfix_options_template_set)
    templates -= std::erase_if(e.templates, [&](const auto& t) { return t.second.options == options; });
  else
    templates -= e.templates.erase(id);
}

// The template whose field count (`second`) was just read, from p[at]:
// fields, lengths and targets, checked before anything is allocated.
std::optional<Template> Decoder::State::parse_template(Exporter& e, bool ipfix, bool options, std::uint16_t second,
                                                       const std::uint8_t* p, std::size_t size, std::size_t& at) const {
  const auto bad = [&] {
    e.count(Malformed::bad_template);
    return std::nullopt;
  };
  // v9 options templates give scope and option lengths in bytes; IPFIX
  // gives a field count and a scope field count.
  std::size_t field_count = second;
  std::size_t scope_count = 0;
  if (options) {
    if (size - at < 2) return bad();
    const std::uint16_t third = load16(p + at);
    at += 2;
    if (ipfix) {
      scope_count = third;
      if (scope_count == 0 || scope_count > field_count) return bad();
    } else {
      if (second % 4 != 0 || third % 4 != 0) return bad();
      scope_count = second / 4;
      field_count = scope_count + third / 4;
    }
  }
  if (field_count == 0) return bad();  // v9 has no withdrawal
  // Each field takes at least four bytes: check before allocating.
  if (field_count > (size - at) / 4 || field_count > limits.max_fields_per_template) return bad();

  Template t;
  t.options = options;
  t.fields.reserve(field_count);
  std::vector<Target> targets;
  targets.reserve(field_count);
  for (std::size_t i = 0; i < field_count; ++i) {
    if (size - at < 4) return bad();
    std::uint16_t type = load16(p + at);
    const std::uint16_t length = load16(p + at + 2);
    at += 4;
    std::uint32_t enterprise = 0;
    if (ipfix && (type & enterprise_bit)) {
      if (size - at < 4) return bad();
      enterprise = load32(p + at);
      at += 4;
      type &= static_cast<std::uint16_t>(~enterprise_bit);
    }
    const bool variable = ipfix && length == variable_length;
    if (length == 0 || (!ipfix && length == variable_length)) return bad();
    // v9 scope fields have their own type numbers (system, interface...).
    const bool v9_scope = !ipfix && i < scope_count;
    const Target target = v9_scope ? Target::skip : target_of(type, enterprise);
    targets.push_back(target);
    t.present |= presence_of(target);
    t.variable |= variable;
    t.min_record_size += variable ? 1 : length;
    t.fields.push_back({static_cast<std::uint16_t>(t.min_record_size), length});
  }
  if (t.min_record_size > 0xffff) return bad();
  t.steps = compile(targets);
  return t;
}

// A template replaces one of its id, or is added within the limits.
void Decoder::State::keep(Exporter& e, std::uint16_t id, Template&& t) {
  if (auto existing = e.templates.find(id); existing != e.templates.end()) {
    existing->second = std::move(t);
  } else if (e.templates.size() < limits.max_templates_per_exporter && templates < limits.max_templates) {
    e.templates.emplace(id, std::move(t));
    ++templates;
  } else {
    e.count(Malformed::template_limit);
  }
}

std::uint32_t Decoder::State::read_data(Exporter& e, const Template& t, const FlowRecord& blank,
                                        std::optional<std::int64_t> v9_boot_ms, const std::uint8_t* p, std::size_t size,
                                        std::vector<FlowRecord>& out) {
  std::uint32_t records = 0;
  FlowRecord options_record;  // what an options record's values fill: no flow
  std::size_t at = 0;
  // Fewer bytes than the smallest record are padding.
  while (size - at >= t.min_record_size) {
    const std::uint8_t* record = p + at;
    const FieldSpan* fields = t.fields.data();
    std::size_t record_size = t.min_record_size;
    if (t.variable) {
      const auto measured_size = measure(t, record, size - at, measured);
      if (!measured_size) {
        e.count(Malformed::truncated);
        return records;
      }
      fields = measured.data();
      record_size = *measured_size;
    }
    at += record_size;
    FlowRecord& flow = t.options ? options_record : out.emplace_back(blank);
    flow.present |= t.present;
    Values v(flow);
    run(t.steps, record, fields, v);
    ++records;
    if (t.options) {
      note_options(e, v);
    } else {
      finish_flow(e, v, v9_boot_ms);
      ++e.stats.records;
    }
  }
  return records;
}

// Options data: the exporter's sampling (per sampler id) and boot time.
void Decoder::State::note_options(Exporter& e, const Values& v) const {
  if (auto n = sampling_of(v)) {
    if (!v.sampler_id) {
      e.sampling = *n;
      e.sampling_announced = true;
    } else if (e.samplers.size() < limits.max_samplers_per_exporter || e.samplers.contains(*v.sampler_id))
      e.samplers[*v.sampler_id] = *n;
  }
  if (v.system_init_ms) e.system_init_ms = v.system_init_ms;
}

// A data record's values completing its flow: times from whichever clock it used,
// ICMP type and code, v9's engine, the sampling that applies.
void Decoder::State::finish_flow(const Exporter& e, Values& v, std::optional<std::int64_t> v9_boot_ms) {
  FlowRecord& r = v.flow;
  if (v.first_abs_ms || v.last_abs_ms) {
    r.first_ms = v.first_abs_ms.value_or(0);
    r.last_ms = v.last_abs_ms.value_or(r.first_ms + v.duration_ms.value_or(0));
  } else if (v.first_uptime || v.last_uptime) {
    // v9: the header's boot time; IPFIX: systemInitTimeMilliseconds from
    // the record or from options data.
    const std::int64_t base =
        v9_boot_ms ? *v9_boot_ms : static_cast<std::int64_t>(v.system_init_ms.value_or(e.system_init_ms.value_or(0)));
    const std::uint32_t first = v.first_uptime.value_or(0), last = v.last_uptime.value_or(first);
    r.first_ms = uptime_first(base, first, last);
    r.last_ms = static_cast<std::uint64_t>(base + last);
  }
  if (r.proto == proto_icmp || r.proto == proto_icmpv6) {
    if (v.icmp_type_code)
      r.dst_port = *v.icmp_type_code;
    else if (v.icmp_type || v.icmp_code)
      r.dst_port = static_cast<std::uint16_t>(v.icmp_type.value_or(0) << 8 | v.icmp_code.value_or(0));
  }
  // v9 exporters name their engine in the source id unless the record says
  // otherwise (nfdump reads it so too): a record's engine of 0 says nothing.
  if (e.stats.version == 9) {
    if (r.engine_type == 0) r.engine_type = static_cast<std::uint8_t>(r.observation_domain >> 8);
    if (r.engine_id == 0) r.engine_id = static_cast<std::uint8_t>(r.observation_domain);
  }
  if (auto n = sampling_of(v)) {
    r.sampling_interval = *n;
  } else if (auto s = v.sampler_id ? e.samplers.find(*v.sampler_id) : e.samplers.end(); s != e.samplers.end()) {
    r.sampling_interval = s->second;
    r.set_present(Element::sampling);
  } else {
    r.sampling_interval = e.sampling;
    if (e.sampling_announced) r.set_present(Element::sampling);
  }
}

}  // namespace sluice::netflow
