#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "sluice/csv/formatter.h"
#include "sluice/csv/text.h"
#include "sluice/nffile/exporter_table.h"
#include "sluice/nffile/file.h"
#include "sluice/protocols.h"

namespace sluice::csv {
namespace {

constexpr std::string_view nfdump_header =
    "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,"
    "odmc,"
    "idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr\n";

// Columns sluice's nfcapd files hold no data for, from the VLANs to the
// latencies: nfdump prints them so for a flow without those elements.
constexpr std::string_view empty_columns =
    ",0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,"
    "0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,";

constexpr std::size_t max_row = 1024;

class NfdumpFormatter final : public Formatter {
 public:
  explicit NfdumpFormatter(bool summary) : summary_(summary) {}

  void header(Buffer& out) override { out.append(nfdump_header); }

  void rows(std::span<const FlowRecord> flows, Buffer& out) override {
    for (const FlowRecord& flow : flows) out.commit(put_row(out.reserve(max_row), flow));
    rows_ += flows.size();
    if (summary_) tally(flows);
  }

  // Exporter ids count from 1 as exporters first appear in the file: rows
  // formatted apart number theirs from 1 as they appear in the rows.
  void detached_rows(std::span<const FlowRecord> flows, Buffer& out) override {
    exporters_.clear();
    for (const FlowRecord& flow : flows) out.commit(put_row(out.reserve(max_row), flow));
  }

  // The rows' exporter ids renumbered as the file numbers them, where the
  // two differ (most batches but a file's first, with several exporters).
  void attach(std::span<const FlowRecord> flows, Buffer& text) override {
    rows_ += flows.size();
    if (summary_) tally(flows);
    nffile::ExporterTable in_rows;
    std::vector<std::uint32_t> ids(flows.size());
    bool same = true;
    for (std::size_t i = 0; i < flows.size(); ++i) {
      ids[i] = exporters_.find_or_add(flows[i]).sysid;
      same &= ids[i] == in_rows.find_or_add(flows[i]).sysid;
    }
    if (!same) text = with_exporter_ids(text.view(), ids);
  }

  // nfdump's "Summary" lines; rates use the span from first to last flow.
  // Without rows, nfdump says so first (with -q too).
  void trailer(Buffer& out) override {
    if (rows_ == 0) out.append("No matching flows\n");
    if (summary_) out.append(nffile::csv_summary(totals_));
    totals_ = {};
    rows_ = 0;
    exporters_.clear();
  }

 private:
  char* put_row(char* p, const FlowRecord& f) {
    using text::put_uint;
    p = local_time(first_, p, f.first_ms);
    *p++ = ',';
    p = local_time(last_, p, f.last_ms);
    *p++ = ',';
    // nfdump subtracts without a check, so a flow ending before it starts wraps.
    p = text::put_thousandths(p, f.last_ms - f.first_ms);
    *p++ = ',';
    // The file holds both addresses as IPv4 or both as IPv6 (see nffile).
    if (f.src_addr.is_v4() && f.dst_addr.is_v4()) {
      p = text::put_ipv4(p, f.src_addr.v4_value());
      *p++ = ',';
      p = text::put_ipv4(p, f.dst_addr.v4_value());
    } else {
      p = text::put_address_as_ipv6(p, f.src_addr);
      *p++ = ',';
      p = text::put_address_as_ipv6(p, f.dst_addr);
    }
    *p++ = ',';
    p = put_uint(p, f.src_port);
    *p++ = ',';
    p = put_uint(p, f.dst_port);
    *p++ = ',';
    if (const auto name = protocol_name(f.proto); !name.empty()) {
      p = text::put(p, name);
    } else {  // nfdump pads numbers it has no name for to five characters
      char* const number = p;
      p = put_uint(p, f.proto);
      while (p - number < 5) *p++ = ' ';
    }
    *p++ = ',';
    p = text::put_tcp_flags(p, f.tcp_flags);
    // nfdump prints 0 for an element the flow does not have.
    const auto value_if = [&f](Element e, std::uint64_t value) { return f.has(e) ? value : 0; };
    for (const std::uint64_t value :
         {std::uint64_t{f.fwd_status}, std::uint64_t{f.tos}, f.packets, f.bytes,
          value_if(Element::reverse_counters, f.reverse_packets), value_if(Element::reverse_counters, f.reverse_bytes),
          value_if(Element::in_if, f.in_if), value_if(Element::out_if, f.out_if), value_if(Element::src_as, f.src_as),
          value_if(Element::dst_as, f.dst_as), value_if(Element::src_mask, f.src_mask),
          value_if(Element::dst_mask, f.dst_mask), value_if(Element::dst_tos, f.dst_tos),
          value_if(Element::direction, f.direction)}) {
      *p++ = ',';
      p = put_uint(p, value);
    }
    *p++ = ',';
    p = next_hop_or_zero(next_hop_, p, f, Element::next_hop, f.next_hop);
    *p++ = ',';
    p = bgp_next_hop(p, f);
    p = text::put(p, empty_columns);
    p = address_or_zero(exporter_, p, f.exporter);
    *p++ = ',';
    p = put_uint(p, f.engine_type);
    *p++ = '/';
    p = put_uint(p, f.engine_id);
    *p++ = ',';
    p = put_uint(p, exporters_.find_or_add(f).sysid);
    *p++ = ',';
    p = local_time(received_, p, f.received_ms);
    *p++ = '.';
    p = text::put_three_digits(p, static_cast<unsigned>(f.received_ms % 1000));
    *p++ = '\n';
    return p;
  }

  // `rows` with each row's exporter id (the column before the last) replaced
  // by ids[row]; copied, not formatted again.
  static Buffer with_exporter_ids(std::string_view rows, std::span<const std::uint32_t> ids) {
    Buffer out;
    out.reserve(rows.size() + ids.size() * 8);
    for (const std::uint32_t id : ids) {
      const std::string_view row = rows.substr(0, rows.find('\n') + 1);
      rows.remove_prefix(row.size());
      const auto id_end = row.rfind(',');
      const auto id_begin = row.rfind(',', id_end - 1) + 1;
      out.append(row.substr(0, id_begin));
      out.commit(text::put_uint(out.reserve(16), id));
      out.append(row.substr(id_end));
    }
    return out;
  }

  void tally(std::span<const FlowRecord> flows) {
    for (const FlowRecord& f : flows) totals_.add(f);
  }

  static char* local_time(text::DateTime& clock, char* p, std::uint64_t ms) {
    return clock.put(p, static_cast<std::int64_t>(ms / 1000));
  }

  // A next hop the flow has prints as its family does (an IPv6 next hop of
  // :: as "::"); none prints as IPv4 zero, as nfdump prints a missing element.
  static char* next_hop_or_zero(text::AddressText& column, char* p, const FlowRecord& f, Element element,
                                const IpAddress& a) {
    return f.has(element) ? column.put(p, a) : text::put(p, "0.0.0.0");
  }

  // nfdump 1.7.1 prints an IPv6 BGP next hop's column from the IP next hop
  // (output_csv.c reads ip_nexthop there): its 16 bytes as IPv6, an IPv4 one
  // as ::a.b.c.d, none as ::.
  char* bgp_next_hop(char* p, const FlowRecord& f) {
    if (!f.has(Element::bgp_next_hop) || f.bgp_next_hop.is_v4())
      return next_hop_or_zero(bgp_next_hop_, p, f, Element::bgp_next_hop, f.bgp_next_hop);
    IpAddress shown;
    if (f.has(Element::next_hop) && f.next_hop.is_v4())
      std::memcpy(shown.bytes.data() + 12, f.next_hop.bytes.data() + 12, 4);
    else if (f.has(Element::next_hop))
      shown = f.next_hop;
    return text::put_address_as_ipv6(p, shown);
  }

  // No address (no element in the file) prints as IPv4 zero.
  static char* address_or_zero(text::AddressText& column, char* p, const IpAddress& a) {
    return a.is_unspecified() ? text::put(p, "0.0.0.0") : column.put(p, a);
  }

  bool summary_;
  // One clock per column: each column's times rise steadily on their own.
  text::DateTime first_{text::DateTime::Zone::local, ' '};
  text::DateTime last_{text::DateTime::Zone::local, ' '};
  text::DateTime received_{text::DateTime::Zone::local, ' '};
  text::AddressText next_hop_;
  text::AddressText bgp_next_hop_;
  text::AddressText exporter_;
  nffile::ExporterTable exporters_;
  nffile::FileStats totals_;
  std::uint64_t rows_ = 0;  // rows of this file, for "No matching flows"
};

}  // namespace

std::unique_ptr<Formatter> make_nfdump_formatter(bool summary) { return std::make_unique<NfdumpFormatter>(summary); }

}  // namespace sluice::csv
