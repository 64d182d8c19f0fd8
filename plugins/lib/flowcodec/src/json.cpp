// json: one object per flow with every field of the registry (fields.h),
// under its name: numbers bare (protocols too), times quoted in ISO 8601 or
// bare epoch milliseconds, addresses, MACs, countries, texts and boundaries
// quoted. An element the flow does not have is null (an address, MAC,
// country or text nobody set too), so "absent" and "zero" stay apart.
//
// The reader is simdjson's on-demand parser, made for many small documents:
// flat objects one after another (a line each, usually; one spread over lines
// or several on a line work too). Known keys set their field and its
// presence, unknown keys (of any value) are skipped, null or a missing key
// leaves the field absent. After a bad object it goes on at the next line.
#include <simdjson.h>

#include <array>
#include <string>
#include <unordered_map>

#include "formats.h"
#include "sluice/csv/field_text.h"
#include "sluice/fields.h"

namespace sluice::flowcodec::detail {
namespace {

namespace ondemand = simdjson::ondemand;

// `"name":` of every field, written once.
const auto keys = [] {
  std::array<std::string, field_count> k;
  for (const FieldInfo& f : fields()) k[static_cast<std::size_t>(f.field)] = "\"" + std::string(f.name) + "\":";
  return k;
}();

// The enrichment fields, the registry's last; all null in most flows.
constexpr std::span<const FieldInfo> enrichment_tail = fields().subspan(static_cast<std::size_t>(Field::src_country));
static_assert(enrichment_tail.front().field == Field::src_country &&
              enrichment_tail.back().field == Field::out_if_connectivity);
const std::string enrichment_nulls = [] {
  std::string text;
  for (const FieldInfo& f : enrichment_tail) text += keys[static_cast<std::size_t>(f.field)] + "null,";
  return text;
}();

char* put_null(char* p) { return csv::text::put(p, "null"); }

// A text as a JSON string: quotes, backslashes and control characters
// escaped; at most 6 bytes for each byte of `text`, and 2 for the quotes.
char* put_string(char* p, std::string_view text) {
  *p++ = '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && c != '"' && c != '\\') {
      *p++ = c;
    } else if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = c;
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      p = csv::text::put(p, "\\u00");
      *p++ = hex[byte >> 4];
      *p++ = hex[byte & 0xf];
    }
  }
  *p++ = '"';
  return p;
}

class JsonEncoder final : public Encoder {
 public:
  JsonEncoder(const TextTable& texts, csv::TimeFormat time_format) : texts_(texts), time_format_(time_format) {}

  void encode(const FlowRecord& flow, csv::Buffer& out) override {
    // Room for every field but texts, which reserve their own.
    static constexpr std::size_t room_per_field = 32 + csv::FieldWriter::max_size;  // key, quotes, comma
    static constexpr std::size_t room = 2 + field_count * room_per_field;
    char* p = out.reserve(room);
    *p++ = '{';
    const bool enriched = has_enrichment(flow);
    for (const FieldInfo& field : fields()) {
      if (field.field == enrichment_tail.front().field && !enriched) {
        p = csv::text::put(p, enrichment_nulls);
        break;
      }
      p = csv::text::put(p, keys[static_cast<std::size_t>(field.field)]);
      if (!has_value(flow, field)) {
        p = put_null(p);
      } else if (field.kind == FieldKind::text) {
        const std::string_view text = texts_.text(static_cast<TextId>(unsigned_value(flow, field)));
        out.commit(p);
        p = put_string(out.reserve(room + 6 * text.size() + 2), text);
      } else {
        p = put_value(p, field, flow);
      }
      *p++ = ',';
    }
    p[-1] = '}';
    out.commit(p);
  }

  std::string_view separator() const noexcept override { return "\n"; }

 private:
  // Present, and not an undefined boundary: that says nothing, as in CSV.
  static bool has_value(const FlowRecord& flow, const FieldInfo& field) {
    if (!is_present(flow, field)) return false;
    return field.kind != FieldKind::boundary || unsigned_value(flow, field) != 0;
  }

  // The value of a field with one that is not a text.
  char* put_value(char* p, const FieldInfo& field, const FlowRecord& flow) {
    switch (field.kind) {
      case FieldKind::time: return put_time(p, unsigned_value(flow, field));
      case FieldKind::duration: return csv::text::put_thousandths(p, flow.duration_ms());
      case FieldKind::counter:
      case FieldKind::number:
      case FieldKind::protocol: return csv::text::put_uint(p, unsigned_value(flow, field));
      case FieldKind::address: return put_address(p, field, address_value(flow, field));
      case FieldKind::mac:
        return put_quoted(p, [&](char* at) { return csv::text::put_mac(at, mac_value(flow, field)); });
      case FieldKind::country: return put_string(p, country_value(flow, field));
      case FieldKind::boundary:
        return put_string(p, csv::boundary_name(static_cast<Boundary>(unsigned_value(flow, field))));
      case FieldKind::text: break;  // by encode()
    }
    return p;
  }

  // Source and destination have no presence bit: unset is null all the same.
  char* put_address(char* p, const FieldInfo& field, const IpAddress& a) {
    if (field.presence == always_present && a.is_unspecified()) return put_null(p);
    return put_quoted(p, [&](char* at) { return addresses_[static_cast<std::size_t>(field.field)].put(at, a); });
  }

  char* put_time(char* p, std::uint64_t ms) {
    if (time_format_ != csv::TimeFormat::iso) return csv::text::put_uint(p, ms);
    return put_quoted(p, [&](char* at) {
      at = utc_.put(at, static_cast<std::int64_t>(ms / 1000));
      *at++ = '.';
      at = csv::text::put_three_digits(at, static_cast<unsigned>(ms % 1000));
      *at++ = 'Z';
      return at;
    });
  }

  template <class Put>
  static char* put_quoted(char* p, Put&& put) {
    *p = '"';
    p = put(p + 1);
    *p = '"';
    return p + 1;
  }

  const TextTable& texts_;
  csv::TimeFormat time_format_;
  std::array<csv::text::AddressText, field_count> addresses_{};  // of address fields: they repeat (exporter, next hop)
  csv::text::DateTime utc_{csv::text::DateTime::Zone::utc, 'T'};
};

// The field of a key: the one after the last (objects we wrote keep the
// registry's order), else by a lookup.
class FieldLookup {
 public:
  const FieldInfo* find(std::string_view key) {
    if (next_ < field_count && field_table[next_].name == key) return &field_table[next_++];
    const auto it = by_name_.find(key);
    if (it == by_name_.end()) return nullptr;
    next_ = static_cast<std::size_t>(it->second->field) + 1;
    return it->second;
  }
  void restart() { next_ = 0; }

 private:
  std::size_t next_ = 0;
  const std::unordered_map<std::string_view, const FieldInfo*> by_name_ = [] {
    std::unordered_map<std::string_view, const FieldInfo*> m;
    for (const FieldInfo& f : fields()) m.emplace(f.name, &f);
    return m;
  }();
};

// Whether `value` fits the field's member.
bool fits(std::uint64_t value, const FieldInfo& field) { return field.width >= 8 || value >> (8 * field.width) == 0; }

class JsonDecoder final : public Decoder {
 public:
  explicit JsonDecoder(TextTable& texts) : texts_(texts) {}

  bool decode(std::string_view message, std::vector<FlowRecord>& out) override {
    // simdjson reads a few bytes past the end of what it parses.
    padded_.reserve(message.size() + simdjson::SIMDJSON_PADDING);
    padded_.assign(message);
    bool all = true;
    std::size_t at = 0;
    while ((at = padded_.find_first_not_of(" \t\r\n", at)) != std::string::npos) {
      const std::size_t line_end = end_of_line(at);
      std::size_t read_to = read_object(at, line_end, out);
      if (read_to == 0) {
        all = false;
        read_to = line_end;  // on at the next line
      }
      at = read_to;
    }
    return all;
  }

 private:
  // Objects spread over this many lines at most: beyond, one missing brace
  // would have the reader try the rest of a large message for each line.
  static constexpr int max_lines = 256;

  std::size_t end_of_line(std::size_t at) const {
    const std::size_t newline = padded_.find('\n', at);
    return newline == std::string::npos ? padded_.size() : newline + 1;
  }

  // Reads the object at `at`, which begins on the line ending at `line_end`
  // (or, unfinished there, on the lines after): where it ended, or 0.
  std::size_t read_object(std::size_t at, std::size_t line_end, std::vector<FlowRecord>& out) {
    for (int lines = 1;; ++lines) {
      FlowRecord flow;
      std::size_t end = 0;
      const simdjson::error_code error = read_flow(at, line_end, flow, end);
      if (!error) {
        out.push_back(flow);
        return end;
      }
      const bool unfinished = error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || error == simdjson::TAPE_ERROR;
      if (!unfinished || line_end == padded_.size() || lines == max_lines) return 0;
      line_end = end_of_line(line_end);
    }
  }

  simdjson::error_code read_flow(std::size_t at, std::size_t end, FlowRecord& flow, std::size_t& read_to) {
    const simdjson::padded_string_view text(padded_.data() + at, end - at, padded_.capacity() - at);
    ondemand::document doc;
    ondemand::object object;
    if (const auto error = parser_.iterate(text).get(doc)) return error;
    if (const auto error = doc.get_object().get(object)) return error;
    lookup_.restart();
    for (auto member : object) {
      std::string_view key;
      if (const auto error = member.unescaped_key().get(key)) return error;
      const FieldInfo* field = lookup_.find(key);
      if (field == nullptr) continue;  // on-demand skips the value
      if (const auto error = read_value(*field, member.value(), flow)) return error;
    }
    const char* next = nullptr;
    read_to = doc.current_location().get(next) ? end : static_cast<std::size_t>(next - padded_.data());
    return simdjson::SUCCESS;
  }

  simdjson::error_code read_value(const FieldInfo& field, simdjson::simdjson_result<ondemand::value> value,
                                  FlowRecord& flow) {
    ondemand::json_type type{};
    if (const auto error = value.type().get(type)) return error;
    if (type == ondemand::json_type::null) return value.is_null().error();  // absent, as a missing key
    if (type == ondemand::json_type::number) {
      if (field.kind == FieldKind::duration) {
        double seconds = 0;
        if (const auto error = value.get_double().get(seconds)) return error;
        return seconds >= 0 ? simdjson::SUCCESS : simdjson::NUMBER_OUT_OF_RANGE;
      }
      if (!numeric(field.kind)) return simdjson::INCORRECT_TYPE;
      std::uint64_t number = 0;
      if (const auto error = value.get_uint64().get(number)) return error;
      if (!fits(number, field)) return simdjson::NUMBER_OUT_OF_RANGE;
      set_unsigned_value(flow, field, number);
      return simdjson::SUCCESS;
    }
    std::string_view text;
    if (const auto error = value.get_string().get(text)) return error;
    // A field from its text, as the writer (or csv_writer) writes it.
    return csv::parse_field_value(field.field, text, flow, &texts_) ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
  }

  static bool numeric(FieldKind kind) {
    return kind == FieldKind::time || kind == FieldKind::counter || kind == FieldKind::number ||
           kind == FieldKind::protocol;
  }

  TextTable& texts_;
  ondemand::parser parser_;
  std::string padded_;
  FieldLookup lookup_;
};

}  // namespace

std::unique_ptr<Encoder> make_json_encoder(const TextTable& texts, csv::TimeFormat time_format) {
  return std::make_unique<JsonEncoder>(texts, time_format);
}
std::unique_ptr<Decoder> make_json_decoder(TextTable& texts) { return std::make_unique<JsonDecoder>(texts); }

}  // namespace sluice::flowcodec::detail
