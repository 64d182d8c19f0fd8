// `-o pipe`: nfdump 1.7.1's numbers of a flow between '|', for scripts.
#include <array>

#include "printed.h"
#include "sluice/nfdump_text/formatters.h"

namespace sluice::nfdump_text {

namespace {

// An address as nfdump keeps it, four 32-bit words of 128 bits in host
// order: an IPv4 flow's address is the low word, an IPv6 flow's all 16 bytes.
std::array<std::uint32_t, 4> words(const IpAddress& a, bool ipv6) {
  if (!ipv6) return {0, 0, 0, a.v4_value()};
  std::array<std::uint32_t, 4> w{};
  for (std::size_t i = 0; i < a.bytes.size(); ++i) w[i / 4] = w[i / 4] << 8 | a.bytes[i];
  return w;
}

class PipeFormatter final : public csv::Formatter {
 public:
  void header(csv::Buffer& /*out*/) override {}

  // Address family (AF_INET 2, AF_INET6 10), first and last in ms, protocol,
  // source address and port, destination address and port (ICMP: type << 8 |
  // code), AS numbers, interfaces, TCP flags, ToS, packets, bytes.
  void rows(std::span<const FlowRecord> flows, csv::Buffer& out) override {
    std::string line;
    for (const FlowRecord& f : flows) {
      const bool ipv6 = !(f.src_addr.is_v4() && f.dst_addr.is_v4());
      const auto src = words(f.src_addr, ipv6), dst = words(f.dst_addr, ipv6);
      line.clear();
      append(line, "%i|%llu|%llu|%u|%u|%u|%u|%u|%u|%u|%u|%u|%u|%u|", ipv6 ? 10 : 2,
             static_cast<unsigned long long>(f.first_ms), static_cast<unsigned long long>(f.last_ms), unsigned{f.proto},
             src[0], src[1], src[2], src[3], unsigned{f.src_port}, dst[0], dst[1], dst[2], dst[3],
             unsigned{f.dst_port});
      append(line, "%u|%u|%u|%u|%u|%u|%llu|%llu\n", f.src_as, f.dst_as, f.in_if, f.out_if, unsigned{f.tcp_flags},
             unsigned{f.tos}, static_cast<unsigned long long>(f.packets), static_cast<unsigned long long>(f.bytes));
      out.append(line);
    }
    rows_ += flows.size();
  }

  // nfdump prints no Summary after pipe lines, only that none matched.
  void trailer(csv::Buffer& out) override {
    if (rows_ == 0) out.append("No matching flows\n");
    rows_ = 0;
  }

 private:
  std::uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<csv::Formatter> make_pipe_formatter() { return std::make_unique<PipeFormatter>(); }

}  // namespace sluice::nfdump_text
