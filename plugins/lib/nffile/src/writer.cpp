#include "sluice/nffile/writer.h"

#include <cstddef>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "block_codec.h"
#include "layout.h"
#include "sluice/file_output/file.h"
#include "sluice/nffile/exporter_table.h"
#include "v3_record.h"

namespace sluice::nffile {
namespace {

// nfcapd's block size (its WRITE_BUFFSIZE): large enough that the header
// update after each block costs nothing, small enough for nfdump's reader.
// A block ends with the record that takes it, header included, to this size.
constexpr std::size_t block_target = std::size_t{1} << 20;
constexpr std::size_t block_capacity = block_target + max_exporter_records_size + max_flow_record_size;
// An uncompressed block goes to the file in pieces of this size, its header
// last: the kernel copies each piece into the page cache while it is still in
// the CPU's cache, where the encoder just wrote it, and the encoder reuses the
// same warm memory for the next piece (a whole 1 MiB block is neither).
constexpr std::size_t piece_target = std::size_t{256} << 10;

}  // namespace

RunEncoder::RunEncoder(Compression compression)
    : codec_(compression == Compression::none ? nullptr : std::make_unique<BlockCodec>(compression)),
      block_(block_capacity) {}
RunEncoder::RunEncoder(RunEncoder&&) noexcept = default;
RunEncoder& RunEncoder::operator=(RunEncoder&&) noexcept = default;
RunEncoder::~RunEncoder() = default;

// What Writer::Impl::add does, with the run's own exporter numbers.
EncodedRun RunEncoder::encode(std::span<const FlowRecord> flows) {
  EncodedRun run;
  used_ = sizeof(layout::BlockHeader);  // nothing of a run that threw
  records_ = 0;
  for (const FlowRecord& f : flows) {
    used_ += encode_flow(f, run.exporters.find_or_add(f).sysid, block_.data() + used_);
    records_ += 1;
    run.stats.add(f);
    if (used_ >= block_target) seal_block(run);
  }
  seal_block(run);
  return run;
}

void RunEncoder::seal_block(EncodedRun& run) {
  if (records_ == 0) return;
  layout::BlockHeader bh;
  bh.records = records_;
  std::span<const std::byte> payload(block_.data() + sizeof bh, used_ - sizeof bh);
  if (codec_) {
    codec_->compress(payload, compressed_);
    payload = compressed_;
  }
  bh.size = static_cast<std::uint32_t>(payload.size());
  const auto* header = reinterpret_cast<const std::byte*>(&bh);
  run.blocks.insert(run.blocks.end(), header, header + sizeof bh);
  run.blocks.insert(run.blocks.end(), payload.begin(), payload.end());
  run.block_count += 1;
  used_ = sizeof bh;
  records_ = 0;
}

struct Writer::Impl {
  file_output::File file;
  WriterOptions options;
  layout::FileHeader header;
  std::vector<std::byte> block;  // what is not in the file yet of the block under way (from its header, if unwritten)
  std::size_t used = sizeof(layout::BlockHeader);
  std::size_t written = 0;     // bytes of the block under way already in the file (its header's place first)
  std::uint64_t block_at = 0;  // where the block under way starts in the file, once a piece of it is written
  std::uint32_t records = 0;
  std::optional<BlockCodec> codec;  // for a compressed file
  std::vector<std::byte> compressed;
  ExporterTable exporters;
  FileStats stats;
  bool closed = false;

  Impl(const std::filesystem::path& path, WriterOptions opts)
      : file(path, file_output::File::Mode::create), options(std::move(opts)), block(block_capacity) {
    header.created = std::time(nullptr);
    header.compression = static_cast<std::uint8_t>(options.compression);
    if (options.compression != Compression::none) codec.emplace(options.compression);
    file.append(&header, sizeof header);
  }

  void add(const FlowRecord& f) {
    const auto exporter = exporters.find_or_add(f);
    if (exporter.is_new) {
      const auto encoded = encode_exporter(f, exporter.sysid, block.data() + used);
      used += encoded.size;
      records += encoded.count;
    }
    used += encode_flow(f, exporter.sysid, block.data() + used);
    records += 1;
    stats.add(f);
    if (written + used >= block_target)
      write_block();
    else if (used >= piece_target && !codec)
      write_piece();
  }

  // Writes the block under construction, then the header's new block count:
  // the file is whole up to here whatever happens next.
  void write_block() {
    if (records == 0) return;
    store_block(records);
    header.data_blocks += 1;
    file.write_at(offsetof(layout::FileHeader, data_blocks), &header.data_blocks, sizeof header.data_blocks);
  }

  // Appends what is encoded of an uncompressed block; its header, not known
  // yet, takes its place now and gets its value in store_block.
  void write_piece() {
    if (written == 0) {
      block_at = file.end();
      std::memset(block.data(), 0, sizeof(layout::BlockHeader));  // not the previous block's
    }
    file.append(block.data(), used);
    written += used;
    used = 0;
  }

  void store_block(std::uint32_t record_count) {
    layout::BlockHeader bh;
    bh.records = record_count;
    if (codec) {
      codec->compress({block.data() + sizeof bh, used - sizeof bh}, compressed);
      bh.size = static_cast<std::uint32_t>(compressed.size());
      file.append(&bh, sizeof bh);
      file.append(compressed.data(), compressed.size());
    } else if (written == 0) {
      bh.size = static_cast<std::uint32_t>(used - sizeof bh);
      std::memcpy(block.data(), &bh, sizeof bh);
      file.append(block.data(), used);
    } else {
      bh.size = static_cast<std::uint32_t>(written + used - sizeof bh);
      file.append(block.data(), used);
      file.write_at(block_at, &bh, sizeof bh);
    }
    used = sizeof bh;
    written = 0;
    records = 0;
  }

  // The appendix: one block with the ident and the statistics records.
  void write_appendix() {
    header.appendix_offset = static_cast<std::int64_t>(file.end());
    header.appendix_blocks = 1;
    append_record(layout::appendix_ident, options.ident.c_str(), options.ident.size() + 1);
    append_record(layout::appendix_stat, &stats, sizeof stats);
    store_block(2);
  }

  // Whole blocks encoded elsewhere, then the header's new block count.
  void append_blocks(const EncodedRun& run) {
    if (run.block_count == 0) return;
    file.append(run.blocks.data(), run.blocks.size());
    stats.add(run.stats);
    header.data_blocks += run.block_count;
    file.write_at(offsetof(layout::FileHeader, data_blocks), &header.data_blocks, sizeof header.data_blocks);
  }

  void append_record(std::uint16_t type, const void* data, std::size_t size) {
    const layout::RecordHeader record{type, static_cast<std::uint16_t>(sizeof(layout::RecordHeader) + size)};
    std::memcpy(block.data() + used, &record, sizeof record);
    std::memcpy(block.data() + used + sizeof record, data, size);
    used += record.size;
  }
};

Writer::Writer(const std::filesystem::path& path, WriterOptions options) {
  if (options.ident.size() > max_ident_length) {
    throw FileError(path, "ident longer than the " + std::to_string(max_ident_length) + " characters nfdump reads");
  }
  impl_ = std::make_unique<Impl>(path, std::move(options));
}

Writer::~Writer() = default;

void Writer::write(std::span<const FlowRecord> flows) {
  for (const FlowRecord& f : flows) impl_->add(f);
}

void Writer::flush() { impl_->write_block(); }

bool Writer::write(const EncodedRun& run, std::span<const FlowRecord> flows) {
  flush();
  if (impl_->exporters.starts_with(run.exporters)) {
    impl_->append_blocks(run);
    return true;
  }
  write(flows);
  flush();
  return false;
}

void Writer::close() {
  if (impl_->closed) return;
  impl_->closed = true;
  impl_->write_block();
  impl_->write_appendix();
  impl_->file.write_at(0, &impl_->header, sizeof impl_->header);
  impl_->file.close();
}

std::uint32_t Writer::blocks() const noexcept { return impl_->header.data_blocks; }

}  // namespace sluice::nffile
