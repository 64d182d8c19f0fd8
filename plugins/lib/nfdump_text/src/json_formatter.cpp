// `-o json`: nfdump 1.7.1's JSON array, an object per flow holding a group
// of members for each of the flow's elements (nfdump's extensions), in the
// order nfcapd stores them.
#include <cstdio>
#include <ctime>
#include <string>

#include "printed.h"
#include "sluice/csv/text.h"
#include "sluice/nfdump_text/formatters.h"
#include "sluice/nffile/exporter_table.h"

namespace sluice::nfdump_text {

namespace {

// "2026-11-18T09:59:59.080" in local time (TZ).
std::string json_time(std::uint64_t ms) {
  const auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[48];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03u", static_cast<unsigned>(ms % 1000));
  return text;
}

bool is_ipv6(const IpAddress& a) { return !a.is_v4(); }

// An address's network as nfdump's JSON prints it, with its quirks kept: an
// IPv4 mask shifts a 64-bit value (x86 takes the count modulo 64), and an
// IPv6 mask below 64 leaves the upper half whole and cuts the lower one by
// the mask's own length ("2001:db8::7407:29cb:e468:d1dd"/46 is
// "2001:db8:0:0:7407::").
std::string network(const IpAddress& a, unsigned mask, bool ipv6) {
  if (!ipv6) {
    const std::uint64_t bits = 0xffffffffULL << ((32U - mask) & 63U);
    return ip_text(IpAddress::v4(static_cast<std::uint32_t>(a.v4_value() & bits)), false);
  }
  std::uint64_t high = 0, low = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    high = high << 8 | a.bytes[i];
    low = low << 8 | a.bytes[i + 8];
  }
  if (mask >= 64) {
    high &= ~0ULL << ((mask - 64) & 63U);
    low = 0;
  } else {
    low &= ~0ULL << (mask & 63U);
  }
  IpAddress masked;
  for (std::size_t i = 0; i < 8; ++i) {
    masked.bytes[i] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
    masked.bytes[i + 8] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
  }
  return ip_text(masked, true);
}

std::string tcp_flags(std::uint8_t bits) {
  char text[8];
  return {text, static_cast<std::size_t>(csv::text::put_tcp_flags(text, bits) - text)};
}

void generic_flow(std::string& out, const FlowRecord& f) {
  append(out,
         "\t\"first\" : \"%s\",\n\t\"last\" : \"%s\",\n\t\"received\" : \"%s\",\n\t\"in_packets\" : %llu,\n"
         "\t\"in_bytes\" : %llu,\n",
         json_time(f.first_ms).c_str(), json_time(f.last_ms).c_str(), json_time(f.received_ms).c_str(),
         static_cast<unsigned long long>(f.packets), static_cast<unsigned long long>(f.bytes));
  if (f.proto == 1 || f.proto == 58)  // type and code travel in the destination port
    append(out, "\t\"proto\" : %u,\n\t\"icmp_type\" : %u,\n\t\"icmp_code\" : %u,\n\t\"src_tos\" : %u,\n",
           unsigned{f.proto}, unsigned{f.dst_port} >> 8, unsigned{f.dst_port} & 0xffU, unsigned{f.tos});
  else
    append(out,
           "\t\"proto\" : %u,\n\t\"tcp_flags\" : \"%s\",\n\t\"src_port\" : %u,\n\t\"dst_port\" : %u,\n"
           "\t\"src_tos\" : %u,\n",
           unsigned{f.proto}, tcp_flags(f.tcp_flags).c_str(), unsigned{f.src_port}, unsigned{f.dst_port},
           unsigned{f.tos});
}

void addresses(std::string& out, const FlowRecord& f, bool ipv6) {
  const char* family = ipv6 ? "6" : "4";
  append(out, "\t\"src%s_addr\" : \"%s\",\n\t\"dst%s_addr\" : \"%s\",\n", family, ip_text(f.src_addr, ipv6).c_str(),
         family, ip_text(f.dst_addr, ipv6).c_str());
}

void flow_misc(std::string& out, const FlowRecord& f, bool ipv6) {
  const bool masked = f.src_mask != 0 || f.dst_mask != 0;
  append(out,
         "\t\"input_snmp\" : %u,\n\t\"output_snmp\" : %u,\n\t\"src_mask\" : %u,\n\t\"dst_mask\" : %u,\n"
         "\t\"src_net\" : \"%s\",\n\t\"dst_net\" : \"%s\",\n\t\"fwd_status\" : %u,\n\t\"direction\" : %u,\n"
         "\t\"dst_tos\" : %u,\n",
         f.in_if, f.out_if, unsigned{f.src_mask}, unsigned{f.dst_mask},
         masked ? network(f.src_addr, f.src_mask, ipv6).c_str() : "",
         masked ? network(f.dst_addr, f.dst_mask, ipv6).c_str() : "", unsigned{f.fwd_status}, unsigned{f.direction},
         unsigned{f.dst_tos});
}

// An element holding one address, named by its family ("ip4_next_hop").
void address_element(std::string& out, const char* prefix, const char* suffix, const IpAddress& a) {
  append(out, "\t\"%s%s_%s\" : \"%s\",\n", prefix, is_ipv6(a) ? "6" : "4", suffix, ip_text(a, is_ipv6(a)).c_str());
}

// nfdump prints the exporter's address where the flow's record holds it
// (nfcapd always writes it). The reader also fills it in from the file's
// exporter table, which a file of flows from no exporter (an aggregate's)
// holds as 0.0.0.0: that is no address.
bool has_exporter_address(const FlowRecord& f) {
  return f.has(Element::exporter) && !f.exporter.is_unspecified() &&
         !(f.exporter.is_v4() && f.exporter.v4_value() == 0);
}

constexpr std::uint64_t misc_elements = FlowRecord::bit(Element::in_if) | FlowRecord::bit(Element::out_if) |
                                        FlowRecord::bit(Element::src_mask) | FlowRecord::bit(Element::dst_mask) |
                                        FlowRecord::bit(Element::direction) | FlowRecord::bit(Element::dst_tos);
constexpr std::uint64_t counter_elements = FlowRecord::bit(Element::reverse_counters) | FlowRecord::bit(Element::flows);
constexpr std::uint64_t as_elements = FlowRecord::bit(Element::src_as) | FlowRecord::bit(Element::dst_as);

class JsonFormatter final : public csv::Formatter {
 public:
  explicit JsonFormatter(bool brackets) : brackets_(brackets) {}

  void header(csv::Buffer& out) override { out.append("[\n"); }

  void rows(std::span<const FlowRecord> flows, csv::Buffer& out) override {
    std::string text;
    for (const FlowRecord& f : flows) {
      text.clear();
      if (rows_++ != 0) text += ",\n";
      object(text, f);
      out.append(text);
    }
  }

  // Without rows nfdump says so (inside the brackets, if any).
  void trailer(csv::Buffer& out) override {
    if (rows_ == 0) out.append("No matching flows\n");
    if (brackets_) out.append("]\n");
    rows_ = 0;
    exporters_.clear();
  }

 private:
  // One flow's members, each element's in nfdump's order of element ids.
  void object(std::string& out, const FlowRecord& f) {
    const bool ipv6 = is_ipv6(f.src_addr) || is_ipv6(f.dst_addr);
    append(out, "{\n\t\"type\" : \"FLOW\",\n\t\"sampled\" : %u,\n\t\"export_sysid\" : %u,\n",
           f.sampling_interval > 1 ? 1U : 0U, unsigned{exporters_.find_or_add(f).sysid});
    generic_flow(out, f);
    addresses(out, f, ipv6);
    if ((f.present & misc_elements) != 0) flow_misc(out, f, ipv6);
    if ((f.present & counter_elements) != 0)
      append(out, "\t\"out_packets\" : %llu,\n\t\"out_bytes\" : %llu,\n\t\"aggr_flows\" : %llu,\n",
             static_cast<unsigned long long>(f.reverse_packets), static_cast<unsigned long long>(f.reverse_bytes),
             static_cast<unsigned long long>(f.flows));
    if ((f.present & as_elements) != 0) append(out, "\t\"src_as\" : %u,\n\t\"dst_as\" : %u,\n", f.src_as, f.dst_as);
    if (f.has(Element::bgp_next_hop)) address_element(out, "bgp", "next_hop", f.bgp_next_hop);
    if (f.has(Element::next_hop)) address_element(out, "ip", "next_hop", f.next_hop);
    if (has_exporter_address(f)) address_element(out, "ip", "router", f.exporter);
    out += "\t\"label\" : \"<none>\"\n}";
  }

  const bool brackets_;
  std::uint64_t rows_ = 0;
  nffile::ExporterTable exporters_;  // export_sysid: numbered from 1 as exporters first appear, as nfcapd does
};

}  // namespace

std::unique_ptr<csv::Formatter> make_json_formatter(bool brackets) { return std::make_unique<JsonFormatter>(brackets); }

}  // namespace sluice::nfdump_text
