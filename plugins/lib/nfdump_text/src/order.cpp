#include "order.h"

#include <algorithm>
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

bool Ranking::before(const FlowRecord& a, const FlowRecord& b) const noexcept {
  const bool ascending = order_ == Order::tstart || order_ == Order::tend;
  return ascending ? value_of(a, order_) < value_of(b, order_) : value_of(a, order_) > value_of(b, order_);
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
  std::nth_element(rows_.begin(), cut, rows_.end(), [this](const auto& a, const auto& b) { return before(a, b); });
  rows_.erase(cut, rows_.end());
}

std::vector<FlowRecord> Ranking::take() {
  if (top_ != 0 && rows_.size() > top_) keep_top();
  // Rows are large: sort their indices, then gather.
  std::vector<std::uint32_t> index(rows_.size());
  for (std::uint32_t i = 0; i < index.size(); ++i) index[i] = i;
  std::vector<std::uint64_t> values(rows_.size());
  for (std::size_t i = 0; i < rows_.size(); ++i) values[i] = value_of(rows_[i], order_);
  const bool ascending = order_ == Order::tstart || order_ == Order::tend;
  std::sort(index.begin(), index.end(), [&](std::uint32_t a, std::uint32_t b) {
    return ascending ? values[a] < values[b] : values[a] > values[b];
  });
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
