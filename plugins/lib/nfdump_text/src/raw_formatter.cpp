// `-o raw`: nfdump 1.7.1's "Flow Record:" block per flow, the record as
// stored (its header, then each element's values, in element-id order).
#include <cstdio>
#include <string>

#include "printed.h"
#include "sluice/csv/text.h"
#include "sluice/nfdump_text/formatters.h"
#include "sluice/nfdump_text/text.h"
#include "sluice/nffile/exporter_table.h"
#include "sluice/nffile/file.h"
#include "sluice/nffile/record_form.h"
#include "sluice/protocols.h"

namespace sluice::nfdump_text {

namespace {

// "1799294966570 [2027-01-07 04:09:26.570]"; a time of second 0 is "<unknown>".
void time_line(std::string& out, const char* label, std::uint64_t ms) {
  const std::string date = ms / 1000 == 0 ? "<unknown>" : local_time(static_cast<std::int64_t>(ms / 1000));
  append(out, "  %s=     %13llu [%s.%03llu]\n", label, static_cast<unsigned long long>(ms), date.c_str(),
         static_cast<unsigned long long>(ms % 1000));
}

void generic_flow_lines(std::string& out, const FlowRecord& f) {
  time_line(out, "first        ", f.first_ms);
  time_line(out, "last         ", f.last_ms);
  if (f.received_ms != 0)
    time_line(out, "received at  ", f.received_ms);
  else
    out += "  received at  =                 0 [0.000]\n";
  const auto name = protocol_name(f.proto);
  char number[8];
  std::snprintf(number, sizeof number, "%-5u", unsigned{f.proto});
  const unsigned flags = f.proto == 6 ? f.tcp_flags : 0U;  // nfdump shows TCP's only
  char flag_text[8];
  const std::string flag_string(flag_text, csv::text::put_tcp_flags(flag_text, static_cast<std::uint8_t>(flags)));
  append(out, "  proto        =               %3u %s\n  tcp flags    =              0x%.2x %s\n", unsigned{f.proto},
         name.empty() ? number : std::string(name).c_str(), flags, flag_string.c_str());
  if (f.proto == 1 || f.proto == 58)  // type and code travel in the destination port
    append(out, "  ICMP         =              %2u.%-2u type.code\n", unsigned{f.dst_port} >> 8,
           unsigned{f.dst_port} & 0xffU);
  else
    append(out,
           "  src port     =             %5u\n  dst port     =             %5u\n  src tos      =               %3u\n",
           unsigned{f.src_port}, unsigned{f.dst_port}, unsigned{f.tos});
  append(out, "  in packets   =        %10llu\n  in bytes     =        %10llu\n",
         static_cast<unsigned long long>(f.packets), static_cast<unsigned long long>(f.bytes));
}

// An address's network as nfdump's raw output prints a mask: "" for /0.
std::string network(const IpAddress& a, unsigned mask, bool ipv6) {
  if (mask == 0) return "";
  if (!ipv6) {
    const std::uint64_t bits = 0xffffffffULL << ((32U - mask) & 63U);  // x86 takes the count modulo 64
    return ip_text(IpAddress::v4(static_cast<std::uint32_t>(a.v4_value() & bits)), false);
  }
  std::uint64_t high = 0, low = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    high = high << 8 | a.bytes[i];
    low = low << 8 | a.bytes[i + 8];
  }
  if (mask <= 64) {
    high &= ~0ULL << ((64U - mask) & 63U);
    low = 0;
  } else {
    low &= ~0ULL << ((128U - mask) & 63U);
  }
  IpAddress masked;
  for (std::size_t i = 0; i < 8; ++i) {
    masked.bytes[i] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
    masked.bytes[i + 8] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
  }
  return ip_text(masked, true);
}

const char* biflow_text(std::uint8_t direction) {
  constexpr const char* names[] = {"", "initiator", "reverseInitiator", "perimeter"};
  return direction < std::size(names) ? names[direction] : "undef";
}

const char* end_reason_text(std::uint8_t reason) {
  constexpr const char* names[] = {"",           "idle timeout",     "active timeout", "end of Flow detected",
                                   "forced end", "lack of resources"};
  return reason < std::size(names) ? names[reason] : "undef";
}

// nfdump prints the source ToS as "dst tos".
void flow_misc_lines(std::string& out, const FlowRecord& f, bool ipv6) {
  append(out,
         "  input        =          %8u\n  output       =          %8u\n  src mask     =             %5u %s/%u\n"
         "  dst mask     =             %5u %s/%u\n  fwd status   =               %3u\n",
         f.in_if, f.out_if, unsigned{f.src_mask}, network(f.src_addr, f.src_mask, ipv6).c_str(), unsigned{f.src_mask},
         unsigned{f.dst_mask}, network(f.dst_addr, f.dst_mask, ipv6).c_str(), unsigned{f.dst_mask},
         unsigned{f.fwd_status});
  append(out,
         "  dst tos      =               %3u\n  direction    =               %3u\n  biFlow Dir   =              0x%.2x "
         "%s\n"
         "  end reason   =              0x%.2x %s\n",
         unsigned{f.tos}, unsigned{f.direction}, unsigned{f.biflow_direction}, biflow_text(f.biflow_direction),
         unsigned{f.end_reason}, end_reason_text(f.end_reason));
}

void address_line(std::string& out, const char* label, const IpAddress& a) {
  append(out, "  %s=  %16s\n", label, ip_text(a, !a.is_v4()).c_str());
}

// The reader also fills the exporter in from the file's exporter table,
// which a file of flows from no exporter (an aggregate's) holds as 0.0.0.0:
// the record held no address then.
bool has_exporter_address(const FlowRecord& f) {
  return f.has(Element::exporter) && !f.exporter.is_unspecified() &&
         !(f.exporter.is_v4() && f.exporter.v4_value() == 0);
}

// "NETFLOW v9", "SFLOW v5", "FLOW" for a record that does not say.
std::string export_type(std::uint8_t version) {
  if (version == 0) return "FLOW";
  const char* type = (version & 0x80) != 0 ? "SFLOW" : (version & 0x40) != 0 ? "PCAP" : "NETFLOW";
  return std::string(type) + " v" + std::to_string(version & 0x0fU);
}

class RawFormatter final : public csv::Formatter {
 public:
  explicit RawFormatter(bool summary) : summary_(summary) {}

  void header(csv::Buffer& /*out*/) override {}

  void rows(std::span<const FlowRecord> flows, csv::Buffer& out) override {
    std::string text;
    for (const FlowRecord& f : flows) {
      text.clear();
      record(text, f);
      totals_.add(f);
      out.append(text);
    }
  }

  void trailer(csv::Buffer& out) override {
    if (summary_) out.append(summary_line(totals_, false));
    totals_ = {};
    records_ = 0;
    exporters_.clear();
  }

 private:
  void record(std::string& out, const FlowRecord& flow) {
    FlowRecord stored = flow;
    if (!has_exporter_address(flow)) stored.set_absent(Element::exporter);
    const nffile::RecordForm form = nffile::record_form(stored);
    std::string elements;
    for (std::uint8_t i = 0; i < form.count; ++i) elements += std::to_string(form.elements[i]) + " ";
    append(out, "\nFlow Record: \n  RecordCount  =             %5llu\n", static_cast<unsigned long long>(++records_));
    append(out, "  Flags        =              0x%.2x %s, %s\n  Elements     =             %5u: %s\n",
           unsigned{form.flags}, export_type(flow.export_version).c_str(),
           (form.flags & 2U) != 0 ? "Sampled" : "Unsampled", unsigned{form.count}, elements.c_str());
    append(out,
           "  size         =             %5u\n  engine type  =             %5u\n  engine ID    =             %5u\n"
           "  export sysid =             %5u\n",
           unsigned{form.size}, unsigned{flow.engine_type}, unsigned{flow.engine_id},
           unsigned{exporters_.find_or_add(flow).sysid});
    const bool ipv6 = !flow.src_addr.is_v4() || !flow.dst_addr.is_v4();
    for (std::uint8_t i = 0; i < form.count; ++i) element(out, form.elements[i], stored, ipv6);
  }

  static void element(std::string& out, std::uint16_t id, const FlowRecord& f, bool ipv6) {
    using namespace nffile::element;
    switch (id) {
      case generic_flow: generic_flow_lines(out, f); break;
      case ipv4_flow:
      case ipv6_flow:
        append(out, "  src addr     =  %16s\n  dst addr     =  %16s\n", ip_text(f.src_addr, ipv6).c_str(),
               ip_text(f.dst_addr, ipv6).c_str());
        break;
      case flow_misc: flow_misc_lines(out, f, ipv6); break;
      case counters:
        append(out, "  out packets  =        %10llu\n  out bytes    =        %10llu\n  aggr flows   =        %10llu\n",
               static_cast<unsigned long long>(f.reverse_packets), static_cast<unsigned long long>(f.reverse_bytes),
               static_cast<unsigned long long>(f.flows));
        break;
      case as_routing:
        append(out, "  src as       =             %5u\n  dst as       =             %5u\n", f.src_as, f.dst_as);
        break;
      case bgp_next_hop_v4:
      case bgp_next_hop_v6: address_line(out, "bgp next hop ", f.bgp_next_hop); break;
      case ip_next_hop_v4:
      case ip_next_hop_v6: address_line(out, "ip next hop  ", f.next_hop); break;
      case received_v4:
      case received_v6: address_line(out, "ip exporter  ", f.exporter); break;
      default: break;
    }
  }

  const bool summary_;
  std::uint64_t records_ = 0;        // printed: RecordCount (nfdump counts those it read; the query refuses a filter)
  nffile::FileStats totals_;         // of the flows printed: the Summary line
  nffile::ExporterTable exporters_;  // export sysid: numbered from 1 as exporters first appear, as nfcapd does
};

}  // namespace

std::unique_ptr<csv::Formatter> make_raw_formatter(bool summary) { return std::make_unique<RawFormatter>(summary); }

}  // namespace sluice::nfdump_text
