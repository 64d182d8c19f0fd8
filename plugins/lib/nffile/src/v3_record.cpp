#include "v3_record.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "layout.h"
#include "sluice/nffile/record_form.h"

namespace sluice::nffile {
namespace {

template <typename T>
void put(std::byte*& out, const T& value) noexcept {
  std::memcpy(out, &value, sizeof value);
  out += sizeof value;
}

// Records are written field by field, straight into the block. Building an
// element as a struct first (narrow stores) and copying it whole (wide loads)
// stalled the CPU on every flow: a load spanning several stores still on their
// way to the cache cannot take its bytes from them and waits (perf: three
// quarters of encode_flow's time sat on those copies).
//
// Writes `fields`, which must be Struct's in order, as Struct lies in the file.
template <class Struct, class... Fields>
void put_as(std::byte*& out, const Fields&... fields) noexcept {
  static_assert((sizeof(Fields) + ...) == sizeof(Struct), "Struct's fields, in order, without padding");
  (put(out, fields), ...);
}

// An element's header, then its fields (Element's, in order).
template <class Element, class... Fields>
void put_element(std::byte*& out, layout::ElementId id, const Fields&... fields) noexcept {
  put_as<layout::ElementHeader>(out, id, static_cast<std::uint16_t>(sizeof(layout::ElementHeader) + sizeof(Element)));
  put_as<Element>(out, fields...);
}

// Fixed-size optional elements are written anyway and kept or not by moving
// on or not: no branch for the predictor to miss.
template <class Element, class... Fields>
void put_optional_element(std::byte*& out, std::uint16_t& elements, bool keep, layout::ElementId id,
                          const Fields&... fields) noexcept {
  std::byte* at = out;
  put_element<Element>(at, id, fields...);
  out += keep ? at - out : 0;
  elements += keep;
}

template <typename T>
T get(const std::byte* in) noexcept {
  T value;
  std::memcpy(&value, in, sizeof value);
  return value;
}

// An address as two 64-bit words in memory order, to test and convert it
// without a byte loop: the writer sees four addresses a flow.
struct Words {
  std::uint64_t first, second;  // bytes 0-7 and 8-15, as loaded on a little-endian host

  explicit Words(const IpAddress& a) noexcept { std::memcpy(this, a.bytes.data(), 16); }
  bool unspecified() const noexcept { return (first | second) == 0; }
  // ::ffff:a.b.c.d: bytes 10 and 11 are 0xff, all before them 0.
  bool v4() const noexcept { return first == 0 && static_cast<std::uint32_t>(second) == 0xffff0000u; }
  std::uint32_t v4_value() const noexcept { return __builtin_bswap32(static_cast<std::uint32_t>(second >> 32)); }
  // nfdump's two halves (layout::Ipv6Halves).
  std::uint64_t high() const noexcept { return __builtin_bswap64(first); }
  std::uint64_t low() const noexcept { return __builtin_bswap64(second); }
};

// What nfdump's misc element holds.
constexpr std::uint64_t misc_elements = FlowRecord::bit(Element::in_if) | FlowRecord::bit(Element::out_if) |
                                        FlowRecord::bit(Element::src_mask) | FlowRecord::bit(Element::dst_mask) |
                                        FlowRecord::bit(Element::direction) | FlowRecord::bit(Element::dst_tos);

IpAddress from_halves(const layout::Ipv6Halves& h) noexcept {
  IpAddress a;
  const std::uint64_t words[2] = {__builtin_bswap64(h[0]), __builtin_bswap64(h[1])};
  std::memcpy(a.bytes.data(), words, 16);
  return a;
}

// An address element pair: the v4 form when the address is IPv4, else v6.
void put_address(std::byte*& out, layout::ElementId v4_id, layout::ElementId v6_id, Words a) noexcept {
  if (a.v4())
    put_element<layout::Ipv4Address>(out, v4_id, a.v4_value());
  else
    put_element<layout::Ipv6Address>(out, v6_id, a.high(), a.low());
}

}  // namespace

std::size_t encode_flow(const FlowRecord& f, std::uint16_t sysid, std::byte* out) noexcept {
  std::byte* const start = out;
  out += sizeof(layout::V3Header);
  std::uint16_t elements = 0;

  put_element<layout::GenericFlow>(out, layout::generic_flow, f.first_ms, f.last_ms, f.received_ms, f.packets, f.bytes,
                                   f.src_port, f.dst_port, f.proto, f.tcp_flags, f.fwd_status, f.tos);
  ++elements;
  const Words src(f.src_addr), dst(f.dst_addr);
  if (src.v4() && dst.v4())
    put_element<layout::Ipv4Flow>(out, layout::ipv4_flow, src.v4_value(), dst.v4_value());
  else
    put_element<layout::Ipv6Flow>(out, layout::ipv6_flow, src.high(), src.low(), dst.high(), dst.low());
  ++elements;
  constexpr std::uint64_t counters = FlowRecord::bit(Element::reverse_counters) | FlowRecord::bit(Element::flows);
  constexpr std::uint64_t as = FlowRecord::bit(Element::src_as) | FlowRecord::bit(Element::dst_as);
  // The optional elements are written where the flow has them, as nfcapd
  // writes those its exporter sent: nfdump prints zeros for the others.
  // An element holds several values: those the flow lacks are written as 0.
  const auto value_if = [&f](Element e, auto value) { return f.has(e) ? value : decltype(value){0}; };
  // FlowMisc's last four bytes in one value: biflow direction, end reason,
  // no reverse TCP flags, fill (as a little-endian host stores it).
  const std::uint32_t biflow_and_end_reason = f.biflow_direction | std::uint32_t{f.end_reason} << 8;
  // `|`, not `||`: whether a flow has the element varies from flow to flow,
  // and a branch on it was mispredicted (about half of the 2.5 ns a flow
  // that writing cost more after ABI 9).
  const bool misc = ((f.present & misc_elements) | biflow_and_end_reason) != 0;
  put_optional_element<layout::FlowMisc>(
      out, elements, misc, layout::flow_misc, value_if(Element::in_if, f.in_if), value_if(Element::out_if, f.out_if),
      value_if(Element::src_mask, f.src_mask), value_if(Element::dst_mask, f.dst_mask),
      value_if(Element::direction, f.direction), value_if(Element::dst_tos, f.dst_tos), biflow_and_end_reason);
  put_optional_element<layout::Counters>(out, elements, (f.present & counters) != 0, layout::counters, f.flows,
                                         value_if(Element::reverse_counters, f.reverse_packets),
                                         value_if(Element::reverse_counters, f.reverse_bytes));
  put_optional_element<layout::AsRouting>(out, elements, (f.present & as) != 0, layout::as_routing,
                                          value_if(Element::src_as, f.src_as), value_if(Element::dst_as, f.dst_as));
  if (f.has(Element::next_hop)) {
    put_address(out, layout::ip_next_hop_v4, layout::ip_next_hop_v6, Words(f.next_hop));
    ++elements;
  }
  if (f.has(Element::bgp_next_hop)) {
    put_address(out, layout::bgp_next_hop_v4, layout::bgp_next_hop_v6, Words(f.bgp_next_hop));
    ++elements;
  }
  if (f.has(Element::exporter)) {
    put_address(out, layout::received_v4, layout::received_v6, Words(f.exporter));
    ++elements;
  }

  const auto size = static_cast<std::uint16_t>(out - start);
  const std::uint8_t flags = f.sampling_interval > 1 ? layout::v3_flag_sampled : 0;
  std::byte* header = start;
  put_as<layout::V3Header>(header, layout::flow_v3, size, elements, f.engine_type, f.engine_id, sysid, flags,
                           f.export_version);
  return size;
}

RecordForm record_form(const FlowRecord& flow) noexcept {
  std::array<std::byte, max_flow_record_size> record;
  encode_flow(flow, 0, record.data());
  const auto header = get<layout::V3Header>(record.data());
  RecordForm form{header.size, header.flags, static_cast<std::uint8_t>(header.elements), {}};
  const std::byte* element = record.data() + sizeof header;
  for (std::uint8_t i = 0; i < form.count && i < form.elements.size(); ++i) {
    const auto element_header = get<layout::ElementHeader>(element);
    form.elements[i] = element_header.type;
    element += element_header.length;
  }
  std::sort(form.elements.begin(), form.elements.begin() + form.count);
  return form;
}

EncodedRecords encode_exporter(const FlowRecord& f, std::uint16_t sysid, std::byte* out) noexcept {
  std::byte* const start = out;
  layout::ExporterInfo info;
  const Words exporter(f.exporter);
  info.ip[0] = exporter.high();
  info.ip[1] = exporter.low();
  if (exporter.v4()) {
    info.ip[0] = 0;
    info.ip[1] = exporter.v4_value();
  }
  info.family = exporter.v4() || exporter.unspecified() ? AF_INET : AF_INET6;
  info.sysid = sysid;
  info.observation_domain = f.observation_domain;
  put(out, info);
  if (f.sampling_interval <= 1) return {sizeof info, 1};
  layout::Sampler sampler;
  sampler.exporter_sysid = sysid;
  sampler.space_interval = f.sampling_interval - 1;
  put(out, sampler);
  return {static_cast<std::size_t>(out - start), 2};
}

namespace {

// Reads the element `value` holds as an E and hands it to `apply`; says why
// not when the element is too short to be one.
template <class E, class Apply>
const char* read_as(const std::byte* value, std::size_t size, const char* too_short, Apply&& apply) noexcept {
  if (size < sizeof(E)) return too_short;
  apply(get<E>(value));
  return nullptr;
}

// One element of a flow record into `f`: nullptr, or what is wrong with it.
const char* decode_element(std::uint16_t type, const std::byte* value, std::size_t size, FlowRecord& f,
                           FlowOrigin& origin) noexcept {
  switch (type) {
    case layout::generic_flow:
      return read_as<layout::GenericFlow>(value, size, "short generic flow element", [&](const auto& g) {
        f.set_present(Element::received);
        f.first_ms = g.first_ms;
        f.last_ms = g.last_ms;
        f.received_ms = g.received_ms;
        f.packets = g.packets;
        f.bytes = g.bytes;
        f.src_port = g.src_port;
        f.dst_port = g.dst_port;
        f.proto = g.proto;
        f.tcp_flags = g.tcp_flags;
        f.fwd_status = g.fwd_status;
        f.tos = g.src_tos;
      });
    case layout::ipv4_flow:
      return read_as<layout::Ipv4Flow>(value, size, "short IPv4 element", [&](const auto& v4) {
        f.src_addr = IpAddress::v4(v4.src);
        f.dst_addr = IpAddress::v4(v4.dst);
      });
    case layout::ipv6_flow:
      return read_as<layout::Ipv6Flow>(value, size, "short IPv6 element", [&](const auto& v6) {
        f.src_addr = from_halves(v6.src);
        f.dst_addr = from_halves(v6.dst);
      });
    case layout::flow_misc:
      return read_as<layout::FlowMisc>(value, size, "short misc element", [&](const auto& m) {
        f.present |= misc_elements;
        f.in_if = m.in_if;
        f.out_if = m.out_if;
        f.src_mask = m.src_mask;
        f.dst_mask = m.dst_mask;
        f.direction = m.direction;
        f.dst_tos = m.dst_tos;
        f.biflow_direction = m.biflow_direction;
        f.end_reason = m.end_reason;
      });
    case layout::counters:
      return read_as<layout::Counters>(value, size, "short counter element", [&](const auto& c) {
        f.set_present(Element::reverse_counters);
        f.flows = c.flows == 0 ? 1 : c.flows;            // as nfdump reads it
        if (f.flows > 1) f.set_present(Element::flows);  // an aggregate's count
        f.reverse_packets = c.out_packets;
        f.reverse_bytes = c.out_bytes;
      });
    case layout::as_routing:
      return read_as<layout::AsRouting>(value, size, "short AS element", [&](const auto& as) {
        f.set_present(Element::src_as);
        f.set_present(Element::dst_as);
        f.src_as = as.src_as;
        f.dst_as = as.dst_as;
      });
    case layout::ip_next_hop_v4:
      return read_as<layout::Ipv4Address>(value, size, "short IPv4 address element", [&](const auto& a) {
        f.next_hop = IpAddress::v4(a.ip);
        f.set_present(Element::next_hop);
      });
    case layout::bgp_next_hop_v4:
      return read_as<layout::Ipv4Address>(value, size, "short IPv4 address element", [&](const auto& a) {
        f.bgp_next_hop = IpAddress::v4(a.ip);
        f.set_present(Element::bgp_next_hop);
      });
    case layout::received_v4:
      return read_as<layout::Ipv4Address>(value, size, "short IPv4 address element", [&](const auto& a) {
        f.exporter = IpAddress::v4(a.ip);
        f.set_present(Element::exporter);
        origin.has_exporter_address = true;
      });
    case layout::ip_next_hop_v6:
      return read_as<layout::Ipv6Address>(value, size, "short IPv6 address element", [&](const auto& a) {
        f.next_hop = from_halves(a.ip);
        f.set_present(Element::next_hop);
      });
    case layout::bgp_next_hop_v6:
      return read_as<layout::Ipv6Address>(value, size, "short IPv6 address element", [&](const auto& a) {
        f.bgp_next_hop = from_halves(a.ip);
        f.set_present(Element::bgp_next_hop);
      });
    case layout::received_v6:
      return read_as<layout::Ipv6Address>(value, size, "short IPv6 address element", [&](const auto& a) {
        f.exporter = from_halves(a.ip);
        f.set_present(Element::exporter);
        origin.has_exporter_address = true;
      });
    default:  // elements a FlowRecord has no field for (MAC, MPLS, NSEL ...)
      return nullptr;
  }
}

}  // namespace

const char* decode_flow(std::span<const std::byte> record, FlowRecord& f, FlowOrigin& origin) noexcept {
  if (record.size() < sizeof(layout::V3Header)) return "flow record shorter than its header";
  const auto header = get<layout::V3Header>(record.data());
  f.engine_type = header.engine_type;
  f.engine_id = header.engine_id;
  f.set_present(Element::engine);
  f.export_version = header.netflow_version;
  origin.sysid = header.exporter_sysid;

  const std::byte* p = record.data() + sizeof header;
  const std::byte* const end = record.data() + record.size();
  for (unsigned i = 0; i < header.elements; ++i) {
    if (end - p < static_cast<std::ptrdiff_t>(sizeof(layout::ElementHeader)))
      return "flow record element runs past the record";
    const auto element = get<layout::ElementHeader>(p);
    if (element.length < sizeof element || element.length > end - p) return "flow record element has a bad length";
    if (const char* error =
            decode_element(element.type, p + sizeof element, element.length - sizeof element, f, origin))
      return error;
    p += element.length;
  }
  return nullptr;
}

std::uint16_t decode_exporter_info(std::span<const std::byte> record, ExporterOrigin& origin) noexcept {
  if (record.size() < sizeof(layout::ExporterInfo)) return 0;
  const auto info = get<layout::ExporterInfo>(record.data());
  origin.address =
      info.family == AF_INET6 ? from_halves(info.ip) : IpAddress::v4(static_cast<std::uint32_t>(info.ip[1]));
  origin.observation_domain = info.observation_domain;
  return info.sysid;
}

std::uint16_t decode_sampler(std::span<const std::byte> record, std::uint32_t& interval) noexcept {
  if (record.size() < sizeof(layout::Sampler)) return 0;
  const auto s = get<layout::Sampler>(record.data());
  interval = s.packet_interval == 0 ? 1 : (s.packet_interval + s.space_interval) / s.packet_interval;
  return s.exporter_sysid;
}

}  // namespace sluice::nffile
