// sluice SDK: IP protocol names as nfdump 1.7.1 prints them, which its CSV
// output shows and its filter reads (`proto icmp6`): text formats and the
// filter share them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace sluice {

namespace detail {

// Index = protocol number.
inline constexpr std::string_view protocol_names[] = {
    "0",     "ICMP",  "IGMP",  "GGP",   "IPIP",  "ST",    "TCP",   "CBT",   "EGP",   "IGP",  "BBN",   "NVPII", "PUP",
    "ARGUS", "ENCOM", "XNET",  "CHAOS", "UDP",   "MUX",   "DCN",   "HMP",   "PRM",   "XNS",  "Trnk1", "Trnk2", "Leaf1",
    "Leaf2", "RDP",   "IRTP",  "ISO-4", "NETBK", "MFESP", "MEINP", "DCCP",  "3PC",   "IDPR", "XTP",   "DDP",   "IDPR",
    "TP++",  "IL",    "IPv6",  "SDRP",  "Rte6",  "Frag6", "IDRP",  "RSVP",  "GRE",   "MHRP", "BNA",   "ESP",   "AH",
    "INLSP", "SWIPE", "NARP",  "MOBIL", "TLSP",  "SKIP",  "ICMP6", "NOHE6", "OPTS6", "HOST", "CFTP",  "NET",   "SATNT",
    "KLAN",  "RVD",   "IPPC",  "FS",    "SATM",  "VISA",  "IPCV",  "CPNX",  "CPHB",  "WSN",  "PVP",   "BSATM", "SUNND",
    "WBMON", "WBEXP", "ISOIP", "VMTP",  "SVMTP", "VINES", "TTP",   "NSIGP", "DGP",   "TCF",  "EIGRP", "OSPF",  "S-RPC",
    "LARP",  "MTP",   "AX.25", "OS",    "MICP",  "SCCSP", "ETHIP", "ENCAP", "99",    "GMTP", "IFMP",  "PNNI",  "PIM",
    "ARIS",  "SCPS",  "QNX",   "A/N",   "IPcmp", "SNP",   "CpqPP", "IPXIP", "VRRP",  "PGM",  "0hop",  "L2TP",  "DDX",
    "IATP",  "STP",   "SRP",   "UTI",   "SMP",   "SM",    "PTP",   "ISIS4", "FIRE",  "CRTP", "CRUDP", "128",   "IPLT",
    "SPS",   "PIPE",  "SCTP",  "FC",    "134",   "MHEAD", "UDP-L", "MPLS"};
static_assert(std::size(protocol_names) == 138);

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace detail

// "TCP", "ICMP6" ... as nfdump 1.7.1 names protocol `proto`; empty when it has no name.
constexpr std::string_view protocol_name(std::uint8_t proto) noexcept {
  return proto < std::size(detail::protocol_names) ? detail::protocol_names[proto] : std::string_view{};
}

// The number of a protocol named as protocol_name() names it, ignoring case;
// of two protocols of one name (IDPR), the first.
constexpr std::optional<std::uint8_t> protocol_number(std::string_view name) noexcept {
  const auto same = [](char a, char b) { return detail::lower(a) == detail::lower(b); };
  for (std::size_t p = 0; p < std::size(detail::protocol_names); ++p)
    if (std::ranges::equal(detail::protocol_names[p], name, same)) return static_cast<std::uint8_t>(p);
  return std::nullopt;
}

}  // namespace sluice
