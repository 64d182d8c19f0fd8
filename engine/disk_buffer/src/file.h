// A file descriptor whose every failure throws Error naming the file.
#pragma once

#include "sluice/disk_buffer/disk_buffer.h"

#include <sys/uio.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace sluice::disk_buffer {

class File {
 public:
  enum class Mode { read, create_new, replace };

  File() = default;
  File(std::filesystem::path path, Mode mode);
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  bool is_open() const noexcept { return fd_ >= 0; }
  const std::filesystem::path& path() const noexcept { return path_; }

  // Writes all of `parts` at `offset`; on failure cuts the file back to
  // `offset` (no torn entry is left behind) and throws.
  void write_at(std::span<const iovec> parts, std::uint64_t offset);
  // Reads all of `parts` at `offset`; false if the file ends first.
  bool read_at(std::span<const iovec> parts, std::uint64_t offset);
  std::vector<std::byte> read_all();
  void sync();
  void close();

  // Syncs a folder: makes the files created, renamed and removed in it durable.
  static void sync_folder(const std::filesystem::path& folder);

 private:
  [[noreturn]] void fail(const char* what, int error) const;

  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace sluice::disk_buffer
