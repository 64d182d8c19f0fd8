// What any flow a network exports must satisfy, and small statistics helpers
// for the generator's tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sanitized.h"
#include "sluice/flow_record.h"

namespace sluice::flowgen::test {

using sluice::testing::sanitized;

constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
constexpr std::uint64_t inactive_timeout_ms = 15'000;

inline std::uint64_t per_packet(const FlowRecord& f) { return f.bytes / f.packets; }
inline unsigned ip_header(const FlowRecord& f) { return f.src_addr.is_v4() ? 20 : 40; }

// Why this flow could not come from a real exporter; empty if it could.
// Background and attacks alike: bytes within the protocol's packet sizes,
// flags that fit the packets, durations that fit packets and timeouts.
inline std::string inconsistency(const FlowRecord& f, std::uint64_t active_timeout_ms) {
  const unsigned ip = ip_header(f);
  if (f.packets == 0) return "no packets";
  if (f.first_ms > f.last_ms) return "ends before it starts";
  if (f.src_addr.is_v4() != f.dst_addr.is_v4()) return "mixes address families";
  const std::uint64_t duration = f.last_ms - f.first_ms;
  if (f.packets == 1 && duration != 0) return "one packet that lasts";
  if (duration > active_timeout_ms) return "longer than the active timeout";
  if (duration > (f.packets - 1) * inactive_timeout_ms) return "a gap longer than the inactive timeout";
  if (f.bytes > f.packets * 1500) return "packets above the MTU";
  if (f.proto == 6) {
    const std::uint8_t flags = f.tcp_flags;
    if (f.bytes < f.packets * (ip + 20)) return "TCP packets smaller than their headers";
    if (flags == 0 || (flags & ~0x1f) != 0) return "TCP flags outside FIN SYN RST PSH ACK";
    if (flags == syn) {
      if (per_packet(f) < 40 || per_packet(f) > 80) return "a SYN-only flow outside 40-80 bytes a packet";
      if (f.packets > 3 && duration != 0) return "SYN retransmitted past the third";
    }
    if ((flags & syn) && !(flags & ack) && (flags & ~(syn | rst))) return "SYN without ACK alongside FIN or PSH";
    if ((flags & syn) && (flags & (fin | rst)) && f.packets < 2) return "one packet that opens and closes";
    if ((flags & psh) && f.bytes <= f.packets * (ip + 20)) return "PSH without payload";
    if (!(flags & (psh | syn)) && per_packet(f) > ip + 32) return "payload without PSH";
    if (duration + 1000 >= active_timeout_ms && (flags & (fin | rst))) return "cut by the timeout, yet closed";
  } else {
    if (f.tcp_flags != 0) return "TCP flags on a non-TCP flow";
    const unsigned header = ip + 8;  // UDP and ICMP headers are both 8 bytes
    if (f.bytes < f.packets * header) return "packets smaller than their headers";
    if (f.proto == 17) {
      if (f.src_port == 0 || f.dst_port == 0) return "UDP port 0";
      if (f.label != 0) return {};  // attacks bend applications (NTP's monlist, DNS's ANY)
      if ((f.src_port == 123 || f.dst_port == 123) && per_packet(f) != header + 48 && f.bytes % f.packets == 0)
        return "NTP packets not 48 bytes";
      if (f.dst_port == 53 && per_packet(f) > header + 300) return "a DNS query over 300 bytes";
    } else if (f.proto == 1 || f.proto == 58) {
      if (f.src_port != 0) return "ICMP with a source port";
      const unsigned type = f.dst_port >> 8, code = f.dst_port & 0xff;
      const bool v4 = f.proto == 1;
      const bool echo = v4 ? (type == 0 || type == 8) : (type == 128 || type == 129);
      const bool error = v4 ? ((type == 3 && code <= 15) || (type == 11 && code <= 1))
                            : ((type == 1 && code <= 6) || (type == 3 && code <= 1));
      if (!echo && !error) return "ICMP type/code " + std::to_string(type) + "/" + std::to_string(code);
      if (echo && code != 0) return "echo with a code";
      if (error && (per_packet(f) < header + ip + 8 || per_packet(f) > (v4 ? 576u : 1280u)))
        return "an ICMP error without the offending header, or too large";
    } else {
      return "protocol " + std::to_string(f.proto);
    }
  }
  return {};
}

// The share of `flows` for which `pick` holds, among those `among` accepts.
template <class Pick, class Among>
double share(const std::vector<FlowRecord>& flows, Pick pick, Among among) {
  std::size_t hits = 0, all = 0;
  for (const auto& f : flows)
    if (among(f)) {
      ++all;
      hits += pick(f) ? 1 : 0;
    }
  return all == 0 ? 0 : static_cast<double>(hits) / static_cast<double>(all);
}

}  // namespace sluice::flowgen::test
