#include "file.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sluice::disk_buffer {

namespace {

int open_flags(File::Mode mode) {
  switch (mode) {
    case File::Mode::read: return O_RDONLY;
    case File::Mode::create_new: return O_WRONLY | O_CREAT | O_EXCL;
    case File::Mode::replace: return O_WRONLY | O_CREAT | O_TRUNC;
  }
  return O_RDONLY;
}

// Runs a read or write of all `parts` at `offset`, resuming after partial
// transfers; returns the bytes done, short only at the end of the file.
template <class Call>
std::uint64_t transfer(std::span<const iovec> parts, std::uint64_t offset, Call&& call, int& error) {
  std::vector<iovec> rest(parts.begin(), parts.end());
  std::uint64_t done = 0;
  std::size_t first = 0;
  while (first < rest.size()) {
    const ssize_t n =
        call(rest.data() + first, static_cast<int>(rest.size() - first), static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : 0;
      return done;
    }
    done += static_cast<std::uint64_t>(n);
    for (auto left = static_cast<std::size_t>(n); left > 0 && first < rest.size();) {
      const std::size_t take = std::min(left, rest[first].iov_len);
      rest[first].iov_base = static_cast<char*>(rest[first].iov_base) + take;
      rest[first].iov_len -= take;
      left -= take;
      if (rest[first].iov_len == 0) ++first;
    }
  }
  error = 0;
  return done;
}

auto reader_of(int fd) {
  return [fd](const iovec* v, int n, off_t at) { return ::preadv(fd, v, n, at); };
}

std::uint64_t total(std::span<const iovec> parts) {
  std::uint64_t sum = 0;
  for (const iovec& part : parts) sum += part.iov_len;
  return sum;
}

}  // namespace

File::File(std::filesystem::path path, Mode mode) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), open_flags(mode) | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open", errno);
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

File::File(File&& other) noexcept : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void File::write_at(std::span<const iovec> parts, std::uint64_t offset) {
  int error = 0;
  const auto write = [this](const iovec* v, int n, off_t at) { return ::pwritev(fd_, v, n, at); };
  if (transfer(parts, offset, write, error) == total(parts)) return;
  // Cut the torn entry off, so the file holds what it held before; should
  // that fail too, the next open skips the torn entry and counts it.
  [[maybe_unused]] const int cut = ::ftruncate(fd_, static_cast<off_t>(offset));
  fail("cannot write", error != 0 ? error : ENOSPC);
}

bool File::read_at(std::span<const iovec> parts, std::uint64_t offset) {
  int error = 0;
  const std::uint64_t done = transfer(parts, offset, reader_of(fd_), error);
  if (error != 0) fail("cannot read", error);
  return done == total(parts);
}

std::vector<std::byte> File::read_all() {
  const off_t size = ::lseek(fd_, 0, SEEK_END);
  if (size < 0) fail("cannot read", errno);
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  const iovec all{bytes.data(), bytes.size()};
  int error = 0;
  bytes.resize(transfer({&all, 1}, 0, reader_of(fd_), error));
  if (error != 0) fail("cannot read", error);
  return bytes;
}

void File::sync() {
  if (::fdatasync(fd_) != 0) fail("cannot sync", errno);
}

void File::close() {
  if (fd_ < 0) return;
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("cannot close", errno);
}

void File::sync_folder(const std::filesystem::path& folder) {
  File directory;
  directory.path_ = folder;
  directory.fd_ = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory.fd_ < 0) directory.fail("cannot open", errno);
  if (::fsync(directory.fd_) != 0) directory.fail("cannot sync", errno);
}

void File::fail(const char* what, int error) const {
  throw Error(fmt::format("disk buffer: {} {}: {}", what, path_, std::strerror(error)));
}

}  // namespace sluice::disk_buffer
