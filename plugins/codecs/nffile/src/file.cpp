#include "sluice/nffile/file.h"

namespace sluice::nffile {

void FileStats::add(const FlowRecord& f) noexcept {
  const std::uint64_t p = f.packets + f.reverse_packets;
  const std::uint64_t b = f.bytes + f.reverse_bytes;
  flows += 1, packets += p, bytes += b;
  switch (f.proto) {
    case 1:
    case 58:
      flows_icmp += 1, packets_icmp += p, bytes_icmp += b;
      break;
    case 6:
      flows_tcp += 1, packets_tcp += p, bytes_tcp += b;
      break;
    case 17:
      flows_udp += 1, packets_udp += p, bytes_udp += b;
      break;
    default:
      flows_other += 1, packets_other += p, bytes_other += b;
  }
  if (f.first_ms < first_ms) first_ms = f.first_ms;
  if (f.last_ms > last_ms) last_ms = f.last_ms;
}

}  // namespace sluice::nffile
