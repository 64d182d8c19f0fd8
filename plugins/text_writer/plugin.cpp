// text_writer: flows as nfdump 1.7.1 prints them: `-o line`, `long`,
// `extended`, `nsel` ... and `fmt:` lines, `-o json`, `-o raw`, `-o pipe`, or the
// `-s` statistics table of an aggregate's rows (see nfdump_text/formatters.h).
#include <sluice/plugin.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "sluice/csv/file_writer.h"
#include "sluice/file_output/writer_sink.h"
#include "sluice/nfdump_text/formatters.h"

namespace {

using sluice::OptionSpec;
using sluice::OptionType;

constexpr OptionSpec format_options[] = {
    {.name = "format",
     .type = OptionType::string,
     .default_value = "\"line\"",
     .help = "one line per flow: \"line\", \"long\", \"extended\", \"biline\", \"bilong\", \"nsel\", \"nel\" "
             "(nfdump's layouts of those names), or \"fmt:\" and nfdump's tokens (%ts %td %pr %sap -> %dap %pkt %byt "
             "%fl ...); \"null\": no line, only the Summary; \"pipe\": nfdump's numbers between '|'; \"json\": "
             "nfdump's JSON array (header: its brackets); \"raw\": nfdump's \"Flow Record:\" blocks (the record as "
             "an nfcapd file stores it); a `stat` table: \"line\" (nfdump's text table) or \"csv\" (-o csv's)"},
    {.name = "stat",
     .type = OptionType::string,
     .default_value = "\"\"",
     .help = "instead of lines, nfdump's -s table of this field (src_addr, dst_port ...): one row per key, as an "
             "aggregate keyed by it sends them"},
    {.name = "either_side",
     .type = OptionType::boolean,
     .default_value = "false",
     .help = "the table's rows count each flow under either side (an aggregate's either_side): stat names the source "
             "field, the title says \"IP Addr\", \"Port\" ..., shares are of the flows"},
    {.name = "no_match",
     .type = OptionType::boolean,
     .default_value = "true",
     .help = "a table, or ranked lines, without rows say \"No matching flows\" (nfdump says it once, before its "
             "first table)"},
    {.name = "title",
     .type = OptionType::string,
     .default_value = "\"\"",
     .help = "ranked lines (order): a line above the column header, both printed only when a row comes (nfdump -s "
             "record's \"Top 10 flows ordered by bytes:\")"},
    {.name = "totals",
     .type = OptionType::string,
     .default_value = "\"rows\"",
     .help = "what a table's shares are of: \"rows\", the sum of the rows (an aggregate sending every key); "
             "\"last_row\", the last row, the totals an aggregate with `totals = true` ends its bin with",
     .choices = "rows|last_row"},
    {.name = "order",
     .type = OptionType::string,
     .default_value = "\"none\"",
     .help = "rank the rows, largest first (tstart, tend: earliest first), printing them when the file closes "
             "(nfdump -O); \"none\": lines as they come, a table by flows",
     .choices = "none|flows|packets|bytes|pps|bps|bpp|tstart|tend"},
    {.name = "top",
     .type = OptionType::integer,
     .default_value = "0",
     .help = "rows printed of a table or of ranked lines (nfdump -n); 0: every row",
     .min = "0"},
    {.name = "long_v6",
     .type = OptionType::boolean,
     .default_value = "false",
     .help = "IPv6 addresses whole (nfdump -6), not shortened to fit their column"},
    {.name = "plain_numbers",
     .type = OptionType::boolean,
     .default_value = "false",
     .help = "numbers as they are (nfdump -N), not scaled to \"1.8 M\""},
    {.name = "header",
     .type = OptionType::boolean,
     .default_value = "true",
     .help = "the column header (and the table's title)"},
    {.name = "summary",
     .type = OptionType::boolean,
     .default_value = "false",
     .help = "end each file with nfdump's \"Summary:\" line"},
};

constexpr auto options =
    sluice::file_output::join_option_specs(sluice::file_output::writer_option_specs, format_options);

using sluice::nfdump_text::Order;

// The engine checked the choices: "none" is the one no order parses.
std::optional<Order> order_of(const sluice::Options& options) {
  return sluice::nfdump_text::parse_order(options.string("order"));
}

std::unique_ptr<sluice::csv::Formatter> stat_formatter(const sluice::Options& options, const std::string& name) {
  if (const std::string& format = options.string("format"); format != "line" && format != "csv")
    throw sluice::OptionError("format", "a table (stat) is printed as \"line\" or \"csv\", not \"" + format + "\"");
  const auto field = sluice::find_field(name);
  if (!field)
    throw sluice::OptionError(
        "stat", "unknown field \"" + name + "\" (tables are made of " + sluice::nfdump_text::stat_field_names() + ")");
  try {
    return sluice::nfdump_text::make_stat_formatter({.field = *field,
                                                     .either_side = options.boolean("either_side"),
                                                     .totals_row = options.string("totals") == "last_row",
                                                     .order = order_of(options).value_or(Order::flows),
                                                     .top = static_cast<std::size_t>(options.integer("top")),
                                                     .long_v6 = options.boolean("long_v6"),
                                                     .plain = options.boolean("plain_numbers"),
                                                     .csv = options.string("format") == "csv",
                                                     .title = options.boolean("header"),
                                                     .no_match = options.boolean("no_match"),
                                                     .summary = options.boolean("summary")});
  } catch (const std::invalid_argument& e) {
    throw sluice::OptionError("stat", e.what());
  }
}

std::unique_ptr<sluice::csv::Formatter> make_formatter(const sluice::Options& options) {
  if (const std::string& stat = options.string("stat"); !stat.empty()) return stat_formatter(options, stat);
  const std::string& format = options.string("format");
  if (format == "json") {
    if (order_of(options)) throw sluice::OptionError("order", "JSON is printed as the flows come");
    return sluice::nfdump_text::make_json_formatter(options.boolean("header"));
  }
  if (format == "raw") {
    if (order_of(options)) throw sluice::OptionError("order", "raw records are printed as the flows come");
    return sluice::nfdump_text::make_raw_formatter(options.boolean("summary"));
  }
  if (format == "pipe") {
    if (order_of(options)) throw sluice::OptionError("order", "pipe lines are printed as the flows come");
    return sluice::nfdump_text::make_pipe_formatter();
  }
  if (!options.string("title").empty() && !order_of(options))
    throw sluice::OptionError("title", "a title is for ranked lines: give an order");
  const auto named = sluice::nfdump_text::named_format(format);
  if (!named && !format.starts_with("fmt:"))
    throw sluice::OptionError("format", "\"" + format +
                                            "\" is none of line, long, extended, biline, bilong, nsel, nel, null, "
                                            "pipe, json, raw or fmt:...");
  try {
    return sluice::nfdump_text::make_line_formatter({.format = named ? std::string(*named) : format.substr(4),
                                                     .long_v6 = options.boolean("long_v6"),
                                                     .plain = options.boolean("plain_numbers"),
                                                     .summary = options.boolean("summary"),
                                                     .order = order_of(options),
                                                     .top = static_cast<std::size_t>(options.integer("top")),
                                                     .totals_row = options.string("totals") == "last_row",
                                                     .title = options.string("title"),
                                                     .no_match = options.boolean("no_match")});
  } catch (const std::invalid_argument& e) {
    throw sluice::OptionError("format", e.what());
  }
}

class TextWriter : public sluice::file_output::WriterSink<sluice::csv::FileWriter> {
 public:
  TextWriter(const sluice::Options& options, sluice::Host& host)
      : WriterSink(options, host, sluice::csv::FileWriter(make_formatter(options), options.boolean("header"))) {}
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<TextWriter>("text_writer",
                                       "writes flows as nfdump prints them: -o nsel/line/long/extended/fmt: ... "
                                       "lines, json, raw, pipe, or the -s statistics table of an aggregate's rows",
                                       options))
