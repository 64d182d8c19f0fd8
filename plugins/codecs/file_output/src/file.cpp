#include "posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sluice/nffile/file.h"

namespace sluice::nffile {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* action) {
  throw FileError(path, std::string(action) + ": " + std::strerror(errno));
}

}  // namespace

PosixFile::PosixFile(const std::filesystem::path& path, Mode mode) : path_(path) {
  const int flags = mode == Mode::read ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC;
  fd_ = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, mode == Mode::read ? "cannot open" : "cannot create");
}

PosixFile::~PosixFile() {
  if (fd_ >= 0) ::close(fd_);
}

void PosixFile::append(const void* data, std::size_t size) {
  write_at(end_, data, size);
  end_ += size;
}

void PosixFile::write_at(std::uint64_t offset, const void* data, std::size_t size) {
  auto p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(path_, "cannot write");
    p += n;
    offset += static_cast<std::uint64_t>(n);
    size -= static_cast<std::size_t>(n);
  }
}

std::size_t PosixFile::read_at(std::uint64_t offset, void* data, std::size_t size) {
  auto p = static_cast<char*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd_, p + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path_, "cannot read");
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

std::uint64_t PosixFile::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail(path_, "cannot stat");
  return static_cast<std::uint64_t>(st.st_size);
}

void PosixFile::close() {
  const int fd = fd_;
  fd_ = -1;
  if (fd >= 0 && ::close(fd) != 0) fail(path_, "cannot close");
}

}  // namespace sluice::nffile
