// csv_writer: flows as CSV, in the default layout or nfdump's `-o csv`.
#include <sluice/plugin.h>

#include <memory>
#include <utility>

#include "sluice/csv/file_writer.h"
#include "sluice/csv/formatter.h"
#include "sluice/fields.h"
#include "sluice/file_output/writer_sink.h"

namespace {

using sluice::OptionSpec;
using sluice::OptionType;

constexpr OptionSpec format_options[] = {
    {.name = "layout",
     .type = OptionType::string,
     .default_value = "\"default\"",
     .help = "\"default\": the chosen fields; \"nfdump\": exactly what nfdump 1.7.1 -o csv prints",
     .choices = "default|nfdump"},
    {.name = "fields",
     .type = OptionType::string_list,
     .default_value = "[]",
     .help = "columns of the default layout, in order; empty: the standard 23 (docs/files.md lists all)"},
    {.name = "header",
     .type = OptionType::boolean,
     .default_value = "true",
     .help = "start each file with the header row"},
    {.name = "time_format",
     .type = OptionType::string,
     .default_value = "\"iso\"",
     .help = "times in the default layout: ISO 8601 UTC with milliseconds, or epoch milliseconds or seconds",
     .choices = "iso|epoch_ms|epoch_s"},
    {.name = "proto_names",
     .type = OptionType::boolean,
     .default_value = "true",
     .help = "protocols by name (TCP, UDP, ICMP ...) instead of number, in the default layout"},
    {.name = "summary",
     .type = OptionType::boolean,
     .default_value = "false",
     .help = "end each file with nfdump's Summary lines (nfdump layout)"},
};

constexpr auto options =
    sluice::file_output::join_option_specs(sluice::file_output::writer_option_specs, format_options);

std::unique_ptr<sluice::csv::Formatter> make_formatter(const sluice::Options& options, const sluice::TextTable& texts) {
  if (options.string("layout") == "nfdump") return sluice::csv::make_nfdump_formatter(options.boolean("summary"));
  sluice::csv::DefaultLayout layout;  // its fields: the standard ones, unless `fields` names others
  if (const auto& names = options.strings("fields"); !names.empty()) {
    layout.fields.clear();
    for (const std::string& name : names) {
      const auto field = sluice::find_field(name);
      if (!field)
        throw sluice::OptionError("fields", "unknown field \"" + name + "\" (docs/files.md lists the fields)");
      layout.fields.push_back(*field);
    }
  }
  const std::string& time_format = options.string("time_format");
  layout.time_format = time_format == "epoch_ms"  ? sluice::csv::TimeFormat::epoch_ms
                       : time_format == "epoch_s" ? sluice::csv::TimeFormat::epoch_s
                                                  : sluice::csv::TimeFormat::iso;
  layout.proto_names = options.boolean("proto_names");
  layout.texts = &texts;
  return sluice::csv::make_default_formatter(std::move(layout));
}

class CsvWriter : public sluice::file_output::WriterSink<sluice::csv::FileWriter> {
 public:
  CsvWriter(const sluice::Options& options, sluice::Host& host)
      : WriterSink(options, host,
                   sluice::csv::FileWriter(make_formatter(options, host.texts()), options.boolean("header"))) {}
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<CsvWriter>("csv_writer", "writes flows as CSV: chosen fields, or exactly nfdump -o csv",
                                      options))
