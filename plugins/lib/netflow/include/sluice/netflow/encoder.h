// NetFlow v5, v9 and IPFIX encoding: flow records in, datagrams out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/netflow/version.h"

namespace sluice::netflow {

struct EncoderConfig {
  Version version = Version::v9;
  std::size_t mtu = 1400;  // largest datagram (UDP payload) in bytes
  // v9/IPFIX: templates open the first datagram of every stream and are sent
  // again after this many datagrams or this much time, whichever comes first,
  // so a collector that starts late or restarts learns them soon.
  std::uint32_t template_refresh_datagrams = 20;
  std::uint64_t template_refresh_ms = 30'000;
};

struct EncoderStats {
  std::uint64_t datagrams = 0;
  std::uint64_t records = 0;
  std::uint64_t skipped_ipv6 = 0;      // v5 has no IPv6: such records are dropped and counted
  std::uint64_t skipped_too_long = 0;  // v5/v9: flows longer than 49 days do not fit the uptime clock
  std::uint64_t template_sends = 0;
};

// One field of a template the encoder sends: an information element id, its
// length on the wire, and whether it is the RFC 5103 reverse (biflow) form.
struct TemplateField {
  std::uint16_t id = 0;
  std::uint16_t length = 0;
  bool reverse = false;
};

// One datagram's worth of work: `size` bytes were written, `consumed`
// records of the input were used up (encoded or skipped).
struct Encoded {
  std::size_t size = 0;
  std::size_t consumed = 0;
};

// Encodes records as one exporter would. Each observation domain (v9 source
// id, IPFIX observation domain, v5 engine type/id) is its own stream with its
// own sequence numbers, boot time and template schedule, as a collector keys
// them.
class Encoder {
 public:
  // Room for the header, both templates and a record of each family.
  static constexpr std::size_t minimum_mtu = 512;

  // Throws std::invalid_argument if config.mtu < minimum_mtu.
  explicit Encoder(EncoderConfig config);

  // Writes one datagram into `out` holding the longest prefix of `records`
  // that fits and belongs to one stream; `now_ms` is the export time (ms since
  // the epoch). Call again with the rest until all records are consumed. A
  // result with size 0 and consumed > 0 means the prefix was skipped (IPv6 for
  // v5, flows longer than 49 days for v5/v9: see stats()). With `out` of at
  // least config.mtu bytes, every call makes progress.
  Encoded encode(std::span<const FlowRecord> records, std::uint64_t now_ms, std::span<std::uint8_t> out);

  // Reorders records so that each stream's records, and within a stream
  // each address family's, are contiguous, keeping their order otherwise:
  // encode() then fills whole datagrams even when the records of several
  // exporters arrive interleaved. Linear time; no copy if already grouped.
  void group_by_stream(std::vector<FlowRecord>& records);

  const EncoderStats& stats() const noexcept { return stats_; }
  const EncoderConfig& config() const noexcept { return config_; }

 private:
  struct Stream {
    std::uint32_t sequence = 0;  // v5: flows, v9: datagrams, IPFIX: data records
    std::uint64_t boot_ms = 0;   // the simulated exporter's boot time (v5/v9 uptime base)
    std::uint64_t last_template_ms = 0;
    std::uint32_t datagrams_since_templates = 0;
    bool templates_sent = false;
  };

  Stream& stream_for(const FlowRecord& first, std::uint64_t export_ms);
  Encoded encode_v5(std::span<const FlowRecord> records, std::uint64_t now_ms, std::span<std::uint8_t> out);
  Encoded encode_templated(std::span<const FlowRecord> records, std::uint64_t now_ms, std::span<std::uint8_t> out);
  // Both templates as one set at `out`; its size, or 0 when it needs more than `room`.
  std::size_t put_template_set(std::uint8_t* out, std::size_t room) const;
  // Records of one domain as data sets from out[pos] (a set per run of one
  // family), while they fit below `limit`; returns how many, moving `pos`.
  std::size_t put_data_sets(std::span<const FlowRecord> records, const Stream& s, std::uint64_t export_ms,
                            std::span<std::uint8_t> out, std::size_t& pos, std::size_t limit) const;

  EncoderConfig config_;
  EncoderStats stats_;
  std::unordered_map<std::uint32_t, Stream> streams_;
  std::vector<TemplateField> ipv4_template_;
  std::vector<TemplateField> ipv6_template_;
  std::size_t ipv4_record_size_;
  std::size_t ipv6_record_size_;
  std::vector<FlowRecord> scratch_;      // group_by_stream's output, swapped in
  std::vector<std::uint32_t> group_of_;  // group_by_stream: each record's group
};

// What a record looks like after a round trip through `version` on the wire
// (without exporter address and receive time, which the collector sets):
// narrower fields saturate, fields the version lacks read as their defaults.
// Tests compare decoded records with this; the user guide lists the rules.
FlowRecord as_carried_by(Version version, const FlowRecord& record);

}  // namespace sluice::netflow
