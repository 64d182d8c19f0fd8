#include "sluice/csv/field_text.h"
#include "sluice/csv/protocol_names.h"

namespace sluice::csv {
namespace {

// An address or MAC nobody set (no next hop, unknown exporter) is empty.
char* put_optional_address(char* p, const IpAddress& a) { return a.is_unspecified() ? p : text::put_address(p, a); }
char* put_optional_address(text::AddressText& column, char* p, const IpAddress& a) {
  return a.is_unspecified() ? p : column.put(p, a);
}
char* put_optional_mac(char* p, const MacAddress& mac) { return mac.is_unspecified() ? p : text::put_mac(p, mac); }

}  // namespace

char* FieldWriter::put_time(char* p, std::uint64_t ms) {
  switch (time_format_) {
    case TimeFormat::iso:
      p = utc_.put(p, static_cast<std::int64_t>(ms / 1000));
      *p++ = '.';
      p = text::put_three_digits(p, static_cast<unsigned>(ms % 1000));
      *p++ = 'Z';
      return p;
    case TimeFormat::epoch_ms: return text::put_uint(p, ms);
    case TimeFormat::epoch_s: return text::put_uint(p, ms / 1000);
  }
  return p;
}

char* FieldWriter::put(char* p, Field field, const FlowRecord& f) {
  using text::put_uint;
  switch (field) {
    case Field::first: return put_time(p, f.first_ms);
    case Field::last: return put_time(p, f.last_ms);
    case Field::received: return put_time(p, f.received_ms);
    case Field::duration: return text::put_thousandths(p, f.duration_ms());
    case Field::src_addr: return put_optional_address(p, f.src_addr);
    case Field::dst_addr: return put_optional_address(p, f.dst_addr);
    case Field::src_port: return put_uint(p, f.src_port);
    case Field::dst_port: return put_uint(p, f.dst_port);
    case Field::proto:
      if (const auto name = protocol_name(f.proto); proto_names_ && !name.empty()) return text::put(p, name);
      return put_uint(p, f.proto);
    case Field::tcp_flags: return put_uint(p, f.tcp_flags);
    case Field::tos: return put_uint(p, f.tos);
    case Field::dst_tos: return put_uint(p, f.dst_tos);
    case Field::packets: return put_uint(p, f.packets);
    case Field::bytes: return put_uint(p, f.bytes);
    case Field::reverse_packets: return put_uint(p, f.reverse_packets);
    case Field::reverse_bytes: return put_uint(p, f.reverse_bytes);
    case Field::in_if: return put_uint(p, f.in_if);
    case Field::out_if: return put_uint(p, f.out_if);
    case Field::src_as: return put_uint(p, f.src_as);
    case Field::dst_as: return put_uint(p, f.dst_as);
    case Field::src_mask: return put_uint(p, f.src_mask);
    case Field::dst_mask: return put_uint(p, f.dst_mask);
    case Field::next_hop: return put_optional_address(next_hop_, p, f.next_hop);
    case Field::exporter: return put_optional_address(exporter_, p, f.exporter);
    case Field::engine_type: return put_uint(p, f.engine_type);
    case Field::engine_id: return put_uint(p, f.engine_id);
    case Field::observation_domain: return put_uint(p, f.observation_domain);
    case Field::sampling_interval: return put_uint(p, f.sampling_interval);
    case Field::direction: return put_uint(p, f.direction);
    case Field::fwd_status: return put_uint(p, f.fwd_status);
    case Field::label: return put_uint(p, f.label);
    case Field::src_mac: return put_optional_mac(p, f.src_mac);
    case Field::dst_mac: return put_optional_mac(p, f.dst_mac);
    case Field::src_vlan: return put_uint(p, f.src_vlan);
    case Field::dst_vlan: return put_uint(p, f.dst_vlan);
  }
  return p;
}

char* FieldWriter::put_row(char* p, std::span<const Field> fields, const FlowRecord& flow) {
  for (const Field field : fields) {
    p = put(p, field, flow);
    *p++ = ',';
  }
  return fields.empty() ? p : p - 1;
}

}  // namespace sluice::csv
