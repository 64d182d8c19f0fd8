// Drives a file format through a stream of batches: one file per Rotate
// window, or a single file for the whole run when no rotator is upstream.
#pragma once

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sluice/batch.h"
#include "sluice/clock.h"
#include "sluice/file_output/file.h"
#include "sluice/file_output/on_close.h"
#include "sluice/file_output/rotating_output.h"
#include "sluice/metrics.h"

namespace sluice::file_output {

// What a writer plugin supplies: its format, writing to one path at a time.
template <class F>
concept FileFormat = requires(F format, const std::filesystem::path& path, std::span<const FlowRecord> flows) {
  format.open(path);  // "-" for standard output
  format.write(flows);
  format.flush();  // hand buffered output to the operating system
  format.close();  // finish the file (trailer, appendix) and close it
};

// A format whose encoding can run on another copy of it (a worker's), the
// file's own copy then writing the result in order: CSV text, nffile blocks.
template <class F>
using Formatted = decltype(std::declval<F&>().format(std::span<const FlowRecord>()));
template <class F>
concept DetachedFormat = FileFormat<F> && requires(F format, std::span<const FlowRecord> flows, Formatted<F>& text) {
  format.write_formatted(text, flows);
};

// A format whose work a writer's partitions share (`workers = N` on a keyed
// sink): each partition's copy sees every run of records and every cut (an
// event, a tick, the end: where one copy would flush) and makes its share of
// the pieces completed there (Parquet: row groups, some columns each); the
// file's copy writes each piece from its N shares, in order.
template <class F>
concept PartitionedFormat = FileFormat<F> &&
    requires(F format, unsigned n, std::span<const FlowRecord> flows, std::vector<typename F::Piece>& pieces,
             std::span<const typename F::Piece* const> shares) {
  format.keep(n, n);            // this copy's share: index of count
  format.share(flows, pieces);  // rows in: the pieces they complete
  format.cut(pieces);           // the piece under way, if it has rows
  format.write_shares(shares);  // the file's copy: one piece from its N shares
};

// A partition's pieces of a batch: those of each run of records and each
// event, in stream order (of a tick: one cut's).
template <class Piece>
using SharedPieces = std::vector<std::vector<Piece>>;

// Where a writer counts what it wrote (the plugin's metrics).
struct WriterCounters {
  Counter records;  // flows written
  Counter files;    // files closed and put in place
  Counter bytes;    // bytes of the files put in place
};

template <FileFormat Format>
class WindowedWriter {
 public:
  // `rotation.path` "-" writes to standard output, never rotated.
  // `closed` is told of each file put in place under its final name.
  WindowedWriter(RotationOptions rotation, Format format, WriterCounters counters = {},
                 std::function<void(const ClosedFile&)> closed = {})
      : to_stdout_(rotation.path == "-"),
        output_(std::move(rotation)),
        format_(std::move(format)),
        counters_(counters),
        closed_(std::move(closed)) {}

  void consume(const Batch& batch) {
    walk(batch, [&](std::span<const FlowRecord> flows) { format_.write(flows); });
  }

  // Each run of records between the batch's events, encoded by any copy of
  // the format (commit's order is the file's).
  template <class Self = Format>
  requires DetachedFormat<Self>
  auto format(const Batch& batch) {
    std::vector<Formatted<Self>> runs;
    visit(
        batch, [&](std::span<const FlowRecord> flows) { runs.push_back(format_.format(flows)); }, [](const Event&) {});
    return runs;
  }

  // The batch, its runs encoded by format(), into the file: what consume() writes.
  template <class Encoded>
  void commit(const Batch& batch, std::vector<Encoded>& runs) {
    std::size_t run = 0;
    walk(batch, [&](std::span<const FlowRecord> flows) { format_.write_formatted(runs[run++], flows); });
  }

  // A partition's copy: its share of the work, and its pieces of a batch or
  // of a tick (or the end). Its format never opens a file.
  template <class Self = Format>
  requires PartitionedFormat<Self>
  void keep(unsigned index, unsigned count) { format_.keep(index, count); }
  template <class Self = Format>
  requires PartitionedFormat<Self>
  auto share(const Batch& batch) {
    SharedPieces<typename Self::Piece> items;
    visit(
        batch, [&](std::span<const FlowRecord> flows) { format_.share(flows, items.emplace_back()); },
        [&](const Event&) { format_.cut(items.emplace_back()); });
    return items;
  }
  template <class Self = Format>
  requires PartitionedFormat<Self>
  auto cut() {
    SharedPieces<typename Self::Piece> items(1);
    format_.cut(items.front());
    return items;
  }

  // The file's copy: the batch (none: a tick) from the partitions' shares of
  // it, into the file: what consume() writes. The pieces an event completed
  // go in before the event closes or flushes the file.
  template <class Piece>
  void commit_shares(const Batch* batch, std::span<const SharedPieces<Piece>* const> shares) {
    std::size_t item = 0;
    const auto write_item = [&] {
      for (std::size_t piece = 0; piece < (*shares.front())[item].size(); ++piece) {
        if (!open_) open(now_ms(), 0);
        std::vector<const Piece*> of_piece;
        for (const SharedPieces<Piece>* share : shares) of_piece.push_back(&(*share)[item][piece]);
        format_.write_shares(std::span<const Piece* const>(of_piece));
      }
      ++item;
    };
    if (!batch) {
      write_item();
      return;
    }
    walk(
        *batch, [&](std::span<const FlowRecord>) { write_item(); }, [&](const Event&) { write_item(); });
  }

  // Hands what is buffered to the operating system, if anything is.
  void flush() {
    if (!open_ || !unflushed_) return;
    format_.flush();
    unflushed_ = false;
  }

  // Each file reaches the disk (fdatasync) before it is put in place: what
  // a closed file holds then survives a power cut, not just a crash.
  void sync_before_closing(bool sync) noexcept { sync_before_closing_ = sync; }

  // Files put in place so far: when it grows, all that was written before
  // the last write is in closed files.
  std::uint64_t files_closed() const noexcept { return files_; }
  // Whether the file under way is one of a rotator's windows (it will be
  // closed when the window ends), not one for the whole run.
  bool windowed() const noexcept { return open_ && windowed_; }

  // The end of the stream: the file under way is finished and put in place
  // (an empty run still leaves its file, e.g. a CSV header). When the run
  // failed, a file that would replace another is left beside it instead, as
  // NAME.failed, and its name returned; otherwise returns nothing.
  std::filesystem::path finish(bool run_failed) {
    if (!open_) open(now_ms(), 0);
    open_ = false;
    format_.close();
    if (to_stdout_) return {};
    if (!run_failed || !output_.would_replace()) {
      put_in_place();
      return {};
    }
    partial_ = output_.set_aside(".failed");
    return partial_;
  }

  // The file being written, by its final name ("-": standard output); empty
  // while none is open.
  std::filesystem::path current_file() const {
    if (!open_) return {};
    return to_stdout_ ? std::filesystem::path("-") : output_.final_path();
  }
  // The last file put in place; empty before the first.
  const std::filesystem::path& last_file() const noexcept { return last_file_; }

  // The lines for the end-of-run summary: how much went where.
  std::string summary() const {
    std::string out = "  " + std::to_string(counters_.records.value()) + " flows written";
    if (files_ > 0) {
      out += " to ";
      if (files_ > 1) out += std::to_string(files_) + " files, the last ";
      out += last_file_.string();
    }
    if (!partial_.empty()) out += "; the run failed, so the partial output was left in " + partial_.string();
    return out + "\n";
  }

 private:
  // Records to `write` them, events to their effect, in stream order.
  template <class Write>
  void walk(const Batch& batch, Write&& write) {
    walk(batch, std::forward<Write>(write), [](const Event&) {});
  }
  // The same, `before` called at each event before its effect.
  template <class Write, class BeforeEvent>
  void walk(const Batch& batch, Write&& write, BeforeEvent&& before) {
    visit(
        batch,
        [&](std::span<const FlowRecord> flows) {
          if (!open_) open(now_ms(), 0);
          write(flows);
          unflushed_ = true;
          counters_.records.add(flows.size());
        },
        [&](const Event& event) {
          before(event);
          if (event.kind == Event::Kind::rotate)
            rotate(event);
          else
            flush();
        });
  }

  // A rotator's window starts a new file. A rotation without a window
  // (SIGHUP: "start new files now") does so only where the path's time fields
  // give a new name; otherwise the file under way just goes on.
  void rotate(const Event& event) {
    const bool windowed = event.window_end_ms > event.window_start_ms;
    const std::uint64_t length_ms = windowed ? event.window_end_ms - event.window_start_ms : 0;
    if (!windowed && open_ &&
        (to_stdout_ || output_.final_path_for(event.window_start_ms, 0) == output_.final_path())) {
      flush();
      return;
    }
    close();
    open(event.window_start_ms, length_ms);
  }

  void open(std::uint64_t start_ms, std::uint64_t length_ms) {
    format_.open(to_stdout_ ? std::filesystem::path("-") : output_.begin(start_ms, length_ms));
    open_ = true;
    windowed_ = length_ms > 0;
    unflushed_ = false;
  }

  void close() {
    if (!open_) return;
    open_ = false;
    format_.close();
    if (to_stdout_) {
      note_committed("-");
      return;
    }
    put_in_place();
  }

  void put_in_place() {
    if (sync_before_closing_) sync_file(output_.temporary_path());
    note_committed(output_.commit());
  }

  void note_committed(const std::filesystem::path& file) {
    last_file_ = file;
    ++files_;
    counters_.files.add();
    if (file == "-") return;
    std::error_code ignored;
    if (const auto size = std::filesystem::file_size(file, ignored); !ignored) counters_.bytes.add(size);
    if (closed_) closed_({file, output_.base(), output_.window_start_ms(), output_.window_length_ms()});
  }

  bool to_stdout_;
  RotatingOutput output_;
  Format format_;
  WriterCounters counters_;
  std::function<void(const ClosedFile&)> closed_;
  bool open_ = false;
  bool unflushed_ = false;
  bool sync_before_closing_ = false;
  bool windowed_ = false;
  std::uint64_t files_ = 0;
  std::filesystem::path last_file_;
  std::filesystem::path partial_;
};

}  // namespace sluice::file_output
