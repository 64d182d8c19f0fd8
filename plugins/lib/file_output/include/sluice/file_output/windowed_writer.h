// Drives a file format through a stream of batches: one file per Rotate
// window, or a single file for the whole run when no rotator is upstream.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>

#include "sluice/batch.h"
#include "sluice/file_output/rotating_output.h"

namespace sluice::file_output {

// What a writer plugin supplies: its format, writing to one path at a time.
template <class F>
concept FileFormat = requires(F format, const std::filesystem::path& path, std::span<const FlowRecord> flows) {
  format.open(path);  // "-" for standard output
  format.write(flows);
  format.flush();  // hand buffered output to the operating system
  format.close();  // finish the file (trailer, appendix) and close it
};

template <FileFormat Format>
class WindowedWriter {
 public:
  // `rotation.path` "-" writes to standard output, never rotated.
  WindowedWriter(RotationOptions rotation, Format format)
      : to_stdout_(rotation.path == "-"), output_(std::move(rotation)), format_(std::move(format)) {}

  void consume(const Batch& batch) {
    visit(
        batch,
        [&](std::span<const FlowRecord> flows) {
          if (!open_) open_unwindowed();
          format_.write(flows);
          records_ += flows.size();
        },
        [&](const Event& event) {
          if (event.kind == Event::Kind::rotate) {
            rotate(event);
          } else if (open_) {
            format_.flush();
          }
        });
  }

  // The end of the stream: the file under way is finished and put in place
  // (an empty run still leaves its file, e.g. a CSV header).
  void finish() {
    if (!open_) open_unwindowed();
    close();
  }

  // The line for the end-of-run summary: how much went where.
  std::string summary() const {
    return "  " + std::to_string(records_) + " flows written to " +
           (files_ > 1 ? std::to_string(files_) + " files, the last " : std::string()) + last_file_.string() + "\n";
  }

 private:
  void open_unwindowed() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    open(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()), 0);
  }

  // A rotator's window starts a new file. A rotation without a window
  // (SIGHUP: "start new files now") does so only where the path's time fields
  // give a new name; otherwise the file under way just goes on.
  void rotate(const Event& event) {
    const bool windowed = event.window_end_ms > event.window_start_ms;
    const std::uint64_t length_ms = windowed ? event.window_end_ms - event.window_start_ms : 0;
    if (!windowed && open_ &&
        (to_stdout_ || output_.final_path_for(event.window_start_ms, 0) == output_.final_path())) {
      format_.flush();
      return;
    }
    close();
    open(event.window_start_ms, length_ms);
  }

  void open(std::uint64_t start_ms, std::uint64_t length_ms) {
    format_.open(to_stdout_ ? std::filesystem::path("-") : output_.begin(start_ms, length_ms));
    open_ = true;
  }

  void close() {
    if (!open_) return;
    open_ = false;
    format_.close();
    last_file_ = to_stdout_ ? std::filesystem::path("-") : output_.commit();
    ++files_;
  }

  bool to_stdout_;
  RotatingOutput output_;
  Format format_;
  bool open_ = false;
  std::uint64_t records_ = 0;
  std::uint64_t files_ = 0;
  std::filesystem::path last_file_;
};

}  // namespace sluice::file_output
