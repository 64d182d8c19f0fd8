#include "order.h"

#include <algorithm>

namespace sluice::nfdump_text {

Counts counts_of(const FlowRecord& r) noexcept {
  return {r.flows, r.packets + r.reverse_packets, r.bytes + r.reverse_bytes};
}

std::uint64_t value_of(const FlowRecord& r, Order order) noexcept {
  const Counts c = counts_of(r);
  const std::uint64_t ms = r.last_ms - r.first_ms;
  switch (order) {
    case Order::flows: return c.flows;
    case Order::packets: return c.packets;
    case Order::bytes: return c.bytes;
    case Order::pps: return ms != 0 ? 1000 * c.packets / ms : 0;
    case Order::bps: return ms != 0 ? 8000 * c.bytes / ms : 0;
    case Order::bpp: return c.packets != 0 ? c.bytes / c.packets : 0;
    case Order::tstart: return r.first_ms;
    case Order::tend: return r.last_ms;
  }
  return 0;
}

void rank(std::vector<FlowRecord>& rows, Order order) {
  const bool ascending = order == Order::tstart || order == Order::tend;
  std::stable_sort(rows.begin(), rows.end(), [&](const FlowRecord& a, const FlowRecord& b) {
    return ascending ? value_of(a, order) < value_of(b, order) : value_of(a, order) > value_of(b, order);
  });
}

constexpr Order orders[] = {Order::flows, Order::packets, Order::bytes,  Order::pps,
                            Order::bps,   Order::bpp,     Order::tstart, Order::tend};

std::optional<Order> parse_order(std::string_view name) noexcept {
  for (const Order o : orders)
    if (to_string(o) == name) return o;
  return std::nullopt;
}

std::string_view to_string(Order order) noexcept {
  switch (order) {
    case Order::flows: return "flows";
    case Order::packets: return "packets";
    case Order::bytes: return "bytes";
    case Order::pps: return "pps";
    case Order::bps: return "bps";
    case Order::bpp: return "bpp";
    case Order::tstart: return "tstart";
    case Order::tend: return "tend";
  }
  return "?";
}

}  // namespace sluice::nfdump_text
