// Writes nfcapd files in the nfdump 1.7 layout.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "sluice/flow_record.h"
#include "sluice/nffile/file.h"

namespace sluice::nffile {

// nfdump ignores an ident record of 128 bytes or more (4 of header, 1 of NUL).
constexpr std::size_t max_ident_length = 122;

struct WriterOptions {
  Compression compression = Compression::none;
  std::string ident = "none";  // like nfcapd -I: names the source in the appendix
};

// Writes flows into blocks of about 1 MiB, each with a V3 record per flow.
// The file header's block count is brought up to date after every block, so
// a file cut short (crash, full disk) still reads up to its last full block.
// close() adds the appendix (ident, statistics). Every error is a FileError
// naming the file.
class Writer {
 public:
  explicit Writer(const std::filesystem::path& path, WriterOptions options = {});
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer();  // without close(): the file keeps the blocks written so far

  void write(std::span<const FlowRecord> flows);
  void flush();  // writes the flows so far as a block of their own
  void close();

  std::uint32_t blocks() const noexcept;  // data blocks written so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::nffile
