#include "sluice/csv/field_text.h"
#include "sluice/csv/text_parse.h"

namespace sluice::csv {

using text::parse_address;
using text::parse_mac;
using text::parse_protocol;
using text::parse_time;
using text::parse_uint;

bool parse_field_value(Field field, std::string_view text, FlowRecord& f) noexcept {
  switch (field) {
    case Field::first: return parse_time(text, f.first_ms);
    case Field::last: return parse_time(text, f.last_ms);
    case Field::received: return parse_time(text, f.received_ms);
    case Field::duration: return text::parse_seconds(text);
    case Field::src_addr: return parse_address(text, f.src_addr);
    case Field::dst_addr: return parse_address(text, f.dst_addr);
    case Field::src_port: return parse_uint(text, f.src_port);
    case Field::dst_port: return parse_uint(text, f.dst_port);
    case Field::proto: return parse_protocol(text, f.proto);
    case Field::tcp_flags: return parse_uint(text, f.tcp_flags);
    case Field::tos: return parse_uint(text, f.tos);
    case Field::dst_tos: return parse_uint(text, f.dst_tos);
    case Field::packets: return parse_uint(text, f.packets);
    case Field::bytes: return parse_uint(text, f.bytes);
    case Field::reverse_packets: return parse_uint(text, f.reverse_packets);
    case Field::reverse_bytes: return parse_uint(text, f.reverse_bytes);
    case Field::in_if: return parse_uint(text, f.in_if);
    case Field::out_if: return parse_uint(text, f.out_if);
    case Field::src_as: return parse_uint(text, f.src_as);
    case Field::dst_as: return parse_uint(text, f.dst_as);
    case Field::src_mask: return parse_uint(text, f.src_mask);
    case Field::dst_mask: return parse_uint(text, f.dst_mask);
    case Field::next_hop: return parse_address(text, f.next_hop);
    case Field::exporter: return parse_address(text, f.exporter);
    case Field::engine_type: return parse_uint(text, f.engine_type);
    case Field::engine_id: return parse_uint(text, f.engine_id);
    case Field::observation_domain: return parse_uint(text, f.observation_domain);
    case Field::sampling_interval: return parse_uint(text, f.sampling_interval);
    case Field::direction: return parse_uint(text, f.direction);
    case Field::fwd_status: return parse_uint(text, f.fwd_status);
    case Field::label: return parse_uint(text, f.label);
    case Field::src_mac: return parse_mac(text, f.src_mac);
    case Field::dst_mac: return parse_mac(text, f.dst_mac);
    case Field::src_vlan: return parse_uint(text, f.src_vlan);
    case Field::dst_vlan: return parse_uint(text, f.dst_vlan);
  }
  return false;
}

bool parse_row(std::span<const Field> fields, std::string_view row, FlowRecord& flow) noexcept {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::size_t comma = row.find(',');
    const bool last = i + 1 == fields.size();
    if ((comma == std::string_view::npos) != last) return false;  // a column missing, or one too many
    if (!parse_field_value(fields[i], row.substr(0, comma), flow)) return false;
    row.remove_prefix(last ? row.size() : comma + 1);
  }
  return true;
}

}  // namespace sluice::csv
