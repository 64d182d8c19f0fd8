#include "sluice/nffile/reader.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>

#include "block_codec.h"
#include "layout.h"
#include "sluice/file_output/file.h"
#include "v3_record.h"

namespace sluice::nffile {

struct Reader::Impl {
  file_output::File file;
  layout::FileHeader header;
  std::uint64_t offset = sizeof(layout::FileHeader);  // of the next block
  std::uint32_t blocks_read = 0;
  std::uint64_t data_bytes = 0;   // payloads of the data blocks read, expanded
  std::vector<std::byte> stored;  // a compressed block as read
  // Room for the largest block nfdump allows, never zero-filled: a block's
  // payload is read (or expanded) into it and only that much is touched.
  std::unique_ptr<std::byte[]> room = std::make_unique_for_overwrite<std::byte[]>(layout::max_block_payload);
  std::span<const std::byte> payload;     // of the block loaded last, in room
  std::optional<BlockCodec> codec;        // for a compressed file
  std::vector<ExporterOrigin> exporters;  // by sysid; grows to the largest seen
  bool has_appendix = false;
  std::string ident;
  FileStats stats;

  explicit Impl(const std::filesystem::path& path) : file(path, file_output::File::Mode::read) {
    if (file.read_at(0, &header, sizeof header) != sizeof header) fail(0, "too short for an nfcapd file header");
    if (header.magic != layout::file_magic) fail(0, "not an nfcapd file (bad magic)");
    if (header.version != layout::layout_version) {
      fail(offsetof(layout::FileHeader, version),
           "nfcapd file layout " + std::to_string(header.version) + " is not supported (only layout 2, nfdump 1.7)");
    }
    if (header.compression > static_cast<std::uint8_t>(Compression::lz4)) {
      fail(offsetof(layout::FileHeader, compression),
           "unknown compression method " + std::to_string(header.compression) + " (nfdump 1.7 knows 0 to 3)");
    }
    if (compression() != Compression::none) codec.emplace(compression());
    if (header.encryption != 0) fail(offsetof(layout::FileHeader, encryption), "encrypted files are not supported");
    // A file cut short has lost its appendix; its blocks still read, and the
    // cut is reported at the block it hits.
    if (header.appendix_blocks != 0 && static_cast<std::uint64_t>(header.appendix_offset) < file.size())
      read_appendix();
  }

  Compression compression() const noexcept { return static_cast<Compression>(header.compression); }

  [[noreturn]] void fail(std::uint64_t at, const std::string& what) const { throw FileError(file.path(), at, what); }

  // Reads the block at `at` and sets `payload` to its records; returns its header.
  layout::BlockHeader load_block(std::uint64_t at) {
    layout::BlockHeader bh;
    const std::size_t got = file.read_at(at, &bh, sizeof bh);
    if (got != sizeof bh) fail(at, "file ends inside a block header (truncated file)");
    if (bh.size == 0 || bh.size > layout::max_block_payload) fail(at, "corrupt block: size " + std::to_string(bh.size));
    const std::span<std::byte> all_room(room.get(), layout::max_block_payload);
    if (codec) stored.resize(bh.size);
    const std::span<std::byte> target = codec ? std::span<std::byte>(stored) : all_room.first(bh.size);
    if (file.read_at(at + sizeof bh, target.data(), bh.size) != bh.size) {
      fail(at, "file ends inside a block of " + std::to_string(bh.size) + " bytes (truncated file)");
    }
    if (!codec) {
      payload = target;
      return bh;
    }
    const auto size = codec->expand(stored, all_room);
    if (!size) fail(at, "corrupt block: its " + std::string(to_string(compression())) + " data does not expand");
    payload = all_room.first(*size);
    return bh;
  }

  void read_appendix() {
    const auto at = static_cast<std::uint64_t>(header.appendix_offset);
    start_block(at, load_block(at));
    has_appendix = true;
    while (cursor.left > 0) {
      layout::RecordHeader rh;
      const auto data = next_record(rh).subspan(sizeof rh);
      if (rh.type == layout::appendix_ident) {
        ident.assign(reinterpret_cast<const char*>(data.data()),
                     strnlen(reinterpret_cast<const char*>(data.data()), data.size()));
      } else if (rh.type == layout::appendix_stat && data.size() == sizeof stats) {
        std::memcpy(&stats, data.data(), sizeof stats);
      }
    }
  }

  // Where reading stands in the block loaded last.
  struct Cursor {
    std::uint64_t block_at = 0;  // the block's offset, for messages
    std::uint32_t left = 0;      // records not read yet
    std::uint32_t index = 0;     // of the next record
    std::size_t pos = 0;         // of the next record in payload
  } cursor;

  void start_block(std::uint64_t at, const layout::BlockHeader& bh) { cursor = {at, bh.records, 0, 0}; }

  // The next record of the block (there is one: cursor.left > 0), header included.
  std::span<const std::byte> next_record(layout::RecordHeader& rh) {
    if (payload.size() - cursor.pos < sizeof rh) fail(cursor.block_at, "corrupt block: records run past its end");
    std::memcpy(&rh, payload.data() + cursor.pos, sizeof rh);
    if (rh.size < sizeof rh || rh.size > payload.size() - cursor.pos) {
      fail(cursor.block_at,
           "corrupt block: record " + std::to_string(cursor.index) + " has size " + std::to_string(rh.size));
    }
    const auto record = payload.subspan(cursor.pos, rh.size);
    cursor.pos += rh.size;
    ++cursor.index;
    --cursor.left;
    return record;
  }

  void add_flow(std::span<const std::byte> record, std::vector<FlowRecord>& flows) {
    FlowRecord& f = flows.emplace_back();
    FlowOrigin origin;
    if (const char* error = decode_flow(record, f, origin))
      fail(cursor.block_at, std::string("corrupt block: ") + error);
    if (origin.sysid < exporters.size()) {
      const ExporterOrigin& exporter = exporters[origin.sysid];
      if (!origin.has_exporter_address) f.exporter = exporter.address;
      f.observation_domain = exporter.observation_domain;
      f.sampling_interval = exporter.sampling_interval;
      f.set_present(Element::exporter);
      f.set_present(Element::observation_domain);
      if (exporter.has_sampler) f.set_present(Element::sampling);
    }
  }

  bool read(std::vector<FlowRecord>& flows, std::size_t max_flows) {
    if (cursor.left == 0) {
      if (blocks_read == header.data_blocks) return false;
      const std::uint64_t at = offset;
      const auto bh = load_block(at);
      offset += sizeof bh + bh.size;
      ++blocks_read;
      data_bytes += payload.size();
      start_block(at, bh);
    }
    const std::size_t flows_before = flows.size();
    try {
      read_records(flows, max_flows);
    } catch (...) {
      // The flows of the call that met a corrupt record are not kept, nor
      // the rest of its block: reading goes on at the next block.
      flows.resize(flows_before);
      cursor.left = 0;
      throw;
    }
    return true;
  }

  ExporterOrigin& exporter(std::uint16_t sysid) {
    if (sysid >= exporters.size()) exporters.resize(sysid + 1u);
    return exporters[sysid];
  }

  void read_records(std::vector<FlowRecord>& flows, std::size_t max_flows) {
    flows.reserve(flows.size() + std::min<std::size_t>(max_flows, cursor.left));
    for (std::size_t added = 0; cursor.left > 0 && added < max_flows;) {
      layout::RecordHeader rh;
      const auto record = next_record(rh);
      switch (rh.type) {
        case layout::flow_v3:
          add_flow(record, flows);
          ++added;
          break;
        case layout::exporter_info: {
          ExporterOrigin origin;
          ExporterOrigin& known = exporter(decode_exporter_info(record, origin));
          origin.sampling_interval = known.sampling_interval;  // a sampler may have come first
          origin.has_sampler = known.has_sampler;
          known = origin;
        } break;
        case layout::sampler: {
          std::uint32_t interval = 1;
          const std::uint16_t sysid = decode_sampler(record, interval);
          exporter(sysid).sampling_interval = interval;
          exporter(sysid).has_sampler = true;
        } break;
        default:  // exporter statistics, histograms, legacy records: nothing a flow needs
          break;
      }
    }
  }
};

Reader::Reader(const std::filesystem::path& path) : impl_(std::make_unique<Impl>(path)) {}
Reader::~Reader() = default;

bool Reader::read_block(std::vector<FlowRecord>& flows) {
  return impl_->read(flows, std::numeric_limits<std::size_t>::max());
}
bool Reader::read(std::vector<FlowRecord>& flows, std::size_t max_flows) { return impl_->read(flows, max_flows); }

Compression Reader::compression() const noexcept { return impl_->compression(); }
std::uint32_t Reader::blocks() const noexcept { return impl_->header.data_blocks; }
std::uint32_t Reader::blocks_read() const noexcept { return impl_->blocks_read; }
std::uint64_t Reader::data_bytes_read() const noexcept { return impl_->data_bytes; }
bool Reader::has_appendix() const noexcept { return impl_->has_appendix; }
const std::string& Reader::ident() const noexcept { return impl_->ident; }
const FileStats& Reader::stats() const noexcept { return impl_->stats; }

}  // namespace sluice::nffile
