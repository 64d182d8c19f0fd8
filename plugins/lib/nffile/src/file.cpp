#include "sluice/nffile/file.h"

namespace sluice::nffile {

void FileStats::add(const FlowRecord& f) noexcept {
  const std::uint64_t p = f.packets + f.reverse_packets;
  const std::uint64_t b = f.bytes + f.reverse_bytes;
  flows += 1, packets += p, bytes += b;
  // Without branches: protocols come in no order a predictor could learn.
  const std::uint64_t tcp = f.proto == 6, udp = f.proto == 17, icmp = f.proto == 1 || f.proto == 58;
  const std::uint64_t other = 1 - tcp - udp - icmp;
  flows_tcp += tcp, packets_tcp += p * tcp, bytes_tcp += b * tcp;
  flows_udp += udp, packets_udp += p * udp, bytes_udp += b * udp;
  flows_icmp += icmp, packets_icmp += p * icmp, bytes_icmp += b * icmp;
  flows_other += other, packets_other += p * other, bytes_other += b * other;
  first_ms = f.first_ms < first_ms ? f.first_ms : first_ms;
  last_ms = f.last_ms > last_ms ? f.last_ms : last_ms;
}

}  // namespace sluice::nffile
