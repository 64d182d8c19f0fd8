// Test helpers: encode records into whole datagrams, decode them back, and
// build datagrams by hand, byte by byte, for the decoder's bad-input tests.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "byte_builder.h"
#include "sluice/netflow/decoder.h"
#include "sluice/netflow/encoder.h"

namespace sluice::netflow::test {

using Bytes = std::vector<std::uint8_t>;

inline std::vector<Bytes> encode_all(Encoder& encoder, std::span<const FlowRecord> flows, std::uint64_t now_ms) {
  std::vector<Bytes> datagrams;
  Bytes buffer(encoder.config().mtu);
  while (!flows.empty()) {
    const Encoded e = encoder.encode(flows, now_ms, buffer);
    if (e.consumed == 0) break;  // no progress: a test will notice the missing records
    if (e.size > 0) datagrams.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(e.size));
    flows = flows.subspan(e.consumed);
  }
  return datagrams;
}

inline const IpAddress test_exporter = IpAddress::v4(0x7f000001);

inline std::vector<FlowRecord> decode_all(Decoder& decoder, const std::vector<Bytes>& datagrams,
                                          std::uint64_t received_ms = 0) {
  std::vector<FlowRecord> out;
  for (const auto& d : datagrams) decoder.decode(test_exporter, d, received_ms, out);
  return out;
}

// NetFlow v9 and IPFIX datagrams by hand, set lengths patched on close.
class Builder : public sluice::testing::ByteBuilder<Builder> {
 public:
  // v9 header: version, count, uptime, unix secs, sequence, source id.
  static Builder v9(std::uint32_t sequence, std::uint32_t source_id, std::uint32_t uptime = 10'000,
                    std::uint32_t secs = 1'795'000'000) {
    Builder b;
    b.u16(9).u16(0).u32(uptime).u32(secs).u32(sequence).u32(source_id);
    return b;
  }
  // IPFIX header: version, length (patched by bytes()), export time, sequence, domain.
  static Builder ipfix(std::uint32_t sequence, std::uint32_t domain, std::uint32_t secs = 1'795'000'000) {
    Builder b;
    b.ipfix_ = true;
    b.u16(10).u16(0).u32(secs).u32(sequence).u32(domain);
    return b;
  }

  Builder& set(std::uint16_t id) {
    set_start_ = bytes_.size();
    return u16(id).u16(0);
  }
  Builder& end_set() {
    patch(set_start_ + 2, bytes_.size() - set_start_, 2);
    return *this;
  }

  Bytes bytes() {
    if (ipfix_) patch(2, bytes_.size(), 2);
    return bytes_;
  }

 private:
  std::size_t set_start_ = 0;
  bool ipfix_ = false;
};

}  // namespace sluice::netflow::test
