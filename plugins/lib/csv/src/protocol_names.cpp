#include "sluice/csv/protocol_names.h"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace sluice::csv {
namespace {

// Index = protocol number: the short names nfdump 1.7.1 prints, which the
// nfdump layout must reproduce.
constexpr std::string_view protocol_names[] = {
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

}  // namespace

std::string_view protocol_name(std::uint8_t proto) noexcept {
  return proto < std::size(protocol_names) ? protocol_names[proto] : std::string_view{};
}

std::optional<std::uint8_t> protocol_number(std::string_view name) noexcept {
  const auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  for (std::size_t p = 0; p < std::size(protocol_names); ++p)
    if (std::ranges::equal(protocol_names[p], name, same)) return static_cast<std::uint8_t>(p);
  return std::nullopt;
}

}  // namespace sluice::csv
