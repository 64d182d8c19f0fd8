// A file writer plugin in one piece: the options every writer takes, a
// WindowedWriter over the plugin's format, flushes on the engine's tick,
// metrics, and the rule that a failed run never replaces good output. A
// writer plugin derives from it and supplies its format:
//
//   class CsvWriter : public WriterSink<CsvFormat> {
//    public:
//     CsvWriter(const Options& options, Host& host) : WriterSink(options, host, CsvFormat(...)) {}
//   };
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "sluice/file_output/windowed_writer.h"
#include "sluice/file_output/writer_options.h"
#include "sluice/host.h"

namespace sluice::file_output {

template <FileFormat Format>
class WriterSink {
 public:
  WriterSink(const Options& options, Host& host, Format format, RotationOptions rotation)
      : host_(host),
        flush_interval_(read_flush_interval(options)),
        writer_(std::move(rotation), std::move(format),
                {.records = host.counter("records_written_total", "Flows written"),
                 .files = host.counter("files_closed_total", "Files closed and put in place under their final name"),
                 .bytes = host.counter("bytes_written_total", "Bytes of the files put in place")}) {}

  WriterSink(const Options& options, Host& host, Format format)
      : WriterSink(options, host, std::move(format), read_writer_options(options)) {}

  void consume(const Batch& batch) { writer_.consume(batch); }

  // Buffered rows reach the file at least every flush_interval, so that
  // `tail -f` follows a live file.
  std::chrono::milliseconds tick_period() const { return flush_interval_; }
  void tick() { writer_.flush(); }

  void finish() {
    const auto partial = writer_.finish(host_.run_failed());
    if (!partial.empty())
      host_.log(LogLevel::warning,
                "the run failed: the earlier output stays in place; this run's partial output is " + partial.string());
  }

  std::string report() const { return writer_.summary(); }

 private:
  Host& host_;
  std::chrono::milliseconds flush_interval_;
  WindowedWriter<Format> writer_;
};

}  // namespace sluice::file_output
