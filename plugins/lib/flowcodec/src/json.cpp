// json: one object per flow with every field csv_writer knows, under the
// same names and with the same text; numbers bare (protocols too), times
// quoted in ISO 8601 or bare epoch milliseconds, addresses and MACs quoted or
// null when unset.
//
// The reader takes flat objects, one after another (a line each, usually):
// known keys set their field, unknown keys (of any value) are skipped, a
// missing key leaves its field unset. After a bad object it goes on at the
// next line.
#include <array>
#include <string>

#include "formats.h"

namespace sluice::flowcodec::detail {
namespace {

// The fields of record v2 (the registry's first 35): what the objects carried
// before record v3 added flows, the BGP next hop and the enrichment fields.
constexpr std::size_t json_field_count = static_cast<std::size_t>(Field::dst_vlan) + 1;
constexpr auto json_fields = fields().first(json_field_count);

// `"name":` of every field, written once.
const auto keys = [] {
  std::array<std::string, json_field_count> k;
  for (const FieldInfo& field : json_fields)
    k[static_cast<std::size_t>(field.field)] = "\"" + std::string(field.name) + "\":";
  return k;
}();

bool quoted(FieldKind kind, csv::TimeFormat time_format) {
  return kind == FieldKind::address || kind == FieldKind::mac ||
         (kind == FieldKind::time && time_format == csv::TimeFormat::iso);
}

class JsonEncoder final : public Encoder {
 public:
  explicit JsonEncoder(csv::TimeFormat time_format) : writer_(time_format, false) {
    for (const FieldInfo& field : json_fields)
      quoted_[static_cast<std::size_t>(field.field)] = quoted(field.kind, time_format);
  }

  void encode(const FlowRecord& flow, csv::Buffer& out) override {
    static constexpr std::size_t room_per_field = 24 + csv::FieldWriter::max_size;  // key, quotes, comma
    char* p = out.reserve(2 + keys.size() * room_per_field);
    *p++ = '{';
    for (const FieldInfo& info : json_fields) {
      const Field field = info.field;
      const auto i = static_cast<std::size_t>(field);
      p = csv::text::put(p, keys[i]);
      if (!quoted_[i]) {
        p = writer_.put(p, field, flow);
      } else {
        char* value = p + 1;
        char* end = writer_.put(value, field, flow);
        if (end == value) {
          p = csv::text::put(p, "null");
        } else {
          *p = '"';
          *end = '"';
          p = end + 1;
        }
      }
      *p++ = ',';
    }
    p[-1] = '}';
    out.commit(p);
  }

  std::string_view separator() const noexcept override { return "\n"; }

 private:
  csv::FieldWriter writer_;
  std::array<bool, json_field_count> quoted_{};
};

// A recursive-descent reader of flat objects: just enough JSON for flows.
class ObjectReader {
 public:
  explicit ObjectReader(std::string_view text) : text_(text) {}

  // Whether another object may follow.
  bool more() {
    skip_space();
    return !text_.empty();
  }

  // After a bad object: on to the line after the one it began on.
  void skip_line() {
    const auto end = object_.find('\n');
    text_ = end == std::string_view::npos ? std::string_view() : object_.substr(end + 1);
  }

  bool read(FlowRecord& flow) {
    object_ = text_;
    if (!take('{')) return false;
    skip_space();
    if (take('}')) return true;
    do {
      skip_space();
      std::string_view key;
      if (!read_string(key, key_buffer_)) return false;
      skip_space();
      if (!take(':')) return false;
      skip_space();
      if (!read_member(key, flow)) return false;
      skip_space();
    } while (take(','));
    return take('}');
  }

 private:
  bool read_member(std::string_view key, FlowRecord& flow) {
    const auto field = find_field(key);
    if (!field || static_cast<std::size_t>(*field) >= json_field_count) return skip_value(0);
    if (peek() == '"') {
      std::string_view value;
      return read_string(value, value_buffer_) && csv::parse_field_value(*field, value, flow);
    }
    if (text_.starts_with("null")) {
      text_.remove_prefix(4);
      return true;  // unset, as a missing key
    }
    const std::string_view number = take_number();
    return !number.empty() && csv::parse_field_value(*field, number, flow);
  }

  // A string's text; escapes decoded into `buffer` when there are any.
  bool read_string(std::string_view& out, std::string& buffer) {
    if (!take('"')) return false;
    const auto end = text_.find_first_of("\"\\");
    if (end == std::string_view::npos) return false;
    if (text_[end] == '"') {
      out = text_.substr(0, end);
      text_.remove_prefix(end + 1);
      return true;
    }
    buffer.assign(text_.substr(0, end));
    text_.remove_prefix(end);
    while (!text_.empty()) {
      const char c = text_.front();
      text_.remove_prefix(1);
      if (c == '"') {
        out = buffer;
        return true;
      }
      if (c != '\\') {
        if (static_cast<unsigned char>(c) < 0x20) return false;
        buffer += c;
        continue;
      }
      if (text_.empty()) return false;
      const char e = text_.front();
      text_.remove_prefix(1);
      switch (e) {
        case '"':
        case '\\':
        case '/': buffer += e; break;
        case 'b': buffer += '\b'; break;
        case 'f': buffer += '\f'; break;
        case 'n': buffer += '\n'; break;
        case 'r': buffer += '\r'; break;
        case 't': buffer += '\t'; break;
        case 'u':
          if (!read_unicode_escape(buffer)) return false;
          break;
        default: return false;
      }
    }
    return false;
  }

  // \uXXXX as UTF-8; a surrogate pair's halves are taken one by one (a
  // field's text is ASCII: such a value is refused by its field anyway).
  bool read_unicode_escape(std::string& buffer) {
    if (text_.size() < 4) return false;
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[static_cast<std::size_t>(i)];
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
      if (digit < 0) return false;
      code = code << 4 | static_cast<unsigned>(digit);
    }
    text_.remove_prefix(4);
    if (code < 0x80) {
      buffer += static_cast<char>(code);
    } else if (code < 0x800) {
      buffer += static_cast<char>(0xc0 | code >> 6);
      buffer += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      buffer += static_cast<char>(0xe0 | code >> 12);
      buffer += static_cast<char>(0x80 | (code >> 6 & 0x3f));
      buffer += static_cast<char>(0x80 | (code & 0x3f));
    }
    return true;
  }

  // The characters a JSON number may have; its grammar is the field's to check.
  std::string_view take_number() {
    std::size_t n = 0;
    while (n < text_.size() && (std::string_view("0123456789+-.eE").find(text_[n]) != std::string_view::npos)) ++n;
    const std::string_view number = text_.substr(0, n);
    text_.remove_prefix(n);
    return number;
  }

  // Any value of a key we don't know, nested ones included (to a depth).
  bool skip_value(int depth) {
    if (depth > 64) return false;
    const char c = peek();
    if (c == '"') {
      std::string_view ignored;
      return read_string(ignored, value_buffer_);
    }
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      text_.remove_prefix(1);
      skip_space();
      if (take(close)) return true;
      do {
        skip_space();
        if (close == '}') {
          std::string_view ignored;
          if (!read_string(ignored, key_buffer_)) return false;
          skip_space();
          if (!take(':')) return false;
          skip_space();
        }
        if (!skip_value(depth + 1)) return false;
        skip_space();
      } while (take(','));
      return take(close);
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (text_.starts_with(word)) {
        text_.remove_prefix(word.size());
        return true;
      }
    }
    return !take_number().empty();
  }

  char peek() const { return text_.empty() ? '\0' : text_.front(); }
  bool take(char c) {
    if (peek() != c) return false;
    text_.remove_prefix(1);
    return true;
  }
  void skip_space() {
    while (!text_.empty() &&
           (text_.front() == ' ' || text_.front() == '\n' || text_.front() == '\t' || text_.front() == '\r')) {
      text_.remove_prefix(1);
    }
  }

  std::string_view text_;
  std::string_view object_;  // from the start of the object being read
  std::string key_buffer_;
  std::string value_buffer_;
};

class JsonDecoder final : public Decoder {
 public:
  bool decode(std::string_view message, std::vector<FlowRecord>& out) override {
    ObjectReader reader(message);
    bool all = true;
    while (reader.more()) {
      FlowRecord flow;
      if (reader.read(flow)) {
        out.push_back(flow);
      } else {
        all = false;
        reader.skip_line();
      }
    }
    return all;
  }
};

}  // namespace

std::unique_ptr<Encoder> make_json_encoder(csv::TimeFormat time_format) {
  return std::make_unique<JsonEncoder>(time_format);
}
std::unique_ptr<Decoder> make_json_decoder() { return std::make_unique<JsonDecoder>(); }

}  // namespace sluice::flowcodec::detail
