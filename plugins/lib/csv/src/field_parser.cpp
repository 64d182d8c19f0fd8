#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "sluice/csv/field_text.h"
#include "sluice/csv/text_parse.h"

namespace sluice::csv {
namespace {

using text::parse_address;
using text::parse_mac;
using text::parse_protocol;
using text::parse_time;
using text::parse_uint;

// An unsigned number no wider than the field's member.
bool parse_number(std::string_view text, const FieldInfo& f, std::uint64_t& out) noexcept {
  if (!parse_uint(text, out)) return false;
  return f.width >= 8 || out >> (8 * f.width) == 0;
}

bool parse_country(std::string_view text, FlowRecord& flow, const FieldInfo& f) noexcept {
  if (!text.empty() && (text.size() != 2 || text[0] < 'A' || text[0] > 'Z' || text[1] < 'A' || text[1] > 'Z'))
    return false;
  char* at = reinterpret_cast<char*>(&flow) + f.offset;
  at[0] = text.empty() ? '\0' : text[0];
  at[1] = text.empty() ? '\0' : text[1];
  return true;
}

std::optional<Boundary> parse_boundary(std::string_view text) noexcept {
  for (const Boundary b : {Boundary::undefined, Boundary::external, Boundary::internal})
    if (boundary_name(b) == text) return b;
  return std::nullopt;
}

// Sets an address, MAC or boundary member, present unless the text is empty.
template <class Address>
bool set_address(FlowRecord& flow, const FieldInfo& f, bool ok, const Address& a, bool empty) noexcept {
  if (!ok) return false;
  std::memcpy(reinterpret_cast<char*>(&flow) + f.offset, &a, sizeof a);
  if (!empty && f.presence != always_present) flow.set_present(static_cast<Element>(f.presence));
  return true;
}

}  // namespace

bool parse_field_value(Field field, std::string_view text, FlowRecord& flow, TextTable* texts) noexcept {
  const FieldInfo& f = info(field);
  std::uint64_t value = 0;
  switch (f.kind) {
    case FieldKind::time:
      if (!parse_time(text, value)) return false;
      break;
    case FieldKind::duration: return text::parse_seconds(text);
    case FieldKind::counter:
    case FieldKind::number:
      if (!parse_number(text, f, value)) return false;
      break;
    case FieldKind::protocol: {
      std::uint8_t proto = 0;
      if (!parse_protocol(text, proto)) return false;
      value = proto;
      break;
    }
    case FieldKind::address: {
      IpAddress a;
      return set_address(flow, f, parse_address(text, a), a, text.empty());
    }
    case FieldKind::mac: {
      MacAddress m;
      return set_address(flow, f, parse_mac(text, m), m, text.empty());
    }
    case FieldKind::country: return parse_country(text, flow, f);
    case FieldKind::text:
      if (texts == nullptr) return false;
      try {
        value = texts->intern(text);
      } catch (const std::exception&) {  // the table is full, or memory is
        return false;
      }
      break;
    case FieldKind::boundary: {
      const auto b = parse_boundary(text);
      if (!b) return false;
      if (*b == Boundary::undefined) return set_address(flow, f, true, *b, true);  // stays absent
      value = static_cast<std::uint64_t>(*b);
      break;
    }
  }
  set_unsigned_value(flow, f, value);
  return true;
}

namespace {

// A column quoted as RFC 4180 says: its text without the quotes (doubled
// quotes undoubled, into `buffer`) and what follows the closing quote.
bool take_quoted(std::string_view& row, std::string& buffer, std::string_view& value) {
  buffer.clear();
  for (std::size_t i = 1; i < row.size(); ++i) {
    if (row[i] != '"') {
      buffer += row[i];
    } else if (i + 1 < row.size() && row[i + 1] == '"') {
      buffer += '"';
      ++i;
    } else {
      row.remove_prefix(i + 1);
      value = buffer;
      return true;
    }
  }
  return false;  // no closing quote
}

}  // namespace

bool parse_row(std::span<const Field> fields, std::string_view row, FlowRecord& flow, TextTable* texts) noexcept {
  std::string unquoted;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string_view value;
    if (!row.empty() && row.front() == '"') {
      try {
        if (!take_quoted(row, unquoted, value)) return false;
      } catch (const std::exception&) {
        return false;
      }
    } else {
      value = row.substr(0, row.find(','));
      row.remove_prefix(value.size());
    }
    const bool last = i + 1 == fields.size();
    if (last != row.empty()) return false;  // a column missing, or one too many
    if (!last && row.front() != ',') return false;
    if (!parse_field_value(fields[i], value, flow, texts)) return false;
    if (!last) row.remove_prefix(1);
  }
  return true;
}

}  // namespace sluice::csv
