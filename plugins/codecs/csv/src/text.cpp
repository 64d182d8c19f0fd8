#include "text.h"

#include <time.h>

#include <cstdio>

namespace sluice::csv::text {

char* put_thousandths(char* out, std::uint64_t value) noexcept {
  if (value >= std::uint64_t{1} << 53) {  // past exact doubles: print what printf prints
    return out + std::snprintf(out, 32, "%.3f", static_cast<double>(value) / 1000.0);
  }
  out = put_uint(out, value / 1000);
  *out++ = '.';
  return put_three_digits(out, static_cast<unsigned>(value % 1000));
}

char* put_ipv4(char* out, std::uint32_t a) noexcept {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out = put_uint(out, a >> shift & 0xff);
    *out++ = '.';
  }
  return out - 1;
}

char* put_ipv6(char* out, const std::uint8_t (&b)[16]) noexcept {
  unsigned words[8];
  for (int i = 0; i < 8; ++i) words[i] = unsigned{b[2 * i]} << 8 | b[2 * i + 1];
  // The first longest run of two or more zero words becomes "::".
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  if (best_len < 2) best = -1;

  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) *out++ = ':';
      continue;
    }
    if (i != 0) *out++ = ':';
    // ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 address dotted.
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
      return put_ipv4(out, std::uint32_t{b[12]} << 24 | std::uint32_t{b[13]} << 16 | std::uint32_t{b[14]} << 8 | b[15]);
    }
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned digit = words[i] >> shift & 0xf;
      if (digit != 0 || started || shift == 0) *out++ = hex[digit], started = true;
    }
  }
  if (best >= 0 && best + best_len == 8) *out++ = ':';
  return out;
}

char* put_address_as_ipv6(char* out, const IpAddress& a) noexcept {
  std::uint8_t bytes[16];
  std::memcpy(bytes, a.bytes.data(), 16);
  return put_ipv6(out, bytes);
}

char* put_address(char* out, const IpAddress& a) noexcept {
  return a.is_v4() ? put_ipv4(out, a.v4_value()) : put_address_as_ipv6(out, a);
}

namespace {

// Index = protocol number; nfdump 1.7.1's names (from its output_util.c list).
constexpr std::string_view protocol_names[] = {
    "0",     "ICMP",  "IGMP",  "GGP",   "IPIP",  "ST",    "TCP",   "CBT",   "EGP",   "IGP",   "BBN",   "NVPII", "PUP",
    "ARGUS", "ENCOM", "XNET",  "CHAOS", "UDP",   "MUX",   "DCN",   "HMP",   "PRM",   "XNS",   "Trnk1", "Trnk2", "Leaf1",
    "Leaf2", "RDP",   "IRTP",  "ISO-4", "NETBK", "MFESP", "MEINP", "DCCP",  "3PC",   "IDPR",  "XTP",   "DDP",   "IDPR",
    "TP++",  "IL",    "IPv6",  "SDRP",  "Rte6",  "Frag6", "IDRP",  "RSVP",  "GRE",   "MHRP",  "BNA",   "ESP",   "AH",
    "INLSP", "SWIPE", "NARP",  "MOBIL", "TLSP",  "SKIP",  "ICMP6", "NOHE6", "OPTS6", "HOST",  "CFTP",  "NET",   "SATNT",
    "KLAN",  "RVD",   "IPPC",  "FS",    "SATM",  "VISA",  "IPCV",  "CPNX",  "CPHB",  "WSN",   "PVP",   "BSATM", "SUNND",
    "WBMON", "WBEXP", "ISOIP", "VMTP",  "SVMTP", "VINES", "TTP",   "NSIGP", "DGP",   "TCF",   "EIGRP", "OSPF",  "S-RPC",
    "LARP",  "MTP",   "AX.25", "OS",    "MICP",  "SCCSP", "ETHIP", "ENCAP", "99",    "GMTP",  "IFMP",  "PNNI",  "PIM",
    "ARIS",  "SCPS",  "QNX",   "A/N",   "IPcmp", "SNP",   "CpqPP", "IPXIP", "VRRP",  "PGM",   "0hop",  "L2TP",  "DDX",
    "IATP",  "STP",   "SRP",   "UTI",   "SMP",   "SM",    "PTP",   "ISIS4", "FIRE",  "CRTP",  "CRUDP", "128",   "IPLT",
    "SPS",   "PIPE",  "SCTP",  "FC",    "134",   "MHEAD", "UDP-L", "MPLS"};
static_assert(std::size(protocol_names) == 138);

}  // namespace

std::string_view protocol_name(std::uint8_t proto) noexcept {
  return proto < std::size(protocol_names) ? protocol_names[proto] : std::string_view{};
}

char* put_tcp_flags(char* out, std::uint8_t flags) noexcept {
  static constexpr char letters[] = "CEUAPRSF";
  for (int bit = 0; bit < 8; ++bit) out[bit] = flags & (0x80 >> bit) ? letters[bit] : '.';
  return out + 8;
}

DateTime::DateTime(Zone zone, char separator)
    : zone_(zone), separator_(separator), prefix_{} {
  if (zone == Zone::local) ::tzset();
}

char* DateTime::put(char* out, std::int64_t seconds) {
  if (!have_minute_ || seconds < minute_start_ || seconds >= minute_start_ + 60) {
    const time_t t = static_cast<time_t>(seconds);
    struct tm tm {};
    if (zone_ == Zone::local) {
      ::localtime_r(&t, &tm);
    } else {
      ::gmtime_r(&t, &tm);
    }
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d%c%02d:%02d:", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, separator_,
                  tm.tm_hour, tm.tm_min);
    std::memcpy(prefix_, text, sizeof prefix_);
    // Zone offsets change on whole local minutes, so the minute is uniform.
    minute_start_ = seconds - tm.tm_sec;
    have_minute_ = true;
  }
  std::memcpy(out, prefix_, sizeof prefix_);
  const auto second = static_cast<unsigned>(seconds - minute_start_);
  out[17] = static_cast<char>('0' + second / 10);
  out[18] = static_cast<char>('0' + second % 10);
  return out + 19;
}

}  // namespace sluice::csv::text
