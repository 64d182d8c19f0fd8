// One flow as an nfdump V3 record, and the exporter records it refers to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "sluice/flow_record.h"

namespace sluice::nffile {

// The largest record encode_flow writes: header and every element it uses.
constexpr std::size_t max_flow_record_size = 12 + 52 + 36 + 20 + 28 + 12 + 20 + 20 + 20;
// What encode_exporter writes at most: exporter info and sampler records.
constexpr std::size_t max_exporter_records_size = 32 + 24;

// Writes `flow` as a V3 record at `out`, with the elements it has (as
// nfcapd writes those the exporter sent); returns its size.
std::size_t encode_flow(const FlowRecord& flow, std::uint16_t sysid, std::byte* out) noexcept;

struct EncodedRecords {
  std::size_t size;
  std::uint32_t count;
};

// Writes the exporter info record (and the sampler record, for a sampled
// exporter) describing the origin of `flow` under `sysid`.
EncodedRecords encode_exporter(const FlowRecord& flow, std::uint16_t sysid, std::byte* out) noexcept;

// What a flow record says besides the flow itself.
struct FlowOrigin {
  std::uint16_t sysid = 0;
  bool has_exporter_address = false;  // the record carried the address it came from
};

// Reads a V3 record into `flow`, marking present what its elements hold
// (fields it lacks keep their defaults).
// Returns nullptr, or what is wrong with the record.
const char* decode_flow(std::span<const std::byte> record, FlowRecord& flow, FlowOrigin& origin) noexcept;

// The address, domain and sampling of one exporter of a file.
struct ExporterOrigin {
  IpAddress address;
  std::uint32_t observation_domain = 0;
  std::uint32_t sampling_interval = 1;
  bool has_sampler = false;  // a sampler record gave sampling_interval
};

// Reads an exporter info record; returns its sysid.
std::uint16_t decode_exporter_info(std::span<const std::byte> record, ExporterOrigin& origin) noexcept;

// Reads a sampler record; returns its exporter's sysid and sets `interval`.
std::uint16_t decode_sampler(std::span<const std::byte> record, std::uint32_t& interval) noexcept;

}  // namespace sluice::nffile
