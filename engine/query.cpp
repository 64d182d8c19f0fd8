#include "query.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "config.h"
#include "text.h"

namespace sluice::engine {

namespace {

// nfdump's options, the ones sluice takes and the ones it does not yet: one
// table for the parser, the help and the refusal.
struct OptionInfo {
  char letter;
  bool takes_value;
  bool supported;
  std::string_view help;
};

constexpr OptionInfo nfdump_options[] = {
    {'r', true, true, "-r FILE      read an nfcapd file"},
    {'R', true, true,
     "-R DIR       read every nfcapd file under DIR in name (time) order; DIR/FIRST:LAST those from FIRST to LAST, "
     "DIR/FIRST from FIRST on"},
    {'M', true, true,
     "-M DIR1:DIR2 read the files -R names in each folder: /base/DIR1:DIR2 is /base/DIR1 and /base/DIR2; "
     "-R . all of them, -R FIRST:LAST a range"},
    {'t', true, true,
     "-t WINDOW    only flows within FIRST[-LAST] (local times YYYY/MM/DD.hh:mm:ss, or shorter down to YYYY): "
     "starting at or after FIRST, ending at or before LAST"},
    {'f', true, true, "-f FILE      read the filter from FILE"},
    {'c', true, true, "-c N         stop after N matching flows"},
    {'o', true, true,
     "-o MODE      nsel (the default), line, long, extended, biline, bilong, nel, null, pipe, fmt:TOKENS, json, raw "
     "(text_writer; raw: not with a filter or -t) or csv (csv_writer; -s tables: text_writer); MODE6: with -6"},
    {'s', true, true,
     "-s ELEMENT[/ORDER...]  the top keys of ELEMENT by ORDER (flows, packets, bytes, pps, bps, bpp; several: a "
     "table each); ip, port, as, if, mask, vlan: either side of each flow; record: the top flows (summed as -a or -A "
     "sums them; -o line); several -s: one table each, in one pass"},
    {'n', true, true, "-n N         rows of an -s table (default 10; 0: all), or of -O's ranking (default all)"},
    {'w', true, true, "-w FILE      write the selected flows to FILE, an nfcapd file, instead of printing them"},
    {'q', false, true, "-q           no header and no summary lines"},
    {'N', false, true, "-N           plain numbers, not scaled to 1.8 M"},
    {'6', false, true, "-6           IPv6 addresses whole, not shortened"},
    {'A', true, true,
     "-A FIELDS    sum flows by FIELDS (srcip,dstip,srcport,dstport,proto,srcas,dstas,inif,outif,tos; srcip4/24, "
     "srcip6/64, dstip4/N, dstip6/N: the address masked); -o line prints them as flows"},
    {'O', true, true,
     "-O ORDER     print in ORDER: flows, packets, bytes, pps, bps, bpp (largest first), tstart, tend"},
    {'a', false, true,
     "-a           sum flows of the same 5-tuple (srcip, dstip, srcport, dstport, proto); give -o line"},
    {'b', false, false, "-b           bidirectional aggregation"},
    {'B', false, false, "-B           bidirectional aggregation, guessing the direction"},

    {'I', false, true,
     "-I           the files' statistics records (their appendices), summed, with the first file's ident; "
     "nothing else"},
    {'l', true, false, "-l LIMIT     packet limit"},
    {'L', true, false, "-L LIMIT     byte limit"},
    {'C', true, false, "-C FILE      nfdump's config file"},
    {'D', true, false, "-D DNS       name server"},
    {'E', true, false, "-E FILE      exporter and sampling information"},
    {'G', true, false, "-G FILE      geo database"},
    {'g', false, false, "-g           gnuplot lines"},
    {'i', true, false, "-i IDENT     change a file's ident"},
    {'J', true, false, "-J N         change a file's compression"},
    {'j', false, false, "-j           BZ2-compress -w output"},
    {'y', false, false, "-y           LZ4-compress -w output"},
    {'z', false, false, "-z           LZO-compress -w output"},
    {'m', false, false, "-m           (deprecated)"},
    {'T', false, false, "-T           (tags)"},
    {'v', true, false, "-v FILE      verify a file"},
    {'x', true, false, "-x FILE      verify extension records"},
    {'X', false, false, "-X           dump the filter table"},
    {'Z', false, false, "-Z           check the filter's syntax"},
    {'V', false, false, "-V           version"},
};

const OptionInfo* find_option(char letter) {
  for (const OptionInfo& o : nfdump_options)
    if (o.letter == letter) return &o;
  return nullptr;
}

// nfdump's element names of -s and -A: the field an aggregate keys, and
// (-A) the format token that prints it.
struct Element {
  std::string_view name, field, token;
  bool either_side = false;  // -s: the flow counted under its source and its destination side
};

constexpr Element stat_elements[] = {
    {"srcip", "src_addr", ""},      {"dstip", "dst_addr", ""},    {"nhip", "next_hop", ""},
    {"router", "exporter", ""},     {"srcport", "src_port", ""},  {"dstport", "dst_port", ""},
    {"proto", "proto", ""},         {"tos", "tos", ""},           {"srctos", "tos", ""},
    {"dsttos", "dst_tos", ""},      {"dir", "direction", ""},     {"srcas", "src_as", ""},
    {"dstas", "dst_as", ""},        {"inif", "in_if", ""},        {"outif", "out_if", ""},
    {"srcmask", "src_mask", ""},    {"dstmask", "dst_mask", ""},  {"srcvlan", "src_vlan", ""},
    {"dstvlan", "dst_vlan", ""},    {"ip", "src_addr", "", true}, {"port", "src_port", "", true},
    {"as", "src_as", "", true},     {"if", "in_if", "", true},    {"mask", "src_mask", "", true},
    {"vlan", "src_vlan", "", true}, {"record", "", ""},
};

constexpr Element aggregate_elements[] = {
    {"srcip", "src_addr", "%sa"},   {"dstip", "dst_addr", "%da"}, {"srcport", "src_port", "%sp"},
    {"dstport", "dst_port", "%dp"}, {"proto", "proto", "%pr"},    {"srcas", "src_as", "%sas"},
    {"dstas", "dst_as", "%das"},    {"inif", "in_if", "%in"},     {"outif", "out_if", "%out"},
    {"tos", "tos", "%tos"},
};

// The element of that name; else a usage error beginning `context` that lists the names.
const Element& find_element(std::span<const Element> elements, std::string_view name, std::string_view context) {
  for (const Element& e : elements)
    if (e.name == name) return e;
  std::string names;
  for (const Element& e : elements) names += (names.empty() ? "" : ", ") + std::string(e.name);
  throw QueryUsageError(fmt::format("{}: \"{}\" is not supported (yet); sluice takes {}", context, name, names));
}

// One part of -A's key: the element, and the aggregate's key text (the field,
// with prefix lengths for a mask).
struct KeyPart {
  const Element* element;
  std::string key;
};

// One -s table.
struct Stat {
  const Element* element;
  std::string order;

  // -s record: the top flows (summed as -a or -A sums them) as lines.
  bool of_flows() const { return element->field.empty(); }
};

// What the command line asks for, before it becomes a pipeline.
struct Request {
  std::string input;                  // a file or a folder
  std::string listen, listen_sflow;   // --listen, --listen-sflow: live flows instead
  bool range = false;                 // -R: input may name a range
  std::vector<std::string> folders;   // -M
  std::string first_file, last_file;  // -R's range in the folder(s)
  std::string from, until;            // -t
  std::string write;                  // -w
  std::string filter;
  std::optional<std::uint64_t> count;
  std::string mode;                // -o
  std::vector<Stat> stats;         // -s, in the order given
  std::vector<KeyPart> aggregate;  // -A, in the order given
  bool five_tuple = false;         // -a (-A implies it)
  std::string print_order;         // -O
  std::optional<std::uint64_t> top;
  bool quiet = false, plain = false, long_v6 = false;
  bool file_statistics = false;                      // -I
  std::optional<std::chrono::milliseconds> run_for;  // --for

  bool live() const { return !listen.empty() || !listen_sflow.empty(); }
};

std::uint64_t number_of(char letter, std::string_view value) {
  std::uint64_t n = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (error != std::errc() || end != value.data() + value.size())
    throw QueryUsageError(fmt::format("-{} takes a number, not \"{}\"", letter, value));
  return n;
}

std::string read_filter_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw QueryUsageError("-f " + path + ": cannot read the filter file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// -s ELEMENT[/ORDER[/ORDER...]]: a table for each order, in nfdump's order
// of orders (flows, packets, bytes, pps, bps, bpp), whatever order they came in.
void add_stat(Request& r, std::string_view value) {
  const auto slash = value.find('/');
  const std::string_view element = value.substr(0, slash);
  std::string_view asked = slash == std::string_view::npos ? "flows" : value.substr(slash + 1);
  const Element& known = find_element(stat_elements, element, fmt::format("-s {}", value));
  constexpr std::string_view orders[] = {"flows", "packets", "bytes", "pps", "bps", "bpp"};
  std::vector<std::string_view> wanted;
  while (!asked.empty()) {
    const std::string_view order = asked.substr(0, asked.find('/'));
    asked.remove_prefix(std::min(asked.size(), order.size() + 1));
    if (std::find(std::begin(orders), std::end(orders), order) == std::end(orders))
      throw QueryUsageError(
          fmt::format("-s {}: the order \"{}\" is not supported (yet); sluice takes flows, packets, bytes, pps, bps "
                      "or bpp",
                      value, order));
    wanted.push_back(order);
  }
  for (const std::string_view order : orders)
    if (std::find(wanted.begin(), wanted.end(), order) != wanted.end()) r.stats.push_back({&known, std::string(order)});
}

// -R DIR, DIR/FIRST:LAST (the files from FIRST to LAST) or DIR/FIRST (from
// FIRST to the end), as nfdump reads them.
void set_range(Request& r) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(r.input, ec)) return;
  const auto colon = r.input.find(':');
  const fs::path first(r.input.substr(0, colon));
  if (colon != std::string::npos) r.last_file = r.input.substr(colon + 1);
  r.input = first.parent_path().string();
  r.first_file = first.filename().string();
  if (r.input.empty()) r.input = ".";
}

// -M /base/DIR1:DIR2 -R ...: the folders /base/DIR1 and /base/DIR2, and -R
// naming files in each: "." all of them, FIRST:LAST or FIRST a range.
void set_folders(Request& r, std::string_view dirs) {
  const auto slash = dirs.substr(0, dirs.find(':')).rfind('/');
  const std::string base = slash == std::string_view::npos ? "." : std::string(dirs.substr(0, slash));
  if (slash != std::string_view::npos) dirs.remove_prefix(slash + 1);
  while (!dirs.empty()) {
    const std::string_view name = dirs.substr(0, dirs.find(':'));
    dirs.remove_prefix(std::min(dirs.size(), name.size() + 1));
    r.folders.push_back(base + "/" + std::string(name));
  }
}

void set_input(Request& r) {
  if (r.folders.empty()) {
    if (r.range) set_range(r);
    return;
  }
  if (!r.range) throw QueryUsageError("-M with -r is not supported yet: give -M DIRS -R FILES");
  if (r.input.starts_with('/')) throw QueryUsageError("-M DIRS -R FILES: FILES names files in each folder, not a path");
  if (r.input != ".") {
    const auto colon = r.input.find(':');
    r.first_file = r.input.substr(0, colon);
    if (colon != std::string::npos) r.last_file = r.input.substr(colon + 1);
  }
  r.input.clear();
}

// -t FIRST-LAST or FIRST; the reader reads the times.
void set_window(Request& r, std::string_view value) {
  if (value.starts_with('+') || value.starts_with('-'))
    throw QueryUsageError(
        fmt::format("-t {}: windows relative to the files (+SECONDS, -SECONDS) are not supported yet", value));
  const auto dash = value.find('-');
  r.from = value.substr(0, dash);
  if (dash != std::string_view::npos) r.until = value.substr(dash + 1);
}

// -A srcip4/N, dstip6/N ...: nfdump masks the address's 128 bits, an IPv4
// address being the low 32: srcip4/N keeps IPv4 /N and IPv6 /(96+N),
// srcip6/N keeps IPv6 /N and of IPv4 the N-96 bits beyond 96 (none up to /96).
KeyPart masked_part(std::string_view name, std::string_view context) {
  const auto slash = name.find('/');
  const std::string_view element = name.substr(0, slash),
                         family = element.substr(std::min<std::size_t>(element.size(), 5));
  unsigned bits = 0;
  const std::string_view length = name.substr(slash + 1);
  const auto [end, error] = std::from_chars(length.data(), length.data() + length.size(), bits);
  const bool v4 = family == "4", v6 = family == "6";
  if (!(element.starts_with("srcip") || element.starts_with("dstip")) || !(v4 || v6) || error != std::errc() ||
      end != length.data() + length.size() || bits < 1 || bits > (v4 ? 32u : 128u))
    throw QueryUsageError(
        fmt::format("{}: \"{}\" is not a mask sluice takes (srcip4/1..32, srcip6/1..128, dstip4/..., "
                    "dstip6/...)",
                    context, name));
  const Element& address = find_element(aggregate_elements, element.substr(0, 5), context);
  const unsigned ipv4_bits = v4 ? bits : bits > 96 ? bits - 96 : 0, ipv6_bits = v4 ? 96 + bits : bits;
  return {&address, fmt::format("{}/{}/{}", address.field, ipv4_bits, ipv6_bits)};
}

void set_aggregate(Request& r, std::string_view value) {
  const std::string context = fmt::format("-A {}", value);
  while (!value.empty()) {
    const std::string_view name = value.substr(0, value.find(','));
    value.remove_prefix(std::min(value.size(), name.size() + 1));
    if (name.find('/') != std::string_view::npos) {
      r.aggregate.push_back(masked_part(name, context));
      continue;
    }
    const Element& element = find_element(aggregate_elements, name, context);
    r.aggregate.push_back({&element, std::string(element.field)});
  }
}

// -o as nfdump reads it: a name in any case, NAME6 being NAME with -6; a
// format given without "fmt:" but starting with '%' is one.
void set_mode(Request& r, std::string_view value) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (value.starts_with('%') || lower.starts_with("fmt:")) {
    r.mode = "fmt:" + std::string(value.substr(value.starts_with('%') ? 0 : 4));
    return;
  }
  r.mode = lower;
  if (r.mode.size() > 2 && r.mode.back() == '6') {
    r.mode.pop_back();
    r.long_v6 = true;
  }
}

void apply(Request& r, char letter, std::string_view value) {
  switch (letter) {
    case 'r':
    case 'R':
      if (!r.input.empty()) throw QueryUsageError("give one -r FILE or -R DIR");
      r.input = value;
      r.range = letter == 'R';
      break;
    case 'M': set_folders(r, value); break;
    case 't': set_window(r, value); break;
    case 'w': r.write = value; break;
    case 'f': r.filter = read_filter_file(std::string(value)); break;
    case 'c': r.count = number_of(letter, value); break;
    case 'o': set_mode(r, value); break;
    case 's': add_stat(r, value); break;
    case 'A': set_aggregate(r, value); break;
    case 'a': r.five_tuple = true; break;
    case 'O': r.print_order = value; break;
    case 'n': r.top = number_of(letter, value); break;
    case 'q': r.quiet = true; break;
    case 'N': r.plain = true; break;
    case '6': r.long_v6 = true; break;
    case 'I': r.file_statistics = true; break;
    default: break;
  }
}

// --listen ADDR:PORT, --listen-sflow ADDR:PORT, --for DURATION (or --NAME=VALUE).
void apply_long(Request& r, std::string_view arg, std::span<const std::string_view> args, std::size_t& i) {
  const auto equals = arg.find('=');
  const std::string_view name = arg.substr(0, equals);
  if (name != "--listen" && name != "--listen-sflow" && name != "--for")
    throw QueryUsageError(fmt::format("unknown option {}", arg));
  std::string_view value;
  if (equals != std::string_view::npos)
    value = arg.substr(equals + 1);
  else if (i + 1 < args.size())
    value = args[++i];
  else
    throw QueryUsageError(fmt::format("{} needs a value", name));
  if (name == "--listen") {
    r.listen = value;
  } else if (name == "--listen-sflow") {
    r.listen_sflow = value;
  } else {
    auto parsed = parse_run_duration(value);
    if (!parsed.duration) throw QueryUsageError(parsed.error);
    r.run_for = parsed.duration;
  }
}

// TOML's basic string.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\')
      out += fmt::format("\\{}", c);
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    else
      out += c;
  }
  return out + '"';
}

// -A without -o prints what nfdump prints: time and duration, the key's
// columns, then the counts; with -o, that layout of the summed flows.
std::string line_format(const Request& r) {
  if (r.aggregate.empty() || !r.mode.empty()) return r.mode;
  std::string keys;
  for (const auto& part : r.aggregate) keys += fmt::format("{} ", part.element->token);
  return fmt::format("fmt:%ts %td  {} %pkt %byt %bps %bpp %fl", keys);
}

bool aggregates(const Request& r) { return !r.stats.empty() || !r.aggregate.empty() || r.five_tuple; }

// The aggregate that sums the flows of `inputs` (a TOML list's items) by
// `key`; `more` adds options.
// nfdump keeps every key: so does the aggregate, up to its option's bound
// (the table grows as keys come, so the bound costs nothing until reached).
std::string aggregate_of(const Request& r, const std::string& name, const std::string& inputs, const std::string& key,
                         const std::string& more) {
  return fmt::format(
      "[transforms.{}]\nplugin = \"aggregate\"\ninputs = [{}]\nkey = [{}]\ninterval = \"0s\"\n"
      "max_keys = 1000000000\n{}{}\n",
      name, inputs, key, more, r.count ? fmt::format("limit = {}\n", *r.count) : "");
}

// An aggregate sends only its top `top` rows when it can rank by the
// printed order (the text_writer ranks them again), then its bin's totals,
// which the shares and the Summary line are of: a bin of a million keys
// leaves as a few rows. Empty when it cannot (top 0, pps, bps, bpp, tstart ...).
std::string ranking_options(std::size_t top, std::string_view order) {
  constexpr std::string_view ranked[] = {"flows", "packets", "bytes"};
  if (top == 0 || std::find(std::begin(ranked), std::end(ranked), order) == std::end(ranked)) return "";
  return fmt::format("top = {}\norder = {}\ntotals = true\n", top, toml_string(order));
}

// The key -a or -A sums flows by.
std::string flow_key(const Request& r) {
  std::string key = r.aggregate.empty() ? R"("src_addr", "dst_addr", "src_port", "dst_port", "proto")" : "";
  for (const auto& part : r.aggregate) key += (key.empty() ? "" : ", ") + toml_string(part.key);
  return key;
}

// A table's aggregate sends its bin's totals after its rows in any case.
std::string table_aggregate_options(const Request& r, const Stat& stat) {
  const std::string options = stat.element->either_side ? "either_side = true\n" : "";
  const std::string ranking = ranking_options(r.top.value_or(10), stat.order);
  return options + (ranking.empty() ? "totals = true\n" : ranking);
}

// -A and -a: the aggregate ranks when -O and -n let it.
std::string flow_aggregate_options(const Request& r) { return ranking_options(r.top.value_or(0), r.print_order); }

// A table's text_writer lines: nfdump's table of the element, or (-s
// record) the top flows in the -o layout, under nfdump's title.
std::string table_layout(const Request& r, const Stat& stat) {
  if (stat.of_flows()) {
    const std::string top = r.top.value_or(10) == 0 ? "" : fmt::format("{} ", r.top.value_or(10));
    return fmt::format("format = {}\ntitle = {}\n", toml_string(r.mode),
                       toml_string(fmt::format("Top {}flows ordered by {}:", top, stat.order)));
  }
  return fmt::format("stat = {}\n{}{}", toml_string(stat.element->field), r.mode == "csv" ? "format = \"csv\"\n" : "",
                     stat.element->either_side ? "either_side = true\n" : "");
}

// Each -s table: an aggregate by its element and a text_writer printing it.
// One table prints to stdout; several to their files, which the command
// prints in order after the run (nfdump's Summary line ends the last).
std::string tables_of(const Request& r, const std::string& inputs, std::span<const std::string> files) {
  std::string toml;
  for (std::size_t i = 0; i < r.stats.size(); ++i) {
    const Stat& stat = r.stats[i];
    const std::string suffix = files.empty() ? "" : fmt::format("_{}", i + 1);
    const std::string key = stat.of_flows() ? flow_key(r) : toml_string(stat.element->field);
    toml += aggregate_of(r, "sum" + suffix, inputs, key, table_aggregate_options(r, stat));
    toml += fmt::format(
        "[sinks.print{}]\nplugin = \"text_writer\"\ninputs = [\"sum{}\"]\npath = {}\n{}{}order = {}\n"
        "top = {}\ntotals = \"last_row\"\nlong_v6 = {}\nplain_numbers = {}\nheader = {}\nsummary = {}\n",
        suffix, suffix, toml_string(files.empty() ? "-" : files[i]), table_layout(r, stat),
        i == 0 ? "" : "no_match = false\n", toml_string(stat.order), r.top.value_or(10), r.long_v6, r.plain,
        !r.quiet || r.mode == "csv", !r.quiet && i + 1 == r.stats.size());
    if (i + 1 < r.stats.size()) toml += "\n";
  }
  return toml;
}

std::string sink_of(const Request& r, const std::string& inputs) {
  const std::string limit = r.count && !aggregates(r) ? fmt::format("limit = {}\n", *r.count) : "";
  // nfdump prints no Summary line after its JSON array or pipe lines.
  const std::string header =
      fmt::format("header = {}\nsummary = {}\n", !r.quiet, !r.quiet && r.mode != "json" && r.mode != "pipe");
  if (!r.write.empty())
    return fmt::format("[sinks.write]\nplugin = \"binary_writer\"\ninputs = [{}]\npath = {}\n{}", inputs,
                       toml_string(r.write), limit);
  if (r.mode == "csv")
    return fmt::format("[sinks.print]\nplugin = \"csv_writer\"\ninputs = [{}]\npath = \"-\"\nlayout = \"nfdump\"\n{}{}",
                       inputs, header, limit);
  const bool totals_row = aggregates(r) && !flow_aggregate_options(r).empty();
  const std::string order = r.print_order.empty()
                                ? ""
                                : fmt::format("order = {}\ntop = {}\n{}", toml_string(r.print_order), r.top.value_or(0),
                                              totals_row ? "totals = \"last_row\"\n" : "");
  return fmt::format(
      "[sinks.print]\nplugin = \"text_writer\"\ninputs = [{}]\npath = \"-\"\nformat = {}\nlong_v6 = {}\n"
      "plain_numbers = {}\n{}{}{}",
      inputs, toml_string(line_format(r)), r.long_v6, r.plain, header, order, limit);
}

// Files, or live flows for a while.
void check_input(const Request& r) {
  const bool files = !r.input.empty() || !r.folders.empty();
  if (!files && !r.live()) throw QueryUsageError("which flows? give -r FILE, -R DIR or --listen ADDR:PORT");
  if (files && r.live()) throw QueryUsageError("give files (-r, -R, -M) or --listen, not both");
  if (r.run_for && !r.live()) throw QueryUsageError("--for needs --listen: files end by themselves");
  if (r.live() && !r.from.empty())
    throw QueryUsageError("-t with --listen is not supported: live flows are of now (filter on their times instead)");
}

// -s tables of keys print as text (whatever text layout -o names) or -o
// csv; -s record prints flows, summed as -a or -A sums them, as -o line.
void check_tables(const Request& r) {
  const auto of_flows = [](const Stat& s) { return s.of_flows(); };
  const bool flow_tables = std::any_of(r.stats.begin(), r.stats.end(), of_flows);
  const bool key_tables = !std::all_of(r.stats.begin(), r.stats.end(), of_flows);
  if (key_tables && !r.aggregate.empty()) throw QueryUsageError("-s with -A is not supported yet (but -s record)");
  if (key_tables && r.five_tuple) throw QueryUsageError("-a with -s is not supported yet (but -s record)");
  constexpr std::string_view table_modes[] = {"",       "csv",    "line", "long", "extended",
                                              "biline", "bilong", "nsel", "nel",  "null"};
  if (key_tables && std::find(std::begin(table_modes), std::end(table_modes), r.mode) == std::end(table_modes))
    throw QueryUsageError(
        fmt::format("-o {} with -s is not supported yet: sluice prints -s tables as text or -o csv", r.mode));
  // Summed flows keep no TCP flags: only -o line prints them as nfdump does.
  if (flow_tables && r.mode != "line")
    throw QueryUsageError(fmt::format("-s record{} is not supported yet: give -o line",
                                      r.mode.empty() ? " without -o" : " with -o " + r.mode));
}

void check(const Request& r) {
  check_input(r);
  check_tables(r);
  if (aggregates(r) && !r.write.empty()) throw QueryUsageError("-w with -s or -A is not supported yet");
  if (!r.print_order.empty() && !r.stats.empty()) throw QueryUsageError("-O applies to flows or -A, not -s");
  constexpr std::string_view print_orders[] = {"flows", "packets", "bytes", "pps", "bps", "bpp", "tstart", "tend"};
  if (!r.print_order.empty() &&
      std::find(std::begin(print_orders), std::end(print_orders), r.print_order) == std::end(print_orders))
    throw QueryUsageError(
        fmt::format("-O {} is not supported (yet): sluice orders by flows, packets, bytes, pps, bps, "
                    "bpp, tstart or tend",
                    r.print_order));
  if (r.top && r.stats.empty() && r.print_order.empty())
    throw QueryUsageError("-n needs -s or -O (nfdump prints every flow otherwise)");
  if (!r.stats.empty()) return;
  if (!r.write.empty()) {
    if (!r.print_order.empty()) throw QueryUsageError("-w with -O is not supported yet");
    return;  // nfdump prints nothing but writes the flows
  }
  // The flows of -a printed in nfdump's default layout, nsel, show their summed out bytes.
  if (r.mode.empty() && r.aggregate.empty())
    throw QueryUsageError(
        "-a without -o is not supported yet: nfdump prints the sums as -o nsel, whose out bytes sluice's aggregate "
        "does not sum; give -o line");
  constexpr std::string_view modes[] = {"nsel", "line", "long", "extended", "biline", "bilong",
                                        "nel",  "null", "pipe", "csv",      "json",   "raw"};
  if (!r.mode.empty() && std::find(std::begin(modes), std::end(modes), r.mode) == std::end(modes) &&
      !r.mode.starts_with("fmt:"))
    throw QueryUsageError(
        fmt::format("-o {} is not supported yet: sluice prints nsel, line, long, extended, biline, "
                    "bilong, nel, null, pipe, fmt:..., csv, json and raw",
                    r.mode));
  // nfdump's RecordCount numbers every flow it read, those a selection
  // dropped too: nothing a printed flow carries says that number.
  if (r.mode == "raw" && (!r.filter.empty() || !r.from.empty()))
    throw QueryUsageError(
        "-o raw with a filter or -t is not supported: nfdump's RecordCount counts the flows "
        "they drop, which sluice does not carry to the output");
  if ((r.mode == "csv" || r.mode == "json" || r.mode == "raw" || r.mode == "pipe") && !r.print_order.empty())
    throw QueryUsageError(fmt::format("-O with -o {} is not supported yet", r.mode));
  // Summed flows keep no TCP flags and, without an address in the key, no family: only -o line prints as nfdump.
  if (aggregates(r) && !r.mode.empty() && r.mode != "line")
    throw QueryUsageError(fmt::format("-o {} with -a or -A is not supported yet: sluice prints -o line", r.mode));
}

// The binary_reader of the files -r, -R or -M name.
std::string reader_of(const Request& r) {
  std::string toml = "[sources.read]\nplugin = \"binary_reader\"\n";
  if (r.folders.empty()) {
    toml += fmt::format("path = {}\n", toml_string(r.input));
  } else {
    std::string folders;
    for (const auto& f : r.folders) folders += (folders.empty() ? "" : ", ") + toml_string(f);
    toml += fmt::format("folders = [{}]\n", folders);
  }
  if (!r.first_file.empty()) toml += fmt::format("first = {}\n", toml_string(r.first_file));
  if (!r.last_file.empty()) toml += fmt::format("last = {}\n", toml_string(r.last_file));
  return toml;
}

// The regular files under the folders -R or -M name, all of them: a range,
// or names the reader skips, only leave an instance with less to read, and
// one with no file ends at once.
std::size_t files_under(const Request& r) {
  namespace fs = std::filesystem;
  std::vector<std::string> folders = r.folders;
  if (folders.empty()) folders.push_back(r.input);
  std::size_t files = 0;
  std::error_code ec;
  for (const auto& folder : folders)
    for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec)) ++files;
  return files;
}

// Readers of several files at once (binary_reader `instances`), where what
// is printed does not depend on the order of the flows: -s tables, and -A/-a
// ranked by -O (sums, the earliest first and the latest last time; the
// aggregate's top N breaks ties by the key). Not for flows printed or
// written as they come, nor with -c (which flows are the first N). One a
// core the process may use, at most one a file.
unsigned readers_of(const Request& r) {
  const bool order_free = !r.stats.empty() || (aggregates(r) && !r.print_order.empty());
  if (!order_free || r.count || !r.write.empty() || (!r.range && r.folders.empty())) return 1;
  return static_cast<unsigned>(std::clamp<std::size_t>(files_under(r), 1, usable_cores()));
}

// -I: the reader opens the files for their statistics only and passes no
// flows: a pipeline needs a sink, and this one prints nothing.
std::string statistics_pipeline_of(const Request& r) {
  return reader_of(r) +
         "statistics_only = true\n\n[sinks.none]\nplugin = \"csv_writer\"\ninputs = [\"read\"]\npath = \"-\"\n"
         "header = false\n";
}

// The collectors of --listen (NetFlow v5/v9/IPFIX) and --listen-sflow.
std::string collectors_of(const Request& r) {
  std::string toml;
  if (!r.listen.empty())
    toml += fmt::format("[sources.listen]\nplugin = \"netflow_udp\"\nlisten = {}\n\n", toml_string(r.listen));
  if (!r.listen_sflow.empty())
    toml += fmt::format("[sources.listen_sflow]\nplugin = \"sflow_udp\"\nlisten = {}\n\n", toml_string(r.listen_sflow));
  return toml;
}

// The sources' names as a TOML list's items.
std::string source_names(const Request& r) {
  if (!r.live()) return "\"read\"";
  if (r.listen.empty()) return "\"listen_sflow\"";
  return r.listen_sflow.empty() ? "\"listen\"" : "\"listen\", \"listen_sflow\"";
}

std::string sources_of(const Request& r) {
  if (r.live()) return collectors_of(r);
  std::string toml = reader_of(r);
  if (const unsigned readers = readers_of(r); readers > 1) toml += fmt::format("instances = {}\n", readers);
  if (!r.from.empty()) toml += fmt::format("from = {}\n", toml_string(r.from));
  if (!r.until.empty()) toml += fmt::format("until = {}\n", toml_string(r.until));
  return toml + "\n";
}

std::string pipeline_of(const Request& r, std::span<const std::string> table_files) {
  std::string toml = sources_of(r);
  std::string last = source_names(r);
  if (!r.filter.empty()) {
    toml += fmt::format("[transforms.filter]\nplugin = \"filter\"\ninputs = [{}]\nexpression = {}\n\n", last,
                        toml_string(r.filter));
    last = "\"filter\"";
  }
  if (!r.stats.empty()) return toml + tables_of(r, last, table_files);
  if (aggregates(r)) {
    toml += aggregate_of(r, "sum", last, flow_key(r), flow_aggregate_options(r));
    last = "\"sum\"";
  }
  return toml + sink_of(r, last);
}

// Whether a metric is `component`'s, or one of its instances' (ID#0, ID#1 ...).
bool is_of(const MetricsRegistry::Value& v, std::string_view component) {
  return std::any_of(v.labels.begin(), v.labels.end(), [&](const auto& l) {
    return l.first == "component_id" && (l.second == component || l.second.starts_with(std::string(component) + '#'));
  });
}

// The metric `name` of `component` (each of its instances'), with `label`
// when one is given: the first found, or a fold of all of them.
const MetricsRegistry::Value* find_metric(MetricValues metrics, std::string_view name, std::string_view component,
                                          std::pair<std::string_view, std::string_view> label = {}) {
  const auto has = [&](const MetricsRegistry::Value& v) {
    return std::any_of(v.labels.begin(), v.labels.end(),
                       [&](const auto& l) { return l.first == label.first && l.second == label.second; });
  };
  for (const auto& v : metrics)
    if (v.name == name && is_of(v, component) && (label.first.empty() || has(v))) return &v;
  return nullptr;
}

template <typename Fold>
double fold_metric(MetricValues metrics, std::string_view name, std::string_view component, Fold fold) {
  double result = 0;
  for (const auto& v : metrics)
    if (v.name == name && is_of(v, component)) result = fold(result, v.value);
  return result;
}

// The metric summed over the component's instances; 0 when the run has none.
double metric_value(MetricValues metrics, std::string_view name, std::string_view component,
                    std::pair<std::string_view, std::string_view> label = {}) {
  if (label.first.empty()) return fold_metric(metrics, name, component, std::plus<>());
  const auto* found = find_metric(metrics, name, component, label);
  return found ? found->value : 0;
}

// The value of the label `label_name` of the metric; "" without one.
std::string label_value(MetricValues metrics, std::string_view name, std::string_view component,
                        std::string_view label_name) {
  if (const auto* found = find_metric(metrics, name, component))
    for (const auto& [label, value] : found->labels)
      if (label == label_name) return value;
  return "";
}

// A time as nfdump prints its time window: local, to the second.
std::string local_time(std::uint64_t ms) {
  const auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  return fmt::format("{:%Y-%m-%d %H:%M:%S}", tm);
}

// The values of one label over a metric's series: the exporters or agents.
std::size_t distinct_labels(MetricValues metrics, std::string_view name, std::string_view component,
                            std::string_view label) {
  std::set<std::string_view> values;
  for (const auto& v : metrics)
    if (v.name == name && is_of(v, component))
      for (const auto& [key, value] : v.labels)
        if (key == label) values.insert(value);
  return values.size();
}

}  // namespace

Query parse_query(std::span<const std::string_view> args, const std::filesystem::path& scratch) {
  Query query;
  Request request;
  std::vector<std::string_view> filter_words;
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (options_ended || arg.size() < 2 || arg.front() != '-') {
      filter_words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
    } else if (arg == "--pipeline") {
      query.print_pipeline = true;
    } else if (arg == "--help" || arg == "-h") {
      query.help = true;
    } else if (arg.starts_with("--")) {
      apply_long(request, arg, args, i);
    } else {
      // Letters bundled as getopt takes them: -qN, -c10, -c 10.
      for (std::size_t at = 1; at < arg.size(); ++at) {
        const OptionInfo* option = find_option(arg[at]);
        if (!option) throw QueryUsageError(fmt::format("unknown option -{} (nfdump has none either)", arg[at]));
        std::string_view value;
        if (option->takes_value) {
          if (at + 1 < arg.size())
            value = arg.substr(at + 1);
          else if (i + 1 < args.size())
            value = args[++i];
          else
            throw QueryUsageError(fmt::format("-{} needs a value", option->letter));
          at = arg.size();
        }
        if (!option->supported)
          throw QueryUsageError(fmt::format("nfdump's option -{} ({}) is not supported yet (sluice query --help)",
                                            option->letter, option->help.substr(13)));
        apply(request, option->letter, value);
      }
    }
  }
  if (query.help) return query;
  for (const auto word : filter_words) {
    if (!request.filter.empty()) request.filter += ' ';
    request.filter += word;
  }
  set_input(request);
  if (request.file_statistics) {
    // nfdump -I reads the statistics records and ignores every other option.
    if (request.live()) throw QueryUsageError("-I reads files' statistics records: not with --listen");
    if (request.input.empty() && request.folders.empty()) throw QueryUsageError("which files? give -r FILE or -R DIR");
    query.pipeline = statistics_pipeline_of(request);
    query.file_statistics = true;
    return query;
  }
  // nfdump prints the -s record tables first.
  std::stable_partition(request.stats.begin(), request.stats.end(), [](const Stat& s) { return s.of_flows(); });
  // nfdump's default layout where it prints flows (gline with a geo DB, which sluice does not take).
  if (request.mode.empty() && !aggregates(request)) request.mode = "nsel";
  check(request);
  if (request.stats.size() > 1)
    for (std::size_t i = 0; i < request.stats.size(); ++i)
      query.tables.push_back((scratch / fmt::format("table-{}.txt", i + 1)).string());
  query.pipeline = pipeline_of(request, query.tables);
  if (request.run_for)
    query.pipeline =
        fmt::format("# sluice run PIPELINE --for {}\n", format_duration(*request.run_for)) + query.pipeline;
  query.run_for = request.run_for;
  query.live = request.live();
  query.epilogue = !request.quiet && request.mode != "csv" && request.mode != "json" && request.mode != "pipe" &&
                   request.write.empty();
  query.limit = request.count;
  return query;
}

std::string query_epilogue(const Query& query, MetricValues metrics) {
  const auto metric = [&](std::string_view name, std::string_view component) {
    return metric_value(metrics, name, component);
  };
  const auto count = [&](std::string_view name, std::string_view component) {
    return static_cast<std::uint64_t>(metric(name, component));
  };
  // The instances' spans joined: the earliest first (0: none said), the latest last.
  const auto first_ms =
      static_cast<std::uint64_t>(fold_metric(metrics, "sluice_binary_reader_files_first_ms", "read",
                                             [](double a, double b) { return a == 0 || (b != 0 && b < a) ? b : a; }));
  const auto last_ms = static_cast<std::uint64_t>(fold_metric(metrics, "sluice_binary_reader_files_last_ms", "read",
                                                              [](double a, double b) { return std::max(a, b); }));
  const bool has_filter = metric("sluice_component_received_records_total", "filter") != 0;
  const std::uint64_t read = count("sluice_component_sent_records_total", "read");
  const std::uint64_t outside_window = count("sluice_binary_reader_outside_window_total", "read");
  std::uint64_t passed = has_filter ? count("sluice_component_sent_records_total", "filter") : read;
  if (query.limit) passed = std::min(passed, *query.limit);
  // Without a selection, reading stops where nfdump's does.
  const std::uint64_t processed = has_filter || outside_window != 0 ? read + outside_window : passed;
  return fmt::format("Time window: {}\nTotal flows processed: {}, passed: {}, Blocks skipped: 0, Bytes read: {}\n",
                     last_ms == 0 ? std::string("<unknown>") : local_time(first_ms) + " - " + local_time(last_ms),
                     processed, passed, count("sluice_binary_reader_data_bytes_read_total", "read"));
}

std::string query_live_epilogue(const Query& query, MetricValues metrics, Listened listened) {
  // Each collector's counters by their suffix: NetFlow's and sFlow's added.
  const auto count = [&](std::string_view suffix) {
    return static_cast<std::uint64_t>(
        metric_value(metrics, fmt::format("sluice_netflow_udp_{}", suffix), "listen") +
        metric_value(metrics, fmt::format("sluice_sflow_udp_{}", suffix), "listen_sflow"));
  };
  const auto received =
      static_cast<std::uint64_t>(metric_value(metrics, "sluice_component_sent_records_total", "listen") +
                                 metric_value(metrics, "sluice_component_sent_records_total", "listen_sflow"));
  const bool has_filter = metric_value(metrics, "sluice_component_received_records_total", "filter") != 0;
  std::uint64_t passed =
      has_filter ? static_cast<std::uint64_t>(metric_value(metrics, "sluice_component_sent_records_total", "filter"))
                 : received;
  if (query.limit) passed = std::min(passed, *query.limit);
  const std::size_t exporters = distinct_labels(metrics, "sluice_netflow_udp_datagrams_total", "listen", "exporter") +
                                distinct_labels(metrics, "sluice_sflow_udp_datagrams_total", "listen_sflow", "agent");
  return fmt::format(
      "Listened: {} - {}\nTotal flows received: {}, passed: {}, Datagrams: {} from {} exporter{}, malformed: {}, "
      "dropped by the kernel: {}\n",
      local_time(listened.from_ms), local_time(listened.until_ms), received, passed, count("datagrams_total"),
      exporters, exporters == 1 ? "" : "s", count("malformed_total"), count("kernel_drops_total"));
}

std::string query_file_statistics(MetricValues metrics) {
  const auto count = [&](std::string_view field) {
    return static_cast<std::uint64_t>(
        metric_value(metrics, "sluice_binary_reader_statistics_total", "read", {"field", field}));
  };
  std::string text =
      fmt::format("Ident: {}\n", label_value(metrics, "sluice_binary_reader_statistics_ident", "read", "ident"));
  for (const std::string_view counted : {"flows", "packets", "bytes"}) {
    text += fmt::format("{}{}: {}\n", char(std::toupper(counted[0])), counted.substr(1), count(counted));
    for (const std::string_view protocol : {"tcp", "udp", "icmp", "other"})
      text += fmt::format("{}{}_{}: {}\n", char(std::toupper(counted[0])), counted.substr(1), protocol,
                          count(fmt::format("{}_{}", counted, protocol)));
  }
  // 0: no file said a first flow; nfdump's sum then keeps its start value.
  const auto first_ms =
      static_cast<std::uint64_t>(metric_value(metrics, "sluice_binary_reader_statistics_first_ms", "read"));
  const std::uint64_t first = first_ms == 0 ? std::numeric_limits<std::int64_t>::max() : first_ms;
  const auto last =
      static_cast<std::uint64_t>(metric_value(metrics, "sluice_binary_reader_statistics_last_ms", "read"));
  return text + fmt::format("First: {}\nLast: {}\nmsec_first: {}\nmsec_last: {}\nSequence failures: {}\n", first / 1000,
                            last / 1000, first % 1000, last % 1000, count("sequence_failures"));
}

std::string query_help() {
  std::string text =
      "usage: sluice query [options] [FILTER...]\n\n"
      "nfdump 1.7's command line on sluice's engine: the options become a pipeline of the shipped plugins\n"
      "(binary_reader -> filter -> aggregate -> csv_writer or text_writer), which runs and prints what\n"
      "nfdump prints. FILTER is nfdump's filter language (the last arguments, or -f FILE).\n\n"
      "options sluice takes:\n";
  for (const OptionInfo& o : nfdump_options)
    if (o.supported) text += fmt::format("  {}\n", o.help);
  text +=
      "\nbeyond nfdump: live flows instead of files (the same options apply, but -r -R -M -t -I):\n"
      "  --listen ADDR:PORT        collect NetFlow v5/v9/IPFIX there (netflow_udp), e.g. 0.0.0.0:2055\n"
      "  --listen-sflow ADDR:PORT  collect sFlow there (sflow_udp), e.g. 0.0.0.0:6343; with --listen or alone\n"
      "  --for DURATION            stop after 30s, 5m, 1h ... (else at -c N flows, or Ctrl-C), then print\n\n"
      "  --pipeline   print the pipeline as TOML instead of running it (sluice run takes it)\n"
      "  -h, --help   this help\n\nnfdump options not supported yet (exit 64):";
  for (const OptionInfo& o : nfdump_options)
    if (!o.supported) text += fmt::format(" -{}", o.letter);
  return text + "\n\ndocs/query.md lists what each option becomes.\n";
}

}  // namespace sluice::engine
