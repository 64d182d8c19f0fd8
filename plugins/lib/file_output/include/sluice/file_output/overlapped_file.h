// A file written while its writer goes on preparing the next piece: start()
// hands a piece to the kernel (io_uring) and returns at once, so copying it
// into the page cache runs on the other core while this thread formats the
// next one. One piece is under way at a time and pieces land in order.
// Where io_uring is refused (an old kernel, a container's seccomp profile)
// and for standard output, start() writes in the call, as File::append does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "sluice/file_output/file.h"

namespace sluice::file_output {

class OverlappedFile {
 public:
  explicit OverlappedFile(File file);
  OverlappedFile(const OverlappedFile&) = delete;
  OverlappedFile& operator=(const OverlappedFile&) = delete;
  ~OverlappedFile();  // waits for the piece under way (call finish() to learn whether it failed)

  // Waits for the piece under way (a FileError if it failed), then starts
  // writing `data` after it. `data` must stay as it is until the next call.
  void start(std::span<const char> data);
  // Waits for the piece under way, then writes `data` after it in the call.
  void append(std::span<const char> data);
  // Waits for the piece under way; a FileError if it failed.
  void finish();
  void close();  // finish(), then close the file

  bool overlapped() const noexcept { return ring_ != nullptr; }  // false: start() writes in the call
  const std::filesystem::path& path() const noexcept { return file_.path(); }

 private:
  struct Ring;
  // Waits for the piece under way; then writes `data` in the call where no
  // ring is. True when nothing is left to do with `data`.
  bool done_without_ring(std::span<const char> data);

  File file_;
  std::unique_ptr<Ring> ring_;       // null: no io_uring, or standard output
  std::uint64_t end_ = 0;            // where the next piece goes (with a ring)
  std::span<const char> under_way_;  // the piece the kernel is writing
  std::uint64_t under_way_at_ = 0;
};

}  // namespace sluice::file_output
