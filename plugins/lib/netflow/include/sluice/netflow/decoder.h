// NetFlow v5, v9 and IPFIX decoding (and v1, v7): datagrams in, flow records out, with the
// per-exporter state a collector keeps (templates, samplers, sequence numbers)
// and counters for everything that went wrong.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/flow_record.h"

namespace sluice::netflow {

// Why (part of) a datagram was not decoded. Each is counted per exporter.
enum class Malformed : std::uint8_t {
  truncated,        // shorter than its header, or a set or record runs past the end
  count_overrun,    // v1/v5/v7: more records than the version allows or the datagram holds
  unknown_version,  // not 1, 5, 7, 9 or 10: usually not NetFlow at all
  bad_set,          // a set shorter than its own header, or a reserved set id
  bad_template,     // id below 256, a field of length 0, too many fields, or fields past the set
  template_limit,   // a new template beyond DecoderLimits' template limits
};
inline constexpr std::size_t malformed_kinds = 6;
std::string_view malformed_name(Malformed reason) noexcept;

// What a collector knows about one exporter: an address speaking one version
// for one observation domain (v9 source id, IPFIX observation domain, v5
// engine type << 8 | engine id), the identity nfcapd uses too.
struct ExporterStats {
  IpAddress address;
  std::uint16_t version = 0;  // 0: the datagram's version was not one we speak
  std::uint32_t domain = 0;
  // When its first and its latest datagram arrived (the decoder's clock):
  // an exporter forgotten and heard from again starts afresh.
  std::uint64_t first_seen_ms = 0;
  std::uint64_t last_seen_ms = 0;

  std::uint64_t datagrams = 0;
  std::uint64_t records = 0;
  // Counted as nfcapd counts them: one error per datagram whose sequence
  // number is not the expected one (v5: previous + its flow count, v9:
  // previous + 1, IPFIX: previous + its data records).
  std::uint64_t sequence_errors = 0;
  // The size of forward gaps in what the version's sequence counts: flows
  // (v5), datagrams (v9) or data records (IPFIX).
  std::uint64_t lost = 0;
  std::uint64_t sets_without_template = 0;  // data before its template: dropped
  std::uint64_t templates = 0;              // templates currently known
  std::array<std::uint64_t, malformed_kinds> malformed{};

  std::uint64_t malformed_total() const noexcept;
};

// What one decoder keeps at most, whatever senders (or spoofers) send:
// about 4 bytes per template field and under 1 KiB of decoding steps per
// template, so at most 96 MiB of templates. An
// exporter silent for exporter_idle_ms is forgotten with its templates and
// counters; a new exporter in a full table makes room by forgetting the
// longest-silent one.
struct DecoderLimits {
  std::size_t max_exporters = 4096;
  std::uint64_t exporter_idle_ms = 3'600'000;
  std::size_t max_templates_per_exporter = 256;
  std::size_t max_templates = 32'768;         // over all exporters
  std::size_t max_fields_per_template = 512;  // real templates have fewer than 100
  std::size_t max_samplers_per_exporter = 64;
};

class Decoder {
 public:
  explicit Decoder(DecoderLimits limits = {});
  ~Decoder();
  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;

  // Decodes one datagram `exporter` sent, appending its flow records to
  // `out`. Bad input is counted, never thrown: what can be decoded is kept.
  void decode(const IpAddress& exporter, std::span<const std::uint8_t> datagram, std::uint64_t received_ms,
              std::vector<FlowRecord>& out);

  // Every exporter known, ordered by address, version and domain.
  std::vector<ExporterStats> exporters() const;
  // Forgets the exporters silent for exporter_idle_ms at `now_ms` (decode()
  // does too, before it adds an exporter).
  void forget_idle(std::uint64_t now_ms);
  // Exporters forgotten to make room for new ones in a full table.
  std::uint64_t evicted_exporters() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::netflow
