// The nfcapd file layout of nfdump 1.7 ("layout version 2") as plain structs.
//
// nfdump writes its structures as they lie in memory on the host, so a file
// is little-endian with natural C alignment; these structs reproduce that
// layout field for field (the static_asserts pin every size), and the codec
// moves them with memcpy.
#pragma once

#include <bit>
#include <cstdint>

#include "sluice/nffile/record_form.h"

#include "sluice/nffile/file.h"

namespace sluice::nffile::layout {

static_assert(std::endian::native == std::endian::little,
              "nfcapd files are read and written in little-endian byte order");

constexpr std::uint16_t file_magic = 0xA50C;
constexpr std::uint16_t layout_version = 2;
constexpr std::uint32_t nfdump_version = 0x01070100;  // the nfdump release a file claims to come from: 1.7.1

struct FileHeader {
  std::uint16_t magic = file_magic;
  std::uint16_t version = layout_version;
  std::uint32_t nfdversion = nfdump_version;
  std::int64_t created = 0;      // seconds since the epoch
  std::uint8_t compression = 0;  // a Compression
  std::uint8_t encryption = 0;
  std::uint16_t appendix_blocks = 0;  // 0 until the file is closed: a cut file then has no dangling appendix
  std::uint32_t unused = 0;
  std::int64_t appendix_offset = 0;
  std::uint32_t block_size = 0;
  std::uint32_t data_blocks = 0;  // nfdump reads exactly this many blocks after the header
};
static_assert(sizeof(FileHeader) == 40);

constexpr std::uint16_t data_block_type = 3;

struct BlockHeader {
  std::uint32_t records = 0;
  std::uint32_t size = 0;  // bytes after this header, as stored (compressed or not)
  std::uint16_t type = data_block_type;
  std::uint16_t flags = 0;
};
static_assert(sizeof(BlockHeader) == 12);

// nfdump's reader refuses blocks larger than this (its BUFFSIZE, 5 MiB).
constexpr std::uint32_t max_block_payload = 5u * 1024 * 1024;

// Record types inside a block (each record starts with type and size).
enum RecordType : std::uint16_t {
  exporter_info = 7,
  flow_v3 = 11,
  sampler = 15,
  appendix_ident = 0x8001,
  appendix_stat = 0x8002,
};

struct RecordHeader {
  std::uint16_t type = 0;
  std::uint16_t size = 0;  // including this header
};
static_assert(sizeof(RecordHeader) == 4);

struct V3Header {
  std::uint16_t type = flow_v3;
  std::uint16_t size = 0;
  std::uint16_t elements = 0;
  std::uint8_t engine_type = 0;
  std::uint8_t engine_id = 0;
  std::uint16_t exporter_sysid = 0;
  std::uint8_t flags = 0;
  std::uint8_t netflow_version = 0;
};
static_assert(sizeof(V3Header) == 12);
constexpr std::uint8_t v3_flag_sampled = 2;

struct ElementHeader {
  std::uint16_t type = 0;
  std::uint16_t length = 0;  // including this header
};
static_assert(sizeof(ElementHeader) == 4);

// An IPv6 address as nfdump keeps it: the two big-endian halves, each as a
// host-order 64-bit number.
using Ipv6Halves = std::uint64_t[2];

using ElementId = element::Id;
using enum element::Id;

struct GenericFlow {
  std::uint64_t first_ms;
  std::uint64_t last_ms;
  std::uint64_t received_ms;
  std::uint64_t packets;
  std::uint64_t bytes;
  std::uint16_t src_port;
  std::uint16_t dst_port;  // ICMP: type << 8 | code
  std::uint8_t proto;
  std::uint8_t tcp_flags;
  std::uint8_t fwd_status;
  std::uint8_t src_tos;
};
static_assert(sizeof(GenericFlow) == 48);

struct Ipv4Flow {
  std::uint32_t src;  // host byte order
  std::uint32_t dst;
};
static_assert(sizeof(Ipv4Flow) == 8);

struct Ipv6Flow {
  Ipv6Halves src;
  Ipv6Halves dst;
};
static_assert(sizeof(Ipv6Flow) == 32);

struct FlowMisc {
  std::uint32_t in_if;
  std::uint32_t out_if;
  std::uint8_t src_mask;
  std::uint8_t dst_mask;
  std::uint8_t direction;
  std::uint8_t dst_tos;
  std::uint8_t biflow_direction;
  std::uint8_t end_reason;
  std::uint8_t reverse_tcp_flags;
  std::uint8_t fill;
};
static_assert(sizeof(FlowMisc) == 16);

struct Counters {
  std::uint64_t flows;
  std::uint64_t out_packets;
  std::uint64_t out_bytes;
};
static_assert(sizeof(Counters) == 24);

struct AsRouting {
  std::uint32_t src_as;
  std::uint32_t dst_as;
};
static_assert(sizeof(AsRouting) == 8);

struct Ipv4Address {
  std::uint32_t ip;
};
struct Ipv6Address {
  Ipv6Halves ip;
};
static_assert(sizeof(Ipv6Address) == 16);

// Describes one exporter of the file; flows refer to it by sysid.
struct ExporterInfo {
  RecordHeader header{exporter_info, 32};
  std::uint32_t netflow_version = 0;
  Ipv6Halves ip{};           // IPv4: ip[1] holds the address
  std::uint16_t family = 0;  // AF_INET or AF_INET6
  std::uint16_t sysid = 0;
  std::uint32_t observation_domain = 0;
};
static_assert(sizeof(ExporterInfo) == 32);

// 1 in N packet sampling is "select 1, skip N - 1".
struct Sampler {
  RecordHeader header{sampler, 24};
  std::uint16_t exporter_sysid = 0;
  std::uint16_t algorithm = 0;
  std::int64_t id = -1;  // nfdump's "generic sampler" for the whole exporter
  std::uint32_t packet_interval = 1;
  std::uint32_t space_interval = 0;
};
static_assert(sizeof(Sampler) == 24);

// The appendix statistics record is the public FileStats.
static_assert(sizeof(FileStats) == 144);

}  // namespace sluice::nffile::layout
