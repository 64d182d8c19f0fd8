// The few POSIX calls the codec needs, turning failures into FileError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace sluice::nffile {

// An open file descriptor that closes itself.
class PosixFile {
 public:
  enum class Mode { read, create };
  PosixFile(const std::filesystem::path& path, Mode mode);
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;
  ~PosixFile();

  // Writes all of `data` at the end of what was written so far.
  void append(const void* data, std::size_t size);
  void write_at(std::uint64_t offset, const void* data, std::size_t size);
  // Reads up to `size` bytes at `offset`; returns how many there were.
  std::size_t read_at(std::uint64_t offset, void* data, std::size_t size);
  std::uint64_t size() const;
  void close();  // reports what close() reports (NFS, quota)

  std::uint64_t end() const noexcept { return end_; }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t end_ = 0;
};

}  // namespace sluice::nffile
