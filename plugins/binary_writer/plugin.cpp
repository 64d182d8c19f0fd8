// binary_writer: flows as nfcapd files (nfdump 1.7 layout) for nfdump -r/-R.
#include <sluice/plugin.h>

#include <memory>
#include <stdexcept>

#include "sluice/file_output/writer_sink.h"
#include "sluice/nffile/writer.h"

namespace {

using sluice::OptionSpec;
using sluice::OptionType;

constexpr OptionSpec format_options[] = {
    {.name = "compression",
     .type = OptionType::string,
     .default_value = "\"none\"",
     .help = "block compression: lz4 fast (nfcapd -y), lzo as nfcapd -z, bz2 smallest and slowest (nfcapd -j)",
     .choices = "none|lz4|lzo|bz2"},
    {.name = "ident",
     .type = OptionType::string,
     .default_value = "\"none\"",
     .help = "source name stored in each file, like nfcapd -I"},
    {.name = "nfcapd_layout",
     .type = OptionType::integer,
     .default_value = "-1",
     .help = "0..8: path is a base folder laid out like nfcapd -S N with nfcapd.YYYYMMDDhhmm names; -1: path as given",
     .min = "-1",
     .max = "8"},
};

constexpr auto options =
    sluice::file_output::join_option_specs(sluice::file_output::writer_option_specs, format_options);

sluice::file_output::RotationOptions rotation_options(const sluice::Options& options) {
  auto rotation = sluice::file_output::read_writer_options(options);
  if (rotation.path == "-") throw sluice::OptionError("path", "nfcapd files cannot go to standard output");
  if (const auto layout = options.integer("nfcapd_layout"); layout != -1)
    rotation.nfcapd_layout = static_cast<int>(layout);
  return rotation;
}

sluice::nffile::WriterOptions writer_options(const sluice::Options& options) {
  sluice::nffile::WriterOptions writer;
  writer.compression = *sluice::nffile::parse_compression(options.string("compression"));  // the engine checked choices
  writer.ident = options.string("ident");
  if (writer.ident.size() > sluice::nffile::max_ident_length) {
    throw sluice::OptionError("ident", "must be at most " + std::to_string(sluice::nffile::max_ident_length) +
                                           " characters (nfdump reads no more)");
  }
  return writer;
}

// Each run of flows (a batch, or its part between two events) is blocks of
// its own: then the file is the same whichever copy encoded a run and
// whenever the engine's tick flushes, for any number of workers.
class NfcapdFormat {
 public:
  NfcapdFormat(sluice::nffile::WriterOptions options, sluice::Counter encoded_again)
      : options_(std::move(options)), encoder_(options_.compression), encoded_again_(encoded_again) {}

  void open(const std::filesystem::path& path) { writer_ = std::make_unique<sluice::nffile::Writer>(path, options_); }
  void write(std::span<const sluice::FlowRecord> flows) {
    writer_->write(flows);
    writer_->flush();
  }
  void flush() {}  // every run is in the file already
  void close() {
    writer_->close();
    writer_.reset();
  }

  // With workers: a worker's copy encodes and compresses the blocks, the
  // file's copy appends them (or encodes the run again, and counts it).
  sluice::nffile::EncodedRun format(std::span<const sluice::FlowRecord> flows) { return encoder_.encode(flows); }
  void write_formatted(const sluice::nffile::EncodedRun& run, std::span<const sluice::FlowRecord> flows) {
    if (!writer_->write(run, flows)) encoded_again_.add();
  }

 private:
  sluice::nffile::WriterOptions options_;
  sluice::nffile::RunEncoder encoder_;
  sluice::Counter encoded_again_;
  std::unique_ptr<sluice::nffile::Writer> writer_;
};

class BinaryWriter : public sluice::file_output::WriterSink<NfcapdFormat> {
 public:
  BinaryWriter(const sluice::Options& options, sluice::Host& host)
      : WriterSink(options, host,
                   NfcapdFormat(writer_options(options),
                                host.counter("batches_encoded_again_total",
                                             "With workers: batches (or their parts between two events) encoded again "
                                             "in order, their exporters new to the file or numbered otherwise")),
                   rotation_options(options)) {}
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<BinaryWriter>("binary_writer", "writes nfcapd files (nfdump 1.7 layout) that nfdump reads",
                                         options))
