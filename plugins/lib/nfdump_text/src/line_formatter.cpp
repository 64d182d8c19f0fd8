// `-o line`, `long`, `extended` and `fmt:`: a format string parsed once into
// tokens, each a column nfdump prints with its own width.
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "order.h"
#include "sluice/nfdump_text/formatters.h"
#include "sluice/nfdump_text/text.h"

namespace sluice::nfdump_text {

namespace {

// What every column of one flow's line needs.
struct Row {
  const FlowRecord& flow;
  const LineLayout& layout;
  bool ipv6;        // nfdump prints both addresses of a flow in one family
  double duration;  // seconds
};

template <class... Args>
void append(std::string& out, const char* format, Args... args) {
  char text[128];
  const int n = std::snprintf(text, sizeof text, format, args...);
  out.append(text, static_cast<std::size_t>(n > 0 ? n : 0));
}

std::string address_column(const Row& row, const IpAddress& a) { return address(a, row.ipv6, row.layout.long_v6); }

void address_and_port(std::string& out, const Row& row, const IpAddress& a, const std::string& port) {
  append(out, row.layout.long_v6 ? "%39s%c%-5s" : "%16s%c%-5s", address_column(row, a).c_str(), row.ipv6 ? '.' : ':',
         port.c_str());
}

// NSEL's (ASA's) translated address and port, which sluice's record does not
// keep: nfdump prints a record without them as IPv4 0.0.0.0:0, whatever the
// flow's family.
void untranslated_address_and_port(std::string& out, const Row& row) {
  append(out, row.layout.long_v6 ? "%39s%c%-5i" : "%16s%c%-5i", "0.0.0.0", ':', 0);
}

void counter(std::string& out, const Row& row, std::uint64_t value) {
  append(out, "%8s", number(value, true, row.layout.plain).c_str());
}

bool is_icmp(const FlowRecord& f) { return f.proto == 1 || f.proto == 58; }

// nfdump shows an ICMP flow's destination port as type.code.
std::string destination_port(const FlowRecord& f) {
  return is_icmp(f) ? std::to_string(f.dst_port >> 8) + "." + std::to_string(f.dst_port & 0xff)
                    : std::to_string(f.dst_port);
}

std::string flags(std::uint8_t bits) {
  char text[8];
  return std::string(text, static_cast<std::size_t>(csv::text::put_tcp_flags(text, bits) - text));
}

using Put = void (*)(std::string& out, const Row& row);

struct Token {
  std::string_view name;    // "%ts"
  std::string_view header;  // its column's title
  bool address;             // wider by 23 with -6
  Put put;
};

// Ordered so that a token comes before any token it is the beginning of
// (%sap before %sa), as nfdump matches them.
constexpr Token tokens[] = {
    {"%ts", "Date first seen        ", false,
     [](std::string& out, const Row& r) { out += local_time_ms(r.flow.first_ms); }},
    {"%te", "Date last seen         ", false,
     [](std::string& out, const Row& r) { out += local_time_ms(r.flow.last_ms); }},
    {"%td", "    Duration    ", false,
     [](std::string& out, const Row& r) {
       if (r.layout.plain)
         append(out, "%16.3f", r.duration);
       else
         out += duration(r.duration);
     }},
    {"%pr", "Proto", false, [](std::string& out, const Row& r) { out += protocol_text(r.flow.proto, r.layout.plain); }},
    {"%sap", "     Src IP Addr:Port ", true,
     [](std::string& out, const Row& r) {
       address_and_port(out, r, r.flow.src_addr, std::to_string(r.flow.src_port));
     }},
    {"%dap", "     Dst IP Addr:Port ", true,
     [](std::string& out, const Row& r) { address_and_port(out, r, r.flow.dst_addr, destination_port(r.flow)); }},
    {"%sa", "     Src IP Addr", true,
     [](std::string& out, const Row& r) {
       append(out, r.layout.long_v6 ? "%39s" : "%16s", address_column(r, r.flow.src_addr).c_str());
     }},
    {"%da", "     Dst IP Addr", true,
     [](std::string& out, const Row& r) {
       append(out, r.layout.long_v6 ? "%39s" : "%16s", address_column(r, r.flow.dst_addr).c_str());
     }},
    {"%sp", "Src Pt", false, [](std::string& out, const Row& r) { append(out, "%6u", unsigned{r.flow.src_port}); }},
    {"%dp", "Dst Pt", false,
     [](std::string& out, const Row& r) { append(out, "%6s", destination_port(r.flow).c_str()); }},
    {"%pkt", " Packets", false, [](std::string& out, const Row& r) { counter(out, r, r.flow.packets); }},
    {"%byt", "   Bytes", false, [](std::string& out, const Row& r) { counter(out, r, r.flow.bytes); }},
    {"%ipkt", "  In Pkt", false, [](std::string& out, const Row& r) { counter(out, r, r.flow.packets); }},
    {"%opkt", " Out Pkt", false, [](std::string& out, const Row& r) { counter(out, r, r.flow.reverse_packets); }},
    {"%ibyt", " In Byte", false, [](std::string& out, const Row& r) { counter(out, r, r.flow.bytes); }},
    {"%obyt", "Out Byte", false, [](std::string& out, const Row& r) { counter(out, r, r.flow.reverse_bytes); }},
    {"%fl", "Flows", false,
     [](std::string& out, const Row& r) { append(out, "%5llu", static_cast<unsigned long long>(r.flow.flows)); }},
    {"%flg", "   Flags", false,
     [](std::string& out, const Row& r) {
       append(out, "%8s", flags(r.flow.proto == 6 ? r.flow.tcp_flags : 0).c_str());
     }},
    {"%tos", "Tos", false, [](std::string& out, const Row& r) { append(out, "%3u", unsigned{r.flow.tos}); }},
    {"%bps", "     bps", false,
     [](std::string& out, const Row& r) {
       const auto bps =
           r.duration != 0 ? static_cast<std::uint64_t>(static_cast<double>(r.flow.bytes << 3) / r.duration) : 0;
       append(out, "%8s", number(bps, true, r.layout.plain).c_str());
     }},
    {"%pps", "     pps", false,
     [](std::string& out, const Row& r) {
       const auto pps =
           r.duration != 0 ? static_cast<std::uint64_t>(static_cast<double>(r.flow.packets) / r.duration) : 0;
       append(out, "%8s", number(pps, true, r.layout.plain).c_str());
     }},
    {"%bpp", "   Bpp", false,
     [](std::string& out, const Row& r) {
       append(out, "%6u", static_cast<unsigned>(r.flow.packets != 0 ? r.flow.bytes / r.flow.packets : 0));
     }},
    // NSEL and NEL (ASA firewall and NAT events): a record without their
    // elements, as every record sluice reads is, has event time 0, event 0
    // ("INVALID"), extended event 0 ("Ignore") and no translated addresses.
    {"%tevt", "Event time             ", false, [](std::string& out, const Row&) { out += local_time_ms(0); }},
    {"%evt", " Event", false, [](std::string& out, const Row&) { out += "INVALID"; }},
    {"%nevt", " Event", false, [](std::string& out, const Row&) { out += "INVALID"; }},
    {"%xevt", " XEvent", false, [](std::string& out, const Row&) { out += " Ignore"; }},
    {"%xsap", "   X-Src IP Addr:Port ", true, untranslated_address_and_port},
    {"%xdap", "   X-Dst IP Addr:Port ", true, untranslated_address_and_port},
    {"%nsap", "   X-Src IP Addr:Port ", true, untranslated_address_and_port},
    {"%ndap", "   X-Dst IP Addr:Port ", true, untranslated_address_and_port},
};

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A piece of the line: a token's column, or the text between tokens.
struct Piece {
  const Token* token = nullptr;
  std::string text;
};

// nfdump's parser: a token ends where no letter follows it; text runs to the next '%'.
std::vector<Piece> parse(std::string_view format) {
  std::vector<Piece> pieces;
  while (!format.empty()) {
    if (format.front() != '%') {
      const auto end = format.find('%');
      pieces.push_back({nullptr, std::string(format.substr(0, end))});
      format.remove_prefix(end == std::string_view::npos ? format.size() : end);
      continue;
    }
    const Token* found = nullptr;
    for (const Token& t : tokens)
      if (format.starts_with(t.name) && (format.size() == t.name.size() || !is_letter(format[t.name.size()]))) {
        found = &t;
        break;
      }
    if (!found) {
      std::size_t end = 1;
      while (end < format.size() && is_letter(format[end])) ++end;
      throw std::invalid_argument("the format token \"" + std::string(format.substr(0, end)) +
                                  "\" is not supported yet (docs/query.md lists those that are)");
    }
    pieces.push_back({found, {}});
    format.remove_prefix(found->name.size());
  }
  return pieces;
}

class LineFormatter final : public csv::Formatter {
 public:
  explicit LineFormatter(LineLayout layout)
      : layout_(std::move(layout)),
        pieces_(parse(layout_.format)),
        ranked_(layout_.order.value_or(Order::flows), layout_.top, layout_.totals_row) {}

  void header(csv::Buffer& out) override {
    if (!layout_.title.empty()) {
      titled_ = true;  // printed with the rows, if any come
      return;
    }
    column_header(out);
  }

  void column_header(csv::Buffer& out) const {
    if (pieces_.empty()) return;
    std::string line;
    for (const Piece& p : pieces_) {
      if (!p.token)
        line.append(p.text.size(), ' ');
      else
        line.append(layout_.long_v6 && p.token->address ? 23 : 0, ' ').append(p.token->header);
    }
    out.append(line + "\n");
  }

  void rows(std::span<const FlowRecord> flows, csv::Buffer& out) override {
    if (layout_.order) return ranked_.add(flows);
    for (const FlowRecord& f : flows) totals_.add(f);
    print(flows, out);
  }

  void trailer(csv::Buffer& out) override {
    if (layout_.order) {
      const auto rows = ranked_.take();
      if (titled_ && !rows.empty()) {
        out.append(layout_.title + "\n");
        column_header(out);
      }
      print(rows, out);
      totals_ = ranked_.take_totals();
    }
    if (totals_.flows == 0 && layout_.no_match) out.append("No matching flows\n");
    if (layout_.summary) out.append(summary_line(totals_, layout_.plain));
    totals_ = {};
  }

 private:
  void print(std::span<const FlowRecord> flows, csv::Buffer& out) const {
    if (pieces_.empty()) return;
    std::string line;
    for (const FlowRecord& f : flows) {
      line.clear();
      const Row row{f, layout_, !(f.src_addr.is_v4() && f.dst_addr.is_v4()), duration_of(f.first_ms, f.last_ms)};
      for (const Piece& p : pieces_) {
        if (p.token)
          p.token->put(line, row);
        else
          line += p.text;
      }
      line += '\n';
      out.append(line);
    }
  }

  LineLayout layout_;
  std::vector<Piece> pieces_;
  RankedRows ranked_;         // with an order: the file's rows until it closes
  bool titled_ = false;       // the title and the column header wait for the rows
  nffile::FileStats totals_;  // without: of the rows printed
};

}  // namespace

std::optional<std::string_view> named_format(std::string_view name) noexcept {
  if (name == "line") return "%ts %td %pr %sap -> %dap %pkt %byt %fl";
  if (name == "long") return "%ts %td %pr %sap -> %dap %flg %tos %pkt %byt %fl";
  if (name == "extended") return "%ts %td %pr %sap -> %dap %flg %tos %pkt %byt %pps %bps %bpp %fl";
  if (name == "biline") return "%ts %td %pr %sap <-> %dap %opkt %ipkt %obyt %ibyt %fl";
  if (name == "bilong") return "%ts %td %pr %sap <-> %dap %flg %tos %opkt %ipkt %obyt %ibyt %fl";
  if (name == "nsel") return "%tevt %evt %xevt %pr %sap -> %dap %xsap -> %xdap %ibyt %obyt";
  if (name == "nel") return "%tevt %nevt %pr %sap -> %dap %nsap -> %ndap";
  if (name == "null") return "";
  return std::nullopt;
}

std::unique_ptr<csv::Formatter> make_line_formatter(LineLayout layout) {
  return std::make_unique<LineFormatter>(std::move(layout));
}

}  // namespace sluice::nfdump_text
