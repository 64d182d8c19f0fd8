#include <algorithm>

#include "sluice/csv/field_text.h"
#include "sluice/protocols.h"

namespace sluice::csv {
namespace {

// An address or MAC nobody set (no next hop, unknown exporter) is empty.
char* put_optional_address(char* p, const IpAddress& a) { return a.is_unspecified() ? p : text::put_address(p, a); }
char* put_optional_address(text::AddressText& column, char* p, const IpAddress& a) {
  return a.is_unspecified() ? p : column.put(p, a);
}
// A next hop of 0.0.0.0 or :: (NetFlow v5 always carries one) is none.
char* put_next_hop(text::AddressText& column, char* p, const IpAddress& a) {
  return a.is_v4() && a.v4_value() == 0 ? p : put_optional_address(column, p, a);
}
char* put_optional_mac(char* p, const MacAddress& mac) { return mac.is_unspecified() ? p : text::put_mac(p, mac); }

bool needs_quotes(std::string_view s) { return s.find_first_of(",\"\r\n") != std::string_view::npos; }

constexpr Field default_columns[] = {
    Field::first,    Field::last,     Field::duration,    Field::src_addr,  Field::dst_addr,         Field::src_port,
    Field::dst_port, Field::proto,    Field::tcp_flags,   Field::tos,       Field::packets,          Field::bytes,
    Field::in_if,    Field::out_if,   Field::src_as,      Field::dst_as,    Field::src_mask,         Field::dst_mask,
    Field::next_hop, Field::exporter, Field::engine_type, Field::engine_id, Field::sampling_interval};

}  // namespace

std::span<const Field> default_fields() noexcept { return default_columns; }

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

char* FieldWriter::put_text(char* p, TextId id) const {
  const std::string_view s = texts_ != nullptr ? texts_->text(id) : std::string_view{};
  if (!needs_quotes(s)) return text::put(p, s);
  *p++ = '"';
  for (const char c : s) {
    if (c == '"') *p++ = '"';
    *p++ = c;
  }
  *p++ = '"';
  return p;
}

std::size_t FieldWriter::room(Field field, const FlowRecord& flow) const noexcept {
  const FieldInfo& f = info(field);
  if (f.kind != FieldKind::text || texts_ == nullptr) return max_size;
  return 2 * texts_->text(static_cast<TextId>(unsigned_value(flow, f))).size() + 2;  // every quote doubled, two around
}

std::size_t FieldWriter::row_room(std::span<const Field> fields, const FlowRecord& flow) const noexcept {
  std::size_t room_needed = 0;
  for (const Field field : fields) room_needed += room(field, flow) + 1;
  return room_needed;
}

char* FieldWriter::put(char* p, Field field, const FlowRecord& flow) {
  const FieldInfo& f = info(field);
  switch (f.kind) {
    case FieldKind::time: return put_time(p, unsigned_value(flow, f));
    case FieldKind::duration: return text::put_thousandths(p, flow.duration_ms());
    case FieldKind::counter:
    case FieldKind::number: return text::put_uint(p, unsigned_value(flow, f));
    case FieldKind::protocol:
      if (const auto name = protocol_name(flow.proto); proto_names_ && !name.empty()) return text::put(p, name);
      return text::put_uint(p, flow.proto);
    case FieldKind::address: {
      const IpAddress& a = address_value(flow, f);
      switch (field) {  // next hops and exporters repeat from row to row
        case Field::next_hop: return put_next_hop(next_hop_, p, a);
        case Field::bgp_next_hop: return put_next_hop(bgp_next_hop_, p, a);
        case Field::exporter: return put_optional_address(exporter_, p, a);
        default: return put_optional_address(p, a);
      }
    }
    case FieldKind::mac: return put_optional_mac(p, mac_value(flow, f));
    case FieldKind::country: return text::put(p, country_value(flow, f));
    case FieldKind::text: return put_text(p, static_cast<TextId>(unsigned_value(flow, f)));
    case FieldKind::boundary: return text::put(p, boundary_name(static_cast<Boundary>(unsigned_value(flow, f))));
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
