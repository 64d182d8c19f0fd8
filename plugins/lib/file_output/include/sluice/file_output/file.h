// A file on disk (or standard output), with errors that name it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace sluice::file_output {

// A failure to read or write a file: says which file and, when known, where.
class FileError : public std::runtime_error {
 public:
  FileError(const std::filesystem::path& path, const std::string& what);
  FileError(const std::filesystem::path& path, std::uint64_t offset, const std::string& what);

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// An open file descriptor that closes itself. Every failure is a FileError
// with the operating system's reason.
class File {
 public:
  enum class Mode { read, create };
  File(const std::filesystem::path& path, Mode mode);
  static File standard_output();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  ~File();

  // Writes all of `data` after what was appended so far.
  void append(const void* data, std::size_t size);
  void write_at(std::uint64_t offset, const void* data, std::size_t size);
  // Reads up to `size` bytes at `offset`; returns how many there were.
  std::size_t read_at(std::uint64_t offset, void* data, std::size_t size);
  std::uint64_t size() const;
  void close();  // reports what close() reports (NFS, quotas)

  std::uint64_t end() const noexcept { return end_; }
  int descriptor() const noexcept { return fd_; }
  bool is_standard_output() const noexcept { return !owned_; }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  File(std::filesystem::path path, int fd, bool owned) noexcept : path_(std::move(path)), fd_(fd), owned_(owned) {}
  [[noreturn]] void fail(const char* action) const;

  std::filesystem::path path_;
  int fd_ = -1;
  bool owned_ = true;
  std::uint64_t end_ = 0;
};

// Writes the file's data to the disk (fdatasync); a FileError if that fails.
void sync_file(const std::filesystem::path& path);

}  // namespace sluice::file_output
