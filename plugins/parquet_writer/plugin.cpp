// parquet_writer: flows as Parquet files for DuckDB, pandas, polars, Spark
// and R (docs/parquet.md).
#include <sluice/plugin.h>

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sluice/file_output/writer_sink.h"
#include "sluice/parquet/writer.h"

namespace {

using sluice::OptionSpec;
using sluice::OptionType;

constexpr OptionSpec format_options[] = {
    {.name = "fields",
     .type = OptionType::string_list,
     .default_value = "[]",
     .help = "columns, in order, by their field names (docs/fields.md); empty: csv_writer's standard 23"},
    {.name = "compression",
     .type = OptionType::string,
     .default_value = "\"zstd\"",
     .help = "page compression",
     .choices = "zstd|snappy|gzip|none"},
    {.name = "level",
     .type = OptionType::integer,
     .default_value = "1",
     .help = "compression level: zstd 1..19, gzip 1..9 (snappy and none take none); 1: the fastest, and zstd 3 made "
             "files no smaller (docs/performance.md)",
     .min = "1",
     .max = "19"},
    {.name = "address_type",
     .type = OptionType::string,
     .default_value = "\"string\"",
     .help = "addresses as dictionary-encoded text (\"10.0.0.1\") or 16 bytes (IPv4-mapped IPv6)",
     .choices = "string|binary"},
    {.name = "row_group_rows",
     .type = OptionType::integer,
     .default_value = "1000000",
     .help = "rows of a row group (readers skip row groups by their statistics); its compressed pages are held",
     .min = "1",
     .max = "100000000"},
};

// flush_interval closes the row group under way: a minute by default, so
// that row groups stay large.
constexpr auto options = [] {
  auto all = sluice::file_output::join_option_specs(sluice::file_output::writer_option_specs, format_options);
  for (auto& option : all) {
    if (option.name != "flush_interval") continue;
    option.default_value = "\"1m\"";
    option.help = "the row group under way is closed at least this often (its rows reach the .tmp file)";
  }
  return all;
}();

sluice::parquet::WriterOptions writer_options(const sluice::Options& options, sluice::Host& host) {
  sluice::parquet::WriterOptions writer;
  if (const auto& names = options.strings("fields"); !names.empty()) {
    writer.fields.clear();
    for (const std::string& name : names) {
      const auto field = sluice::find_field(name);
      if (!field)
        throw sluice::OptionError("fields", "unknown field \"" + name + "\" (docs/parquet.md lists the fields)");
      writer.fields.push_back(*field);
    }
  }
  writer.texts = &host.texts();
  writer.codec = *sluice::parquet::parse_codec(options.string("compression"));  // the engine checked choices
  writer.level = static_cast<int>(options.integer("level"));
  if (writer.codec == sluice::parquet::Codec::gzip && writer.level > 9)
    throw sluice::OptionError("level", "must be 1..9 for gzip");
  writer.address_type = options.string("address_type") == "binary" ? sluice::parquet::AddressType::binary
                                                                   : sluice::parquet::AddressType::string;
  writer.row_group_rows = static_cast<std::size_t>(options.integer("row_group_rows"));
  return writer;
}

// The writer and its buffers stay from window to window. With `workers =
// N`, worker k's copy encodes its share of the columns of every row group
// (cut where one copy cuts: at row_group_rows, at every event, tick and the
// end) and the file's copy appends each row group from its N shares.
class ParquetFormat {
 public:
  using Piece = sluice::parquet::EncodedRowGroup;

  explicit ParquetFormat(sluice::parquet::WriterOptions options)
      : options_(options), writer_(std::make_unique<sluice::parquet::Writer>(std::move(options))) {}

  void open(const std::filesystem::path& path) { writer_->open(path); }
  void write(std::span<const sluice::FlowRecord> flows) { writer_->write(flows); }
  void flush() { writer_->end_row_group(); }
  void close() { writer_->close(); }

  void keep(unsigned index, unsigned count) {
    share_ = std::make_unique<sluice::parquet::RowGroupEncoder>(
        options_, sluice::parquet::column_share(options_.fields.size(), index, count));
  }
  void share(std::span<const sluice::FlowRecord> flows, std::vector<Piece>& completed) {
    while (!flows.empty()) {
      const std::size_t n = std::min(flows.size(), options_.row_group_rows - share_->rows());
      share_->append(flows.first(n));
      flows = flows.subspan(n);
      if (share_->rows() == options_.row_group_rows) completed.push_back(share_->finish());
    }
  }
  void cut(std::vector<Piece>& completed) {
    if (share_->rows() > 0) completed.push_back(share_->finish());
  }
  void write_shares(std::span<const Piece* const> shares) { writer_->append(shares); }

 private:
  sluice::parquet::WriterOptions options_;
  std::unique_ptr<sluice::parquet::Writer> writer_;          // WriterSink takes the format by value
  std::unique_ptr<sluice::parquet::RowGroupEncoder> share_;  // a worker's copy: its columns
};

sluice::file_output::RotationOptions rotation_options(const sluice::Options& options) {
  auto rotation = sluice::file_output::read_writer_options(options);
  if (rotation.path == "-") throw sluice::OptionError("path", "Parquet files cannot go to standard output");
  return rotation;
}

class ParquetWriter : public sluice::file_output::WriterSink<ParquetFormat> {
 public:
  ParquetWriter(const sluice::Options& options, sluice::Host& host)
      : WriterSink(options, host, ParquetFormat(writer_options(options, host)), rotation_options(options)) {}
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<ParquetWriter>("parquet_writer",
                                          "writes Parquet files for DuckDB, pandas, polars, Spark and R", options))
