#include "order.h"

#include <algorithm>
#include <tuple>
#include <utility>

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

namespace {

// Rows of equal value in an order of their own, not the order they came in
// (several readers deliver an aggregate's keys in any order): by the fields
// an aggregate keys, then their times.
bool tie_before(const FlowRecord& a, const FlowRecord& b) noexcept {
  const auto key = [](const FlowRecord& r) {
    return std::tie(r.src_addr.bytes, r.dst_addr.bytes, r.src_port, r.dst_port, r.proto, r.next_hop.bytes,
                    r.exporter.bytes, r.tos, r.dst_tos, r.direction, r.src_as, r.dst_as, r.in_if, r.out_if, r.src_mask,
                    r.dst_mask, r.src_vlan, r.dst_vlan, r.first_ms, r.last_ms);
  };
  return key(a) < key(b);
}

}  // namespace

bool Ranking::before(std::uint64_t a_value, const FlowRecord& a, std::uint64_t b_value,
                     const FlowRecord& b) const noexcept {
  if (a_value != b_value)
    return order_ == Order::tstart || order_ == Order::tend ? a_value < b_value : a_value > b_value;
  return tie_before(a, b);
}

void Ranking::add(std::span<const FlowRecord> rows) {
  rows_.insert(rows_.end(), rows.begin(), rows.end());
  if (top_ != 0 && rows_.size() >= 2 * top_) keep_top();
}

void RankedRows::add(std::span<const FlowRecord> rows) {
  if (rows.empty()) return;
  if (!totals_row_) {
    for (const FlowRecord& r : rows) totals_.add(r);
    ranking_.add(rows);
    return;
  }
  // Each row but the last so far is a row; the last may be the totals.
  if (last_) ranking_.add(std::span(&*last_, 1));
  ranking_.add(rows.first(rows.size() - 1));
  last_ = rows.back();
}

std::vector<FlowRecord> RankedRows::take() { return ranking_.take(); }

nffile::FileStats RankedRows::take_totals() {
  if (last_) totals_.add(*last_);
  last_.reset();
  return std::exchange(totals_, {});
}

void Ranking::keep_top() {
  const auto cut = rows_.begin() + static_cast<std::ptrdiff_t>(top_);
  std::nth_element(rows_.begin(), cut, rows_.end(), [this](const auto& a, const auto& b) {
    return before(value_of(a, order_), a, value_of(b, order_), b);
  });
  rows_.erase(cut, rows_.end());
}

std::vector<FlowRecord> Ranking::take() {
  if (top_ != 0 && rows_.size() > top_) keep_top();
  // Rows are large: sort their indices, then gather.
  std::vector<std::uint32_t> index(rows_.size());
  for (std::uint32_t i = 0; i < index.size(); ++i) index[i] = i;
  std::vector<std::uint64_t> values(rows_.size());
  for (std::size_t i = 0; i < rows_.size(); ++i) values[i] = value_of(rows_[i], order_);
  std::sort(index.begin(), index.end(),
            [&](std::uint32_t a, std::uint32_t b) { return before(values[a], rows_[a], values[b], rows_[b]); });
  std::vector<FlowRecord> ranked;
  ranked.reserve(index.size());
  for (const std::uint32_t i : index) ranked.push_back(rows_[i]);
  rows_.clear();
  return ranked;
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
