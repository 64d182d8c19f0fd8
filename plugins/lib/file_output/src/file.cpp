#include "sluice/file_output/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sluice::file_output {

FileError::FileError(const std::filesystem::path& path, const std::string& what)
    : std::runtime_error(path.string() + ": " + what), path_(path) {}

FileError::FileError(const std::filesystem::path& path, std::uint64_t offset, const std::string& what)
    : std::runtime_error(path.string() + ": at byte " + std::to_string(offset) + ": " + what), path_(path) {}

File::File(const std::filesystem::path& path, Mode mode) : path_(path) {
  const int flags = mode == Mode::read ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC;
  fd_ = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(mode == Mode::read ? "cannot open" : "cannot create");
}

File File::standard_output() { return File("<stdout>", STDOUT_FILENO, false); }

File::File(File&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), owned_(other.owned_), end_(other.end_) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0 && owned_) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    owned_ = other.owned_;
    end_ = other.end_;
  }
  return *this;
}

File::~File() {
  if (fd_ >= 0 && owned_) ::close(fd_);
}

void File::fail(const char* action) const { throw FileError(path_, std::string(action) + ": " + std::strerror(errno)); }

void File::append(const void* data, std::size_t size) {
  if (!owned_) {  // a pipe or terminal has no offsets
    for (auto p = static_cast<const char*>(data); size > 0;) {
      const ssize_t n = ::write(fd_, p, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("cannot write");
      p += n, size -= static_cast<std::size_t>(n), end_ += static_cast<std::uint64_t>(n);
    }
    return;
  }
  write_at(end_, data, size);
  end_ += size;
}

void File::write_at(std::uint64_t offset, const void* data, std::size_t size) {
  auto p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write");
    p += n;
    offset += static_cast<std::uint64_t>(n);
    size -= static_cast<std::size_t>(n);
  }
}

std::size_t File::read_at(std::uint64_t offset, void* data, std::size_t size) {
  auto p = static_cast<char*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd_, p + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot read");
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

std::uint64_t File::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("cannot stat");
  return static_cast<std::uint64_t>(st.st_size);
}

void File::close() {
  const int fd = std::exchange(fd_, -1);
  if (fd >= 0 && owned_ && ::close(fd) != 0) fail("cannot close");
}

void sync_file(const std::filesystem::path& path) {
  File file(path, File::Mode::read);
  if (::fdatasync(file.descriptor()) != 0)
    throw FileError(path, std::string("cannot sync to the disk: ") + std::strerror(errno));
  file.close();
}

}  // namespace sluice::file_output
