#include "sluice/nffile/file.h"

#include <cstdio>
#include <ctime>
#include <utility>

namespace sluice::nffile {

namespace {
constexpr std::pair<Compression, std::string_view> compression_names[] = {
    {Compression::none, "none"}, {Compression::lzo, "lzo"}, {Compression::bz2, "bz2"}, {Compression::lz4, "lz4"}};

// The parts of nfdump's -t time, each after its separator, with its digits and range.
struct TimePart {
  char separator;  // before the part; the year has none
  int digits, min, max;
  int std::tm::*field;
  int offset;  // what the field holds less than the number written
};
constexpr TimePart time_parts[] = {
    {'\0', 4, 1970, 2038, &std::tm::tm_year, -1900},
    {'/', 2, 1, 12, &std::tm::tm_mon, -1},
    {'/', 2, 1, 31, &std::tm::tm_mday, 0},
    {'.', 2, 0, 23, &std::tm::tm_hour, 0},
    {':', 2, 0, 59, &std::tm::tm_min, 0},
    {':', 2, 0, 59, &std::tm::tm_sec, 0},
};
}  // namespace

std::optional<std::int64_t> parse_nfdump_time(std::string_view text) noexcept {
  std::tm tm{};
  tm.tm_mday = 1;
  tm.tm_isdst = -1;  // as mktime finds it, as nfdump asks
  for (const TimePart& part : time_parts) {
    if (part.separator != '\0') {
      if (text.empty()) break;  // a shorter form: the rest is the period's start
      if (text.front() != part.separator) return std::nullopt;
      text.remove_prefix(1);
    }
    if (text.size() < static_cast<std::size_t>(part.digits)) return std::nullopt;
    int value = 0;
    for (int i = 0; i < part.digits; ++i) {
      const char c = text[static_cast<std::size_t>(i)];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value < part.min || value > part.max) return std::nullopt;
    tm.*part.field = value + part.offset;
    text.remove_prefix(static_cast<std::size_t>(part.digits));
  }
  if (!text.empty()) return std::nullopt;
  return static_cast<std::int64_t>(std::mktime(&tm));
}

std::string_view to_string(Compression method) noexcept {
  for (const auto& [m, name] : compression_names)
    if (m == method) return name;
  return "unknown";
}

std::optional<Compression> parse_compression(std::string_view name) noexcept {
  for (const auto& [m, n] : compression_names)
    if (n == name) return m;
  return std::nullopt;
}

SummaryRates summary_rates(const FileStats& s) noexcept {
  const double seconds = s.last_ms != 0 ? static_cast<double>(s.last_ms - s.first_ms) / 1000.0 : 0;
  if (seconds <= 0) return {};
  return {.bps = static_cast<std::uint64_t>(static_cast<double>(s.bytes << 3) / seconds),
          .pps = static_cast<std::uint64_t>(static_cast<double>(s.packets) / seconds),
          .bpp = s.packets != 0 ? s.bytes / s.packets : 0};
}

std::string csv_summary(const FileStats& s) {
  const auto [bps, pps, bpp] = summary_rates(s);
  char line[160];
  const int n = std::snprintf(line, sizeof line, "%llu,%llu,%llu,%llu,%llu,%llu\n",
                              static_cast<unsigned long long>(s.flows), static_cast<unsigned long long>(s.bytes),
                              static_cast<unsigned long long>(s.packets), static_cast<unsigned long long>(bps),
                              static_cast<unsigned long long>(pps), static_cast<unsigned long long>(bpp));
  return "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n" + std::string(line, static_cast<std::size_t>(n));
}

void FileStats::add(const FlowRecord& f) noexcept {
  const std::uint64_t p = f.packets + f.reverse_packets;
  const std::uint64_t b = f.bytes + f.reverse_bytes;
  const std::uint64_t n = f.flows;  // an aggregate counts the flows it stands for, as nfdump counts them
  flows += n, packets += p, bytes += b;
  // Without branches: protocols come in no order a predictor could learn.
  const std::uint64_t tcp = f.proto == 6, udp = f.proto == 17, icmp = f.proto == 1 || f.proto == 58;
  const std::uint64_t other = 1 - tcp - udp - icmp;
  flows_tcp += n * tcp, packets_tcp += p * tcp, bytes_tcp += b * tcp;
  flows_udp += n * udp, packets_udp += p * udp, bytes_udp += b * udp;
  flows_icmp += n * icmp, packets_icmp += p * icmp, bytes_icmp += b * icmp;
  flows_other += n * other, packets_other += p * other, bytes_other += b * other;
  first_ms = f.first_ms < first_ms ? f.first_ms : first_ms;
  last_ms = f.last_ms > last_ms ? f.last_ms : last_ms;
}

void FileStats::add(const FileStats& o) noexcept {
  flows += o.flows, bytes += o.bytes, packets += o.packets;
  flows_tcp += o.flows_tcp, flows_udp += o.flows_udp, flows_icmp += o.flows_icmp, flows_other += o.flows_other;
  bytes_tcp += o.bytes_tcp, bytes_udp += o.bytes_udp, bytes_icmp += o.bytes_icmp, bytes_other += o.bytes_other;
  packets_tcp += o.packets_tcp, packets_udp += o.packets_udp, packets_icmp += o.packets_icmp,
      packets_other += o.packets_other;
  first_ms = o.first_ms < first_ms ? o.first_ms : first_ms;
  last_ms = o.last_ms > last_ms ? o.last_ms : last_ms;
  sequence_failures += o.sequence_failures;
}

}  // namespace sluice::nffile
