// Rows of one layout into one file at a time, formatting and writing at once.
#pragma once

#include <filesystem>
#include <memory>
#include <span>

#include "sluice/csv/buffer.h"
#include "sluice/csv/formatter.h"
#include "sluice/file_output/overlapped_file.h"
#include "sluice/flow_record.h"

namespace sluice::csv {

// A batch is formatted a slice of rows at a time into two buffers in turn:
// while this thread formats one slice, the kernel copies the one before into
// the file (file_output::OverlappedFile), which is nearly as much work. The
// batch's last slice is written before write() returns, so rows reach a pipe
// or a file as they come, and a failing disk fails the batch that met it.
class FileWriter {
 public:
  FileWriter(std::unique_ptr<Formatter> formatter, bool header);

  void open(const std::filesystem::path& path);  // "-" for standard output; starts with the header row
  void write(std::span<const FlowRecord> flows);
  void flush();  // writes what is buffered (the header) now
  void close();  // the trailer, then closes the file

  // Rows formatted by any FileWriter of the same layout (a worker's: no file
  // needed), then written into this one's file in order: byte for byte what
  // write() makes of the same flows.
  Buffer format(std::span<const FlowRecord> flows);
  void write_formatted(Buffer& text, std::span<const FlowRecord> flows);

 private:
  std::unique_ptr<Formatter> formatter_;
  bool header_;
  Buffer buffer_;                  // the slice being formatted
  Buffer written_;                 // the slice the kernel may still be copying
  std::size_t bytes_per_row_ = 0;  // of the rows format() made last, to size the next batch's buffer
  // Declared after the buffers, so destroyed before them: its destructor
  // waits for a write under way from written_.
  std::unique_ptr<file_output::OverlappedFile> file_;
};

}  // namespace sluice::csv
