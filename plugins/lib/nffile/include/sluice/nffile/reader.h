// Reads nfcapd files: sluice's and nfcapd 1.7's, uncompressed or with any
// block compression nfcapd writes (LZ4, LZO, bzip2).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/nffile/file.h"

namespace sluice::nffile {

// Reads a file one data block at a time. A file that ends before the block
// count in its header says, or holds a malformed block, is a FileError with
// the file name and the byte offset of the trouble.
class Reader {
 public:
  explicit Reader(const std::filesystem::path& path);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader();

  // Appends the flows of the next data block to `flows` (after read(), the
  // rest of the block under way); false when the file has no more blocks.
  bool read_block(std::vector<FlowRecord>& flows);
  // Appends at most `max_flows` flows, going on within a block from call to
  // call: pieces small enough to stay in the cache while the pipeline uses
  // them. False when the file has no more; a call may append none (a block
  // of exporter records only). A call that meets a corrupt record appends
  // nothing, and reading goes on at the next block.
  bool read(std::vector<FlowRecord>& flows, std::size_t max_flows);

  Compression compression() const noexcept;
  std::uint32_t blocks() const noexcept;       // data blocks the header announces
  std::uint32_t blocks_read() const noexcept;  // data blocks begun so far
  // The data blocks' payloads begun so far, expanded: nfdump's "Bytes read".
  std::uint64_t data_bytes_read() const noexcept;
  bool has_appendix() const noexcept;         // false for a file never closed, or cut short
  const std::string& ident() const noexcept;  // from the appendix; "" without one
  const FileStats& stats() const noexcept;    // from the appendix; zero without one

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::nffile
