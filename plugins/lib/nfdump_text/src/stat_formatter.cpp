// nfdump's `-s` table: the rows of one bin ranked, with shares of the totals.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "order.h"
#include "sluice/nfdump_text/formatters.h"
#include "sluice/nfdump_text/text.h"

namespace sluice::nfdump_text {

namespace {

// The elements a table prints, with nfdump's column header for each.
struct Column {
  Field field;
  std::string_view header;
};

constexpr Column columns[] = {
    {Field::src_addr, "Src IP Addr"}, {Field::dst_addr, "Dst IP Addr"},
    {Field::next_hop, "Nexthop IP"},  {Field::exporter, "Router IP"},
    {Field::src_port, "Src Port"},    {Field::dst_port, "Dst Port"},
    {Field::proto, "Protocol"},       {Field::tos, "Tos"},
    {Field::dst_tos, "Dst Tos"},      {Field::direction, "Dir"},
    {Field::src_as, "Src AS"},        {Field::dst_as, "Dst AS"},
    {Field::in_if, "Input If"},       {Field::out_if, "Output If"},
    {Field::src_mask, "Src Mask"},    {Field::dst_mask, "Dst Mask"},
    {Field::src_vlan, "Src Vlan"},    {Field::dst_vlan, "Dst Vlan"},
};

// Tables of a flow's either side, by the source field the aggregate keyed.
constexpr Column either_side_columns[] = {
    {Field::src_addr, "IP Addr"}, {Field::src_port, "Port"}, {Field::src_as, "AS"},
    {Field::in_if, "In/Out If"},  {Field::src_mask, "Mask"}, {Field::src_vlan, "Vlan"},
};

const Column& column_of(Field field, bool either_side) {
  for (const Column& c : either_side ? std::span<const Column>(either_side_columns) : std::span<const Column>(columns))
    if (c.field == field) return c;
  std::string either;
  for (const Column& c : either_side_columns) either += (either.empty() ? "" : ", ") + std::string(name_of(c.field));
  throw std::invalid_argument("no statistics column for the field \"" + std::string(name_of(field)) +
                              "\"; tables are made of " + stat_field_names() + "; of either side, of " + either);
}

template <class... Args>
std::string printed(const char* format, Args... args) {
  char text[256];
  const int n = std::snprintf(text, sizeof text, format, args...);
  return std::string(text, static_cast<std::size_t>(n > 0 ? n : 0));
}

// A row's counts and nfdump's rates of them over its span.
struct Rates {
  Counts counts;
  double seconds;
  std::uint64_t pps, bps;
  unsigned bpp;
};

Rates rates_of(const FlowRecord& r) {
  const Counts c = counts_of(r);
  const double seconds = duration_of(r.first_ms, r.last_ms);
  std::uint64_t pps = 0, bps = 0;
  if (seconds != 0) {
    pps = static_cast<std::uint64_t>(static_cast<double>(c.packets) / seconds);
    bps = static_cast<std::uint64_t>(static_cast<double>(8 * c.bytes) / seconds);
  }
  return {c, seconds, pps, bps, static_cast<unsigned>(c.packets != 0 ? c.bytes / c.packets : 0)};
}

double share(std::uint64_t part, std::uint64_t whole) {
  return whole != 0 ? static_cast<double>(part * 100) / static_cast<double>(whole) : 0;
}

class StatFormatter final : public csv::Formatter {
 public:
  explicit StatFormatter(StatLayout layout)
      : layout_(layout),
        column_(column_of(layout.field, layout.either_side)),
        rows_(layout.order, layout.top, layout.totals_row) {}

  // The title waits for the trailer: nfdump prints it after the data was read.
  void header(csv::Buffer&) override {}

  // Every row counts in the totals the shares are of (or the last is
  // them); only the top ones are kept.
  void rows(std::span<const FlowRecord> flows, csv::Buffer&) override { rows_.add(flows); }

  void trailer(csv::Buffer& out) override {
    nffile::FileStats totals = rows_.take_totals();
    if (layout_.either_side) totals.flows /= 2, totals.packets /= 2, totals.bytes /= 2;
    if (totals.flows == 0 && layout_.no_match) out.append("No matching flows\n");
    if (layout_.title) title(out);
    for (const FlowRecord& r : rows_.take()) out.append(line(r, totals));
    out.append("\n");
    if (layout_.summary) out.append(layout_.csv ? nffile::csv_summary(totals) : summary_line(totals, layout_.plain));
  }

 private:
  void title(csv::Buffer& out) const {
    if (layout_.csv) {
      // nfdump's counts of `flows` tables are the input direction's, of the others both directions'.
      out.append(layout_.order == Order::flows ? "ts,te,td,pr,val,fl,flP,ipkt,ipktP,ibyt,ibytP,ipps,ibps,ibpp\n"
                                               : "ts,te,td,pr,val,fl,flP,pkt,pktP,byt,bytP,pps,bps,bpp\n");
      return;
    }
    const std::string top = layout_.top != 0 ? std::to_string(layout_.top) + " " : std::string();
    out.append(printed("Top %s%.*s ordered by %.*s:\n", top.c_str(), static_cast<int>(column_.header.size()),
                       column_.header.data(), static_cast<int>(to_string(layout_.order).size()),
                       to_string(layout_.order).data()));
    out.append(
        printed("Date first seen                 Duration Proto %*.*s    Flows(%%)     Packets(%%)       "
                "Bytes(%%)         pps      bps   bpp\n",
                value_width(), static_cast<int>(column_.header.size()), column_.header.data()));
  }

  int value_width() const { return layout_.long_v6 && is_address() ? 39 : 17; }
  bool is_address() const { return info(layout_.field).kind == FieldKind::address; }

  std::string value_text(const FlowRecord& r) const {
    const FieldInfo& field = info(layout_.field);
    if (!is_address()) return std::to_string(unsigned_value(r, field));
    const IpAddress& a = address_value(r, field);
    return address(a, !a.is_v4(), layout_.long_v6);
  }

  std::string line(const FlowRecord& r, const nffile::FileStats& totals) const {
    if (layout_.csv) return csv_line(r, totals);
    const auto [c, seconds, pps, bps, bpp] = rates_of(r);
    const auto num = [&](std::uint64_t v) { return number(v, true, layout_.plain); };
    const std::string span = layout_.long_v6 && is_address() ? printed("%9.3f", seconds)
                             : layout_.plain                 ? printed("%16.3f", seconds)
                                                             : duration(seconds);
    // A table of protocols names each row's in the Proto column; others say "any".
    const std::string proto = layout_.field == Field::proto ? protocol_text(r.proto, layout_.plain) : "any";
    return printed("%s %9s %-5s %*s %8s(%4.1f) %8s(%4.1f) %8s(%4.1f) %8s %8s %5u\n", local_time_ms(r.first_ms).c_str(),
                   span.c_str(), proto.c_str(), value_width(), value_text(r).c_str(), num(c.flows).c_str(),
                   share(c.flows, totals.flows), num(c.packets).c_str(), share(c.packets, totals.packets),
                   num(c.bytes).c_str(), share(c.bytes, totals.bytes), num(pps).c_str(), num(bps).c_str(), bpp);
  }

  std::string csv_line(const FlowRecord& r, const nffile::FileStats& totals) const {
    const auto [c, seconds, pps, bps, bpp] = rates_of(r);
    std::string proto = "any";
    if (layout_.field == Field::proto) {
      // nfdump pads the number (-N) as in its text table, not the name.
      proto = protocol_text(r.proto, layout_.plain);
      if (!layout_.plain) proto.erase(proto.find_last_not_of(' ') + 1);
    }
    std::string value = std::to_string(is_address() ? 0 : unsigned_value(r, info(layout_.field)));
    if (is_address()) {
      const IpAddress& a = address_value(r, info(layout_.field));
      value = address(a, !a.is_v4(), true);
    }
    return printed("%s,%s,%.3f,%s,%s,%llu,%.1f,%llu,%.1f,%llu,%.1f,%llu,%llu,%u\n",
                   local_time(static_cast<std::int64_t>(r.first_ms / 1000)).c_str(),
                   local_time(static_cast<std::int64_t>(r.last_ms / 1000)).c_str(), seconds, proto.c_str(),
                   value.c_str(), static_cast<unsigned long long>(c.flows), share(c.flows, totals.flows),
                   static_cast<unsigned long long>(c.packets), share(c.packets, totals.packets),
                   static_cast<unsigned long long>(c.bytes), share(c.bytes, totals.bytes),
                   static_cast<unsigned long long>(pps), static_cast<unsigned long long>(bps), bpp);
  }

  StatLayout layout_;
  const Column& column_;
  RankedRows rows_;  // of the file under way
};

}  // namespace

std::string stat_field_names() {
  std::string names;
  for (const Column& c : columns) names += (names.empty() ? "" : ", ") + std::string(name_of(c.field));
  return names;
}

std::unique_ptr<csv::Formatter> make_stat_formatter(StatLayout layout) {
  return std::make_unique<StatFormatter>(layout);
}

}  // namespace sluice::nfdump_text
