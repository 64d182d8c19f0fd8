#include "sluice/csv/file_writer.h"

#include <utility>

namespace sluice::csv {
namespace {

// About 95 KB of nfdump-layout text: still in the cache when the kernel
// copies it, and 8 slices in a batch of binary_reader's, of which only the
// last is written without overlap. A batch of this size or less (a
// collector's) goes out in one write, as without the overlap.
constexpr std::size_t rows_per_slice = 256;

}  // namespace

FileWriter::FileWriter(std::unique_ptr<Formatter> formatter, bool header)
    : formatter_(std::move(formatter)), header_(header) {}

void FileWriter::open(const std::filesystem::path& path) {
  using file_output::File;
  file_ = std::make_unique<file_output::OverlappedFile>(path == "-" ? File::standard_output()
                                                                    : File(path, File::Mode::create));
  buffer_.clear();
  if (header_) formatter_->header(buffer_);
}

void FileWriter::write(std::span<const FlowRecord> flows) {
  while (flows.size() > rows_per_slice) {
    formatter_->rows(flows.first(rows_per_slice), buffer_);
    flows = flows.subspan(rows_per_slice);
    file_->start(buffer_.view());  // after the slice before, if that is still under way
    std::swap(buffer_, written_);
    buffer_.clear();
  }
  formatter_->rows(flows, buffer_);
  flush();
}

// A new buffer a batch (it leaves with the payload), sized at once by the
// rows before: grown by doubling, a batch's text was copied again and again.
Buffer FileWriter::format(std::span<const FlowRecord> flows) {
  Buffer text;
  text.reserve(flows.size() * (bytes_per_row_ + bytes_per_row_ / 8) + 4096);
  formatter_->detached_rows(flows, text);
  if (!flows.empty()) bytes_per_row_ = text.size() / flows.size();
  return text;
}

// `text` goes to the kernel whole, behind what is buffered (the header), and
// is kept in written_ while it is copied; the payload gets the buffer before.
void FileWriter::write_formatted(Buffer& text, std::span<const FlowRecord> flows) {
  formatter_->attach(flows, text);
  if (buffer_.size() != 0) flush();
  file_->start(text.view());
  std::swap(text, written_);
}

void FileWriter::flush() {
  file_->append(buffer_.view());
  buffer_.clear();
}

void FileWriter::close() {
  formatter_->trailer(buffer_);
  flush();
  file_->close();
  file_.reset();
}

}  // namespace sluice::csv
