// Whether a file changed on disk since it was last looked at: its inode,
// size and modification time, so that a new file renamed over it (as
// geoipupdate does) and a write in place are both seen.
#pragma once

#include <cstdint>
#include <filesystem>
#include <utility>

namespace sluice::enrichment {

class FileWatch {
 public:
  // Takes the file's identity now: read the file after, so that a change
  // while it is read is seen next time.
  explicit FileWatch(std::filesystem::path path) : path_(std::move(path)), seen_(identity_of(path_)) {}

  const std::filesystem::path& path() const noexcept { return path_; }

  // Whether the file changed since the last call (or since construction);
  // a file that went away counts once, exists() tells which.
  bool changed() {
    const Identity now = identity_of(path_);
    if (now == seen_) return false;
    seen_ = now;
    return true;
  }
  bool exists() const noexcept { return seen_ != Identity{}; }

 private:
  struct Identity {
    std::uint64_t inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    friend bool operator==(const Identity&, const Identity&) = default;
  };
  static Identity identity_of(const std::filesystem::path& path);

  std::filesystem::path path_;
  Identity seen_;
};

}  // namespace sluice::enrichment
