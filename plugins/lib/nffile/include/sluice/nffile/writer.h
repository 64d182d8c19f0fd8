// Writes nfcapd files in the nfdump 1.7 layout.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/nffile/exporter_table.h"
#include "sluice/nffile/file.h"

namespace sluice::nffile {

// nfdump ignores an ident record of 128 bytes or more (4 of header, 1 of NUL).
constexpr std::size_t max_ident_length = 122;

struct WriterOptions {
  Compression compression = Compression::none;
  std::string ident = "none";  // like nfcapd -I: names the source in the appendix
};

class BlockCodec;

// A run of flows as the blocks Writer::write(flows) appends after a flush()
// and before the next, encoded apart from any file (on a worker). Records
// name their exporter by its number in the file, which only the file knows:
// the run guesses that the file numbers the run's exporters as the run first
// names them (1, 2, ... in order of appearance), and declares none of them.
struct EncodedRun {
  std::vector<std::byte> blocks;  // block headers and (compressed) payloads, as in the file
  std::uint32_t block_count = 0;
  ExporterTable exporters;  // the run's, numbered as they first appear in it
  FileStats stats;
};

class RunEncoder {
 public:
  explicit RunEncoder(Compression compression);
  RunEncoder(RunEncoder&&) noexcept;
  RunEncoder& operator=(RunEncoder&&) noexcept;
  ~RunEncoder();

  EncodedRun encode(std::span<const FlowRecord> flows);

 private:
  void seal_block(EncodedRun& run);

  std::unique_ptr<BlockCodec> codec_;  // for a compressed file
  std::vector<std::byte> block_;       // the block under way, from its header
  std::vector<std::byte> compressed_;
  std::size_t used_ = 0;
  std::uint32_t records_ = 0;
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

  // The bytes of flush(), write(flows), flush(), from `run` (RunEncoder's
  // encoding of `flows`) where its guess of the exporters' numbering holds;
  // `flows` are encoded again here where it does not (a file's first run, or
  // a run naming its exporters in another order than the file). Returns
  // whether `run`'s blocks were used.
  bool write(const EncodedRun& run, std::span<const FlowRecord> flows);
  void close();

  std::uint32_t blocks() const noexcept;  // data blocks written so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::nffile
