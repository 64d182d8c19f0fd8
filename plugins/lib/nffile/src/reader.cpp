#include "sluice/nffile/reader.h"

#include <cstddef>
#include <cstring>
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
  std::vector<std::byte> stored;
  std::vector<std::byte> expanded;
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

  // Reads the block at `at` into `expanded`; returns its header.
  layout::BlockHeader load_block(std::uint64_t at) {
    layout::BlockHeader bh;
    const std::size_t got = file.read_at(at, &bh, sizeof bh);
    if (got != sizeof bh) fail(at, "file ends inside a block header (truncated file)");
    if (bh.size == 0 || bh.size > layout::max_block_payload) fail(at, "corrupt block: size " + std::to_string(bh.size));
    auto& target = codec ? stored : expanded;
    target.resize(bh.size);
    if (file.read_at(at + sizeof bh, target.data(), bh.size) != bh.size) {
      fail(at, "file ends inside a block of " + std::to_string(bh.size) + " bytes (truncated file)");
    }
    if (codec && !codec->expand(stored, expanded))
      fail(at, "corrupt block: its " + std::string(to_string(compression())) + " data does not expand");
    return bh;
  }

  void read_appendix() {
    const auto at = static_cast<std::uint64_t>(header.appendix_offset);
    const auto bh = load_block(at);
    has_appendix = true;
    for_each_record(at, bh, [&](const layout::RecordHeader& rh, std::span<const std::byte> record) {
      const auto data = record.subspan(sizeof rh);
      if (rh.type == layout::appendix_ident) {
        ident.assign(reinterpret_cast<const char*>(data.data()),
                     strnlen(reinterpret_cast<const char*>(data.data()), data.size()));
      } else if (rh.type == layout::appendix_stat && data.size() == sizeof stats) {
        std::memcpy(&stats, data.data(), sizeof stats);
      }
    });
  }

  template <typename Visit>
  void for_each_record(std::uint64_t block_at, const layout::BlockHeader& bh, Visit&& visit) {
    std::size_t pos = 0;
    for (std::uint32_t i = 0; i < bh.records; ++i) {
      layout::RecordHeader rh;
      if (expanded.size() - pos < sizeof rh) fail(block_at, "corrupt block: records run past its end");
      std::memcpy(&rh, expanded.data() + pos, sizeof rh);
      if (rh.size < sizeof rh || rh.size > expanded.size() - pos) {
        fail(block_at, "corrupt block: record " + std::to_string(i) + " has size " + std::to_string(rh.size));
      }
      visit(rh, std::span<const std::byte>(expanded.data() + pos, rh.size));
      pos += rh.size;
    }
  }

  void add_flow(std::uint64_t block_at, std::span<const std::byte> record, std::vector<FlowRecord>& flows) {
    FlowRecord& f = flows.emplace_back();
    FlowOrigin origin;
    if (const char* error = decode_flow(record, f, origin)) fail(block_at, std::string("corrupt block: ") + error);
    if (origin.sysid < exporters.size()) {
      const ExporterOrigin& exporter = exporters[origin.sysid];
      if (!origin.has_exporter_address) f.exporter = exporter.address;
      f.observation_domain = exporter.observation_domain;
      f.sampling_interval = exporter.sampling_interval;
    }
  }

  bool read_block(std::vector<FlowRecord>& flows) {
    if (blocks_read == header.data_blocks) return false;
    const std::uint64_t at = offset;
    const auto bh = load_block(at);
    offset += sizeof bh + bh.size;
    ++blocks_read;
    const std::size_t flows_before = flows.size();
    try {
      read_records(at, bh, flows);
    } catch (...) {
      flows.resize(flows_before);  // a corrupt block yields no flows at all
      throw;
    }
    return true;
  }

  ExporterOrigin& exporter(std::uint16_t sysid) {
    if (sysid >= exporters.size()) exporters.resize(sysid + 1u);
    return exporters[sysid];
  }

  void read_records(std::uint64_t at, const layout::BlockHeader& bh, std::vector<FlowRecord>& flows) {
    flows.reserve(flows.size() + bh.records);
    for_each_record(at, bh, [&](const layout::RecordHeader& rh, std::span<const std::byte> record) {
      switch (rh.type) {
        case layout::flow_v3: add_flow(at, record, flows); break;
        case layout::exporter_info: {
          ExporterOrigin origin;
          ExporterOrigin& known = exporter(decode_exporter_info(record, origin));
          origin.sampling_interval = known.sampling_interval;  // a sampler may have come first
          known = origin;
        } break;
        case layout::sampler: {
          std::uint32_t interval = 1;
          const std::uint16_t sysid = decode_sampler(record, interval);
          exporter(sysid).sampling_interval = interval;
        } break;
        default:  // exporter statistics, histograms, legacy records: nothing a flow needs
          break;
      }
    });
  }
};

Reader::Reader(const std::filesystem::path& path) : impl_(std::make_unique<Impl>(path)) {}
Reader::~Reader() = default;

bool Reader::read_block(std::vector<FlowRecord>& flows) { return impl_->read_block(flows); }

Compression Reader::compression() const noexcept { return impl_->compression(); }
std::uint32_t Reader::blocks() const noexcept { return impl_->header.data_blocks; }
bool Reader::has_appendix() const noexcept { return impl_->has_appendix; }
const std::string& Reader::ident() const noexcept { return impl_->ident; }
const FileStats& Reader::stats() const noexcept { return impl_->stats; }

}  // namespace sluice::nffile
