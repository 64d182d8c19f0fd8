// Where a writer's output goes, window after window: strftime paths, nfcapd's
// folder layouts and names, temporary names until a file is whole, retention.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace sluice::file_output {

enum class TimeZone { utc, local };

// nfcapd's -S layouts (0 = none, 1 = %Y/%m/%d, 2 = %Y/%m/%d/%H, ... 8 =
// %Y-%m-%d/%H) followed by its file name nfcapd.YYYYMMDDhhmm, with seconds
// appended when windows are shorter than a minute. Throws
// std::invalid_argument outside 0..8.
std::string nfcapd_pattern(int layout, bool with_seconds);

// `pattern` with its strftime conversions filled in from `time_ms`.
std::filesystem::path expand(const std::string& pattern, std::uint64_t time_ms, TimeZone zone);

struct Retention {
  std::size_t keep_files = 0;             // keep only the newest N files; 0 = all
  std::chrono::milliseconds keep_for{0};  // drop files whose window began this long before the newest; 0 = never
};

struct RotationOptions {
  std::string path;  // a file name or a strftime pattern
  TimeZone zone = TimeZone::utc;
  std::optional<int> nfcapd_layout;  // set: `path` is the base folder of an nfcapd -S tree
  Retention retention;
};

// One writer's files. Each is written under NAME.tmp next to its final name
// and renamed when its window closes, so no reader sees a half file under a
// final name (a device or pipe such as /dev/null is written in place).
// Closed files carry their window's start as modification time: retention
// orders and ages files by it, so an event-clock replay keeps the same files
// a live run would. Retention covers the files below the pattern's fixed
// leading folder whose names fit the pattern.
class RotatingOutput {
 public:
  explicit RotatingOutput(RotationOptions options);  // throws std::invalid_argument for a bad layout

  // The final name of the file of the window [start_ms, start_ms + length_ms);
  // length 0 for output that is not cut into windows.
  std::filesystem::path final_path_for(std::uint64_t start_ms, std::uint64_t length_ms) const;
  // Starts that file: creates missing folders; returns the temporary path to
  // write to.
  std::filesystem::path begin(std::uint64_t start_ms, std::uint64_t length_ms);
  // Renames the temporary file to its final name and applies retention;
  // returns the final name.
  std::filesystem::path commit();
  // Whether commit() would replace a file (only one not cut into windows can:
  // a window's file takes the next free name instead).
  bool would_replace() const;
  // Instead of commit(): puts the temporary file beside the final one, as
  // FINAL + suffix (or FINAL + suffix + .N when taken); returns that name.
  std::filesystem::path set_aside(const std::string& suffix);

  const std::filesystem::path& final_path() const noexcept { return final_; }
  // The temporary file being written (empty before begin()).
  const std::filesystem::path& temporary_path() const noexcept { return temp_; }
  // The fixed leading folder of the path (nfcapd's -w folder with a layout).
  const std::filesystem::path& base() const noexcept { return base_; }
  // The window of the file begun last.
  std::uint64_t window_start_ms() const noexcept { return start_ms_; }
  std::uint64_t window_length_ms() const noexcept { return length_ms_; }

 private:
  void apply_retention(const std::filesystem::path& kept) const;

  std::string relative_pattern(std::uint64_t length_ms) const;

  RotationOptions options_;
  std::filesystem::path base_;  // fixed leading folder of the pattern
  std::uint64_t start_ms_ = 0;
  std::uint64_t length_ms_ = 0;  // 0: not cut into windows
  std::filesystem::path final_;
  std::filesystem::path temp_;
  std::filesystem::path committed_;  // the last file put in place
  bool direct_ = false;              // final_ is a device or pipe, written in place
};

}  // namespace sluice::file_output
