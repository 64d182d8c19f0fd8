#include "sluice/file_output/overlapped_file.h"

#include <liburing.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace sluice::file_output {

struct OverlappedFile::Ring {
  io_uring ring{};
  bool ready = false;

  // A ring of two entries (one piece is ever under way), or null when the
  // kernel refuses io_uring.
  static std::unique_ptr<Ring> open() {
    auto r = std::make_unique<Ring>();
    r->ready = io_uring_queue_init(2, &r->ring, 0) == 0;
    return r->ready ? std::move(r) : nullptr;
  }
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    if (ready) io_uring_queue_exit(&ring);
  }
};

namespace {

// io_uring's length is 32 bits; a larger piece has its rest written by finish().
constexpr std::size_t max_piece = std::size_t{1} << 30;

}  // namespace

OverlappedFile::OverlappedFile(File file) : file_(std::move(file)) {
  // Standard output may be a pipe or a terminal: no offsets, and nothing to gain.
  if (file_.is_standard_output()) return;
  ring_ = Ring::open();
  end_ = file_.end();
}

OverlappedFile::~OverlappedFile() {
  try {
    finish();
  } catch (const FileError&) {  // the writer is gone: nobody is left to tell
  }
}

bool OverlappedFile::done_without_ring(std::span<const char> data) {
  finish();
  if (!data.empty() && !ring_) file_.append(data.data(), data.size());
  return data.empty() || !ring_;
}

void OverlappedFile::start(std::span<const char> data) {
  if (done_without_ring(data)) return;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_->ring);  // never null: the ring is empty after finish()
  io_uring_prep_write(sqe, file_.descriptor(), data.data(), static_cast<unsigned>(std::min(data.size(), max_piece)),
                      end_);
  // Straight to a kernel worker: issued inline, a buffered write would copy
  // on this thread before returning.
  sqe->flags |= IOSQE_ASYNC;
  if (const int submitted = io_uring_submit(&ring_->ring); submitted != 1) {
    throw FileError(file_.path(),
                    "cannot start writing: " + std::string(std::strerror(submitted < 0 ? -submitted : EIO)));
  }
  under_way_ = data;
  under_way_at_ = end_;
  end_ += data.size();
}

void OverlappedFile::append(std::span<const char> data) {
  if (done_without_ring(data)) return;
  file_.write_at(end_, data.data(), data.size());
  end_ += data.size();
}

void OverlappedFile::finish() {
  if (under_way_.empty()) return;
  const auto piece = std::exchange(under_way_, {});
  io_uring_cqe* cqe = nullptr;
  int waited = 0;
  do {
    waited = io_uring_wait_cqe(&ring_->ring, &cqe);
  } while (waited == -EINTR);
  if (waited < 0) throw FileError(file_.path(), "cannot wait for a write: " + std::string(std::strerror(-waited)));
  const int result = cqe->res;
  io_uring_cqe_seen(&ring_->ring, cqe);
  if (result < 0) throw FileError(file_.path(), "cannot write: " + std::string(std::strerror(-result)));
  // A short write (a disk filling up, a piece past max_piece): the rest is
  // written here, where a lasting failure reports itself.
  if (const auto written = static_cast<std::size_t>(result); written < piece.size())
    file_.write_at(under_way_at_ + written, piece.data() + written, piece.size() - written);
}

void OverlappedFile::close() {
  finish();
  file_.close();
}

}  // namespace sluice::file_output
