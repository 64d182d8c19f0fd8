// A file writer plugin in one piece: the options every writer takes, a
// WindowedWriter over the plugin's format, flushes on the engine's tick,
// metrics, on_close commands, and the rule that a failed run never replaces
// good output. A writer plugin derives from it and supplies its format:
//
//   class CsvWriter : public WriterSink<CsvFormat> {
//    public:
//     CsvWriter(const Options& options, Host& host) : WriterSink(options, host, CsvFormat(...)) {}
//   };
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/file_output/windowed_writer.h"
#include "sluice/file_output/writer_options.h"
#include "sluice/host.h"
#include "sluice/shell_command/runner.h"

namespace sluice::file_output {

template <FileFormat Format>
class WriterSink {
 public:
  // A batch is delivered once its records are in a file put in place under
  // its final name (a .tmp a crash leaves behind is nobody's output). A file
  // for the whole run closes only at the end: a disk buffer in front of it
  // would hold the whole run, so there a batch is delivered once written.
  static constexpr bool acknowledges_later = true;

  // A batch and its runs of records, encoded by a worker's copy.
  template <class Runs>
  struct Prepared {
    BatchPtr batch;
    Runs runs;
  };

  // With a PartitionedFormat, `workers = N` gives each worker's copy a share
  // of the work on every batch (Concurrency::keyed); otherwise a
  // DetachedFormat's prepare() makes it stateless.
  static constexpr Concurrency concurrency = PartitionedFormat<Format> ? Concurrency::keyed : Concurrency::serial;

  // A partition's pieces of a batch (none: of a tick).
  template <class Piece>
  struct Share {
    BatchPtr batch;
    SharedPieces<Piece> pieces;
  };

  WriterSink(const Options& options, Host& host, Format format, RotationOptions rotation)
      : host_(host),
        flush_interval_(options.duration("flush_interval")),
        on_close_(read_on_close(options, rotation.zone)),
        commands_(on_close_ ? make_runner(static_cast<std::size_t>(options.integer("on_close_max_running"))) : nullptr),
        writer_(std::move(rotation), std::move(format),
                {.records = host.counter("records_written_total", "Flows written"),
                 .files = host.counter("files_closed_total", "Files closed and put in place under their final name"),
                 .bytes = host.counter("bytes_written_total", "Bytes of the files put in place")},
                on_close_ ? [this](const ClosedFile& file) { commands_->run(on_close_->expand(file)); }
                          : std::function<void(const ClosedFile&)>()) {
    // A file it acknowledges must survive a power cut, not just a crash.
    writer_.sync_before_closing(host.acknowledgements_awaited());
  }

  WriterSink(const Options& options, Host& host, Format format)
      : WriterSink(options, host, std::move(format), read_writer_options(options)) {}

  void consume(const Batch& batch) {
    const std::uint64_t closed = writer_.files_closed();
    writer_.consume(batch);
    written(batch.id, closed);
  }

  // With `workers = N`: the formats' encoding on N copies, the writing in
  // order on this one (the engine calls consume() when N is 1).
  template <class Self = Format>
  requires DetachedFormat<Self>
  auto prepare(const BatchPtr& batch) {
    return Prepared<decltype(writer_.format(*batch))>{batch, writer_.format(*batch)};
  }
  template <class Runs>
  void commit(Prepared<Runs>& prepared) {
    const std::uint64_t closed = writer_.files_closed();
    writer_.commit(*prepared.batch, prepared.runs);
    written(prepared.batch->id, closed);
  }

  // With `workers = N` on a PartitionedFormat: each copy's share of every
  // batch and tick, and the file's copy writing the N shares in order.
  template <class Self = Format>
  requires PartitionedFormat<Self>
  void keep(Partition partition) { writer_.keep(partition.index, partition.count); }
  template <class Self = Format>
  requires PartitionedFormat<Self> Share<typename Self::Piece> prepare(const BatchPtr& batch) {
    return {batch, writer_.share(*batch)};
  }
  template <class Self = Format>
  requires PartitionedFormat<Self> Share<typename Self::Piece> prepare_tick() { return {nullptr, writer_.cut()}; }
  template <class Piece>
  void commit(std::span<Share<Piece>* const> parts) {
    std::vector<const SharedPieces<Piece>*> shares;
    for (const Share<Piece>* part : parts) shares.push_back(&part->pieces);
    const BatchPtr& batch = parts.front()->batch;
    const std::uint64_t closed = writer_.files_closed();
    writer_.commit_shares(batch.get(), std::span<const SharedPieces<Piece>* const>(shares));
    if (batch) written(batch->id, closed);
  }

  // Buffered rows reach the file at least every flush_interval, so that
  // `tail -f` follows a live file.
  std::chrono::milliseconds tick_period() const { return flush_interval_; }
  void tick() {
    writer_.flush();
    publish_files();
  }

  // The last file is put in place, then the on_close commands still under
  // way are waited for: nothing is left running when the process exits.
  void finish() {
    const auto partial = writer_.finish(host_.run_failed());
    if (partial.empty()) acknowledge_written();
    if (!partial.empty())
      host_.log(LogLevel::warning,
                "the run failed: the earlier output stays in place; this run's partial output is " + partial.string());
    if (!commands_) return;
    if (const auto pending = commands_->pending(); pending != 0)
      host_.log(LogLevel::info, "waiting for " + std::to_string(pending) + " on_close command(s) to end");
    commands_->wait();
  }

  std::string report() const {
    std::string out = writer_.summary();
    if (commands_) {
      out += "  " + std::to_string(commands_started_.value()) + " on_close commands run";
      if (const auto failed = commands_failed_.value(); failed != 0)
        out += ", " + std::to_string(failed) + " failed (see the log)";
      out += "\n";
    }
    return out;
  }

 private:
  // `batch` is written; `closed_before` files were closed before it. A file
  // closed meanwhile holds every earlier batch; this one may reach into the
  // next window's file, so it waits for that one. With nobody waiting for
  // acknowledgements, or no windows, a batch is acknowledged at once.
  void written(BatchId batch, std::uint64_t closed_before) {
    if (writer_.files_closed() != closed_before) acknowledge_written();
    if (!host_.acknowledgements_awaited() || !writer_.windowed())
      host_.acknowledge(batch);
    else
      unacknowledged_.push_back(batch);
  }

  void acknowledge_written() {
    for (const BatchId batch : unacknowledged_) host_.acknowledge(batch);
    unacknowledged_.clear();
  }

  // The console's outputs table: the file under way and the last one closed.
  void publish_files() {
    std::pair files{writer_.current_file().string(), writer_.last_file().string()};
    if (files == published_files_) return;
    published_files_ = std::move(files);
    constexpr std::string_view columns[] = {"file", "path"};
    const std::string_view cells[] = {"current", published_files_.first, "last closed", published_files_.second};
    host_.publish_table("files", columns, 1, cells);
  }

  std::unique_ptr<shell_command::Runner> make_runner(std::size_t max_running) {
    commands_started_ = host_.counter("on_close_commands_total", "on_close commands started");
    commands_failed_ = host_.counter("on_close_failures_total",
                                     "on_close commands that failed: not started, a status other than 0, or killed");
    return std::make_unique<shell_command::Runner>(
        max_running, shell_command::Runner::Hooks{
                         .started = commands_started_,
                         .failed = commands_failed_,
                         .report_failure =
                             [this](const std::string& command, const std::string& failure) {
                               host_.log(LogLevel::error, "on_close command `" + command + "` " + failure);
                               host_.count_errors(1);
                             },
                     });
  }

  Host& host_;
  std::chrono::milliseconds flush_interval_;
  Counter commands_started_, commands_failed_;
  std::optional<OnCloseCommand> on_close_;
  std::unique_ptr<shell_command::Runner> commands_;  // with on_close: runs it, never blocking the pipeline
  WindowedWriter<Format> writer_;
  std::pair<std::string, std::string> published_files_;  // current, last closed
  std::vector<BatchId> unacknowledged_;                  // written, their file not yet closed
};

}  // namespace sluice::file_output
