#include "sluice/netflow/encoder.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "wire.h"

namespace sluice::netflow {
namespace {

using namespace wire;

constexpr std::uint16_t ipv4_template_id = 256;
constexpr std::uint16_t ipv6_template_id = 257;

// v5/v9 carry times as 32-bit ms since the exporter booted. A stream boots this
// long before the first flow it sees, so flows that arrive a little out of
// order still fall after its boot time.
constexpr std::uint64_t boot_margin_ms = 3'600'000;
constexpr std::uint64_t uptime_limit_ms = 0xffff'ffffULL - boot_margin_ms;

// v5/v9 headers say when the datagram left: normally now. Flows of another
// day (a replay) or of the future are sent as if exported shortly after the
// first of them ended, so that their times fit the uptime clock and no flow
// seems to end after its export (which collectors read as a clock wrap).
constexpr std::uint64_t replay_export_delay_ms = 60'000;

std::uint64_t export_time_for(const FlowRecord& head, std::uint64_t now_ms) {
  if (now_ms >= head.last_ms && now_ms - std::min(head.first_ms, now_ms) <= uptime_limit_ms) return now_ms;
  return head.last_ms + replay_export_delay_ms;
}

// Whether `r` fits a v5/v9 datagram exported at `export_ms` by a stream
// booted at `boot_ms`.
bool fits_uptime(const FlowRecord& r, std::uint64_t boot_ms, std::uint64_t export_ms) {
  return r.first_ms >= boot_ms && r.last_ms <= export_ms && r.last_ms - boot_ms <= uptime_limit_ms;
}

bool is_icmp(const FlowRecord& r) { return r.proto == proto_icmp || r.proto == proto_icmpv6; }

std::uint32_t v5_engine_tag(const FlowRecord& r) { return std::uint32_t{r.engine_type} << 8 | r.engine_id; }

std::uint32_t stream_key(Version v, const FlowRecord& r) {
  return v == Version::v5 ? v5_engine_tag(r) : r.observation_domain;
}

std::uint16_t v5_sampling_field(std::uint32_t interval) {
  // Two bits of mode (01: one packet in N) and fourteen bits of N.
  if (interval <= 1) return 0;
  return static_cast<std::uint16_t>(0x4000 | std::min<std::uint32_t>(interval, 0x3fff));
}

std::uint16_t v5_uint16(std::uint32_t v) { return static_cast<std::uint16_t>(std::min<std::uint32_t>(v, 0xffff)); }
std::uint16_t v5_as(std::uint32_t as) { return as > 0xffff ? as_trans : static_cast<std::uint16_t>(as); }
std::uint32_t v5_uint32(std::uint64_t v) { return static_cast<std::uint32_t>(std::min<std::uint64_t>(v, 0xffff'ffff)); }

// What a record of sluice's templates carries (presence bits), as decoded.
constexpr std::uint64_t templated_present =
    collector_present | bits({Element::next_hop, Element::src_mask, Element::dst_mask, Element::dst_tos,
                              Element::direction, Element::engine, Element::in_if, Element::out_if, Element::src_as,
                              Element::dst_as, Element::sampling, Element::reverse_counters});

// The templates are built from parts so that each element appears once:
// time fields differ by version, address fields by family.
std::vector<TemplateField> build_template(Version version, bool ipv6) {
  std::vector<TemplateField> t;
  if (version == Version::ipfix)
    t.insert(t.end(), {{ie::start_ms, 8}, {ie::end_ms, 8}});
  else
    t.insert(t.end(), {{ie::first_uptime, 4}, {ie::last_uptime, 4}});
  if (ipv6)
    t.insert(t.end(), {{ie::src_ipv6, 16},
                       {ie::dst_ipv6, 16},
                       {ie::next_hop_ipv6, 16},
                       {ie::src_mask_ipv6, 1},
                       {ie::dst_mask_ipv6, 1}});
  else
    t.insert(t.end(),
             {{ie::src_ipv4, 4}, {ie::dst_ipv4, 4}, {ie::next_hop_ipv4, 4}, {ie::src_mask, 1}, {ie::dst_mask, 1}});
  // ICMP type/code goes before the destination port: nfdump stores both in
  // one place, so the port, written last, is what it keeps for other protocols.
  const auto icmp = version == Version::ipfix && ipv6 ? ie::icmp_type_code_ipv6 : ie::icmp_type_code;
  t.insert(t.end(), {{icmp, 2},
                     {ie::src_port, 2},
                     {ie::dst_port, 2},
                     {ie::protocol, 1},
                     {ie::tcp_flags, 1},
                     {ie::tos, 1},
                     {ie::dst_tos, 1},
                     {ie::direction, 1},
                     {ie::fwd_status, 1},
                     {ie::engine_type, 1},
                     {ie::engine_id, 1},
                     {ie::input_if, 4},
                     {ie::output_if, 4},
                     {ie::src_as, 4},
                     {ie::dst_as, 4},
                     {ie::sampling_interval, 4},
                     {ie::packets, 8},
                     {ie::octets, 8}});
  // Reverse counters: v9 has only the "out" counters; IPFIX has RFC 5103.
  if (version == Version::ipfix)
    t.insert(t.end(), {{ie::packets, 8, true}, {ie::octets, 8, true}});
  else
    t.insert(t.end(), {{ie::out_packets, 8}, {ie::out_octets, 8}});
  return t;
}

std::size_t record_size(const std::vector<TemplateField>& t) {
  std::size_t n = 0;
  for (const auto& f : t) n += f.length;
  return n;
}

std::size_t template_record_size(const std::vector<TemplateField>& t) {
  std::size_t n = 4;                               // template id, field count
  for (const auto& f : t) n += f.reverse ? 8 : 4;  // id, length [, enterprise number]
  return n;
}

void put_address(std::uint8_t* p, std::size_t length, const IpAddress& a) {
  if (length == 16)
    std::memcpy(p, a.bytes.data(), 16);
  else
    store32(p, a.is_v4() ? a.v4_value() : 0);
}

void put_field(std::uint8_t* p, const TemplateField& f, const FlowRecord& r, std::uint64_t boot_ms) {
  std::uint64_t v = 0;
  switch (f.id) {
    case ie::start_ms: v = r.first_ms; break;
    case ie::end_ms: v = r.last_ms; break;
    case ie::first_uptime: v = r.first_ms - boot_ms; break;
    case ie::last_uptime: v = r.last_ms - boot_ms; break;
    case ie::src_ipv4:
    case ie::src_ipv6: return put_address(p, f.length, r.src_addr);
    case ie::dst_ipv4:
    case ie::dst_ipv6: return put_address(p, f.length, r.dst_addr);
    case ie::next_hop_ipv4:
    case ie::next_hop_ipv6: return put_address(p, f.length, r.next_hop);
    case ie::src_mask:
    case ie::src_mask_ipv6: v = r.src_mask; break;
    case ie::dst_mask:
    case ie::dst_mask_ipv6: v = r.dst_mask; break;
    case ie::src_port: v = r.src_port; break;
    case ie::dst_port: v = r.dst_port; break;
    case ie::icmp_type_code:
    case ie::icmp_type_code_ipv6: v = is_icmp(r) ? r.dst_port : 0; break;
    case ie::protocol: v = r.proto; break;
    case ie::tcp_flags: v = r.tcp_flags; break;
    case ie::tos: v = r.tos; break;
    case ie::dst_tos: v = r.dst_tos; break;
    case ie::direction: v = r.direction; break;
    case ie::fwd_status: v = r.fwd_status; break;
    case ie::engine_type: v = r.engine_type; break;
    case ie::engine_id: v = r.engine_id; break;
    case ie::input_if: v = r.in_if; break;
    case ie::output_if: v = r.out_if; break;
    case ie::src_as: v = r.src_as; break;
    case ie::dst_as: v = r.dst_as; break;
    case ie::sampling_interval: v = r.sampling_interval; break;
    case ie::packets: v = f.reverse ? r.reverse_packets : r.packets; break;
    case ie::octets: v = f.reverse ? r.reverse_bytes : r.bytes; break;
    case ie::out_packets: v = r.reverse_packets; break;
    case ie::out_octets: v = r.reverse_bytes; break;
  }
  store_uint(p, f.length, v);
}

// Writes one template record; returns its size.
std::size_t put_template(std::uint8_t* p, std::uint16_t id, const std::vector<TemplateField>& t) {
  store16(p, id);
  store16(p + 2, static_cast<std::uint16_t>(t.size()));
  p += 4;
  for (const auto& f : t) {
    store16(p, f.reverse ? static_cast<std::uint16_t>(f.id | enterprise_bit) : f.id);
    store16(p + 2, f.length);
    p += 4;
    if (f.reverse) {
      store32(p, reverse_pen);
      p += 4;
    }
  }
  return template_record_size(t);
}

}  // namespace

Encoder::Encoder(EncoderConfig config)
    : config_(config),
      ipv4_template_(build_template(config.version, false)),
      ipv6_template_(build_template(config.version, true)),
      ipv4_record_size_(record_size(ipv4_template_)),
      ipv6_record_size_(record_size(ipv6_template_)) {
  if (config_.mtu < minimum_mtu) throw std::invalid_argument("mtu below " + std::to_string(minimum_mtu) + " bytes");
}

Encoder::Stream& Encoder::stream_for(const FlowRecord& first, std::uint64_t export_ms) {
  Stream& s = streams_[stream_key(config_.version, first)];
  const std::uint64_t earliest = std::min(first.first_ms, export_ms);
  const std::uint64_t latest = std::max(first.last_ms, export_ms);
  // A new stream, or a flow its 32-bit uptime clock cannot place: (re)boot.
  if (s.boot_ms == 0 || earliest < s.boot_ms || latest - s.boot_ms > uptime_limit_ms)
    s.boot_ms = earliest > boot_margin_ms ? earliest - boot_margin_ms : 0;
  return s;
}

Encoded Encoder::encode(std::span<const FlowRecord> records, std::uint64_t now_ms, std::span<std::uint8_t> out) {
  if (records.empty()) return {};
  if (config_.version != Version::ipfix) {
    // A flow longer than the 32-bit uptime clock (49 days) cannot be sent.
    std::size_t too_long = 0;
    while (too_long < records.size() && records[too_long].duration_ms() > uptime_limit_ms - replay_export_delay_ms)
      ++too_long;
    if (too_long > 0) {
      stats_.skipped_too_long += too_long;
      return {0, too_long};
    }
  }
  return config_.version == Version::v5 ? encode_v5(records, now_ms, out) : encode_templated(records, now_ms, out);
}

Encoded Encoder::encode_v5(std::span<const FlowRecord> records, std::uint64_t now_ms, std::span<std::uint8_t> out) {
  // v5 cannot carry IPv6: such records are consumed, skipped and counted.
  const auto head_it = std::find_if(records.begin(), records.end(), [](auto& r) { return r.src_addr.is_v4(); });
  if (head_it == records.end()) {
    stats_.skipped_ipv6 += records.size();
    return {0, records.size()};
  }
  const FlowRecord& head = *head_it;
  const std::uint64_t export_ms = export_time_for(head, now_ms);
  Stream& s = stream_for(head, export_ms);
  const std::size_t room = std::min(out.size(), config_.mtu);
  const std::size_t capacity = std::min(v5_max_records, (room - std::min(room, v5_header_size)) / v5_record_size);
  std::size_t i = 0;  // records consumed
  std::size_t n = 0;  // records written
  std::size_t skipped = 0;
  for (; i < records.size() && n < capacity; ++i) {
    const FlowRecord& r = records[i];
    if (!r.src_addr.is_v4()) {
      ++skipped;
      continue;
    }
    const bool same_stream = v5_engine_tag(r) == v5_engine_tag(head) && r.sampling_interval == head.sampling_interval;
    if (!same_stream || !fits_uptime(r, s.boot_ms, export_ms)) break;
    std::uint8_t* p = out.data() + v5_header_size + n++ * v5_record_size;
    std::memset(p, 0, v5_record_size);
    store32(p, r.src_addr.v4_value());
    store32(p + 4, r.dst_addr.is_v4() ? r.dst_addr.v4_value() : 0);
    store32(p + 8, r.next_hop.is_v4() ? r.next_hop.v4_value() : 0);
    store16(p + 12, v5_uint16(r.in_if));
    store16(p + 14, v5_uint16(r.out_if));
    store32(p + 16, v5_uint32(r.packets));
    store32(p + 20, v5_uint32(r.bytes));
    store32(p + 24, static_cast<std::uint32_t>(r.first_ms - s.boot_ms));
    store32(p + 28, static_cast<std::uint32_t>(r.last_ms - s.boot_ms));
    store16(p + 32, r.src_port);
    store16(p + 34, r.dst_port);
    p[37] = r.tcp_flags;
    p[38] = r.proto;
    p[39] = r.tos;
    store16(p + 40, v5_as(r.src_as));
    store16(p + 42, v5_as(r.dst_as));
    p[44] = r.src_mask;
    p[45] = r.dst_mask;
  }
  if (n == 0) return {};  // `out` too small for one record
  stats_.skipped_ipv6 += skipped;

  std::uint8_t* h = out.data();
  store16(h, 5);
  store16(h + 2, static_cast<std::uint16_t>(n));
  store32(h + 4, static_cast<std::uint32_t>(export_ms - s.boot_ms));
  store32(h + 8, static_cast<std::uint32_t>(export_ms / 1000));
  store32(h + 12, static_cast<std::uint32_t>(export_ms % 1000 * 1'000'000));
  store32(h + 16, s.sequence);
  h[20] = head.engine_type;
  h[21] = head.engine_id;
  store16(h + 22, v5_sampling_field(head.sampling_interval));

  s.sequence += static_cast<std::uint32_t>(n);  // v5 counts flows
  stats_.datagrams++;
  stats_.records += n;
  return {v5_header_size + n * v5_record_size, i};
}

std::size_t Encoder::put_template_set(std::uint8_t* out, std::size_t room) const {
  const std::size_t set_size =
      set_header_size + template_record_size(ipv4_template_) + template_record_size(ipv6_template_);
  if (set_size > room) return 0;
  store16(out, config_.version == Version::ipfix ? ipfix_template_set : v9_template_set);
  store16(out + 2, static_cast<std::uint16_t>(set_size));
  std::size_t at = set_header_size;
  at += put_template(out + at, ipv4_template_id, ipv4_template_);
  put_template(out + at, ipv6_template_id, ipv6_template_);
  return set_size;
}

std::size_t Encoder::put_data_sets(std::span<const FlowRecord> records, const Stream& s, std::uint64_t export_ms,
                                   std::span<std::uint8_t> out, std::size_t& pos, std::size_t limit) const {
  const bool ipfix = config_.version == Version::ipfix;
  // v9 pads each set to four bytes (RFC 3954 5.3); IPFIX needs no padding.
  const auto padded = [&](std::size_t n) { return ipfix ? n : (n + 3) & ~std::size_t{3}; };
  std::size_t set_start = 0;  // 0: no set open
  bool set_ipv6 = false;
  const auto close_set = [&] {
    if (set_start == 0) return;
    const std::size_t end = padded(pos);
    std::memset(out.data() + pos, 0, end - pos);
    pos = end;
    store16(out.data() + set_start + 2, static_cast<std::uint16_t>(pos - set_start));
    set_start = 0;
  };

  const std::uint32_t domain = records.front().observation_domain;
  std::size_t n = 0;
  for (; n < records.size(); ++n) {
    const FlowRecord& r = records[n];
    if (r.observation_domain != domain) break;
    if (!ipfix && !fits_uptime(r, s.boot_ms, export_ms)) break;
    const bool ipv6 = !r.src_addr.is_v4();
    const std::size_t size = ipv6 ? ipv6_record_size_ : ipv4_record_size_;
    const bool new_set = set_start == 0 || set_ipv6 != ipv6;
    const std::size_t start = new_set ? padded(pos) : pos;
    if (padded(start + (new_set ? set_header_size : 0) + size) > limit) break;
    if (new_set) {
      close_set();
      set_start = pos;
      set_ipv6 = ipv6;
      store16(out.data() + pos, ipv6 ? ipv6_template_id : ipv4_template_id);
      pos += set_header_size;
    }
    std::uint8_t* p = out.data() + pos;
    for (const auto& f : ipv6 ? ipv6_template_ : ipv4_template_) {
      put_field(p, f, r, s.boot_ms);
      p += f.length;
    }
    pos += size;
  }
  close_set();
  return n;
}

Encoded Encoder::encode_templated(std::span<const FlowRecord> records, std::uint64_t now_ms,
                                  std::span<std::uint8_t> out) {
  const bool ipfix = config_.version == Version::ipfix;
  const std::size_t limit = std::min(out.size(), config_.mtu);
  const FlowRecord& head = records.front();
  const std::uint64_t export_ms = ipfix ? now_ms : export_time_for(head, now_ms);
  Stream& s = stream_for(head, export_ms);

  std::size_t pos = ipfix ? ipfix_header_size : v9_header_size;
  const bool templates_due = !s.templates_sent || s.datagrams_since_templates >= config_.template_refresh_datagrams ||
                             now_ms - s.last_template_ms >= config_.template_refresh_ms;
  if (templates_due) {
    const std::size_t size = put_template_set(out.data() + pos, limit - pos);
    if (size == 0) return {};
    pos += size;
  }
  const std::size_t n = put_data_sets(records, s, export_ms, out, pos, limit);
  if (n == 0) return {};  // `out` too small for one record

  std::uint8_t* h = out.data();
  const auto export_secs = static_cast<std::uint32_t>(export_ms / 1000);
  if (ipfix) {
    store16(h, 10);
    store16(h + 2, static_cast<std::uint16_t>(pos));
    store32(h + 4, export_secs);
    store32(h + 8, s.sequence);
    store32(h + 12, head.observation_domain);
    s.sequence += static_cast<std::uint32_t>(n);  // IPFIX counts data records
  } else {
    // The collector computes boot = unix_secs * 1000 - uptime, so uptime is
    // taken from whole seconds to place flows to the millisecond. The count
    // is of template and data records.
    store16(h, 9);
    store16(h + 2, static_cast<std::uint16_t>((templates_due ? 2 : 0) + n));
    store32(h + 4, static_cast<std::uint32_t>(std::uint64_t{export_secs} * 1000 - s.boot_ms));
    store32(h + 8, export_secs);
    store32(h + 12, s.sequence);
    store32(h + 16, head.observation_domain);
    s.sequence += 1;  // v9 counts datagrams
  }

  if (templates_due) {
    s.templates_sent = true;
    s.last_template_ms = now_ms;
    s.datagrams_since_templates = 0;
    stats_.template_sends++;
  }
  s.datagrams_since_templates++;
  stats_.datagrams++;
  stats_.records += n;
  return {pos, n};
}

void Encoder::group_by_stream(std::vector<FlowRecord>& records) {
  // Groups in order of first appearance: (stream, family) key and size.
  struct Group {
    std::uint64_t key;
    std::size_t size;
  };
  std::vector<Group> groups;
  group_of_.resize(records.size());
  std::size_t runs = 0;
  std::size_t current = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const FlowRecord& r = records[i];
    const std::uint64_t key = std::uint64_t{stream_key(config_.version, r)} << 1 | !r.src_addr.is_v4();
    if (groups.empty() || groups[current].key != key) {
      ++runs;
      current = static_cast<std::size_t>(
          std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.key == key; }) - groups.begin());
      if (current == groups.size()) groups.push_back({key, 0});
    }
    ++groups[current].size;
    group_of_[i] = static_cast<std::uint32_t>(current);
  }
  if (runs == groups.size()) return;  // each group is one run already

  std::vector<std::size_t> next(groups.size());
  for (std::size_t g = 1; g < groups.size(); ++g) next[g] = next[g - 1] + groups[g - 1].size;
  scratch_.resize(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) scratch_[next[group_of_[i]]++] = records[i];
  records.swap(scratch_);
}

FlowRecord as_carried_by(Version version, const FlowRecord& r) {
  FlowRecord c = r;
  c.exporter = {};
  c.received_ms = 0;
  const bool ipv6 = !r.src_addr.is_v4();
  // An IPv4 record's next hop is 4 bytes: 0.0.0.0 when it has none.
  if (!ipv6) c.next_hop = IpAddress::v4(r.next_hop.is_v4() ? r.next_hop.v4_value() : 0);
  c.flows = 1;
  c.label = 0;
  if (!ipv6 && !r.dst_addr.is_v4()) c.dst_addr = IpAddress::v4(0);
  if (c.sampling_interval == 0) c.sampling_interval = 1;
  c.export_version = static_cast<std::uint8_t>(version);  // the collector notes the version
  c.end_reason = c.biflow_direction = 0;                  // not sent
  switch (version) {
    case Version::v5:
      c.packets = v5_uint32(r.packets);
      c.bytes = v5_uint32(r.bytes);
      c.in_if = v5_uint16(r.in_if);
      c.out_if = v5_uint16(r.out_if);
      c.src_as = v5_as(r.src_as);
      c.dst_as = v5_as(r.dst_as);
      c.sampling_interval = std::min<std::uint32_t>(c.sampling_interval, 0x3fff);
      c.observation_domain = v5_engine_tag(r);
      c.reverse_packets = c.reverse_bytes = 0;
      c.dst_tos = c.direction = c.fwd_status = 0;
      c.present = v5_present;
      break;
    case Version::v9:
      // Collectors (nfdump among them) take engine type and id from the
      // source id when the record's own fields are zero.
      if (r.engine_type == 0) c.engine_type = static_cast<std::uint8_t>(r.observation_domain >> 8);
      if (r.engine_id == 0) c.engine_id = static_cast<std::uint8_t>(r.observation_domain);
      c.present = templated_present;
      break;
    case Version::ipfix: c.present = templated_present; break;
  }
  return c;
}

}  // namespace sluice::netflow
