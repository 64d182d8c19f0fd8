// The state a collector keeps per sender (a NetFlow exporter, an sFlow
// agent), bounded whatever senders (or spoofers: source addresses are free
// to forge) send: a sender silent for `idle_ms` is forgotten, and a full
// table makes room by forgetting the longest-silent sender, so a flood of
// forged addresses can crowd a real sender out for a while, never for good.
//
// Entries are kept in the order they were last heard from (a list: finding
// the sender of a datagram moves it to the front, and the longest-silent is
// at the back), so both forgetting and making room cost no scan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <unordered_map>

namespace sluice::net {

template <class Key, class Value, class Hash, class Equal = std::equal_to<Key>>
class SenderTable {
 public:
  struct Entry {
    Key key;
    Value value;
    std::uint64_t last_seen_ms = 0;
  };
  // Called with each entry before it is forgotten (to release what it holds).
  using Forget = std::function<void(Entry&)>;

  SenderTable(std::size_t capacity, std::uint64_t idle_ms, Forget forget = {})
      : capacity_(capacity < 1 ? 1 : capacity), idle_ms_(idle_ms), forget_(std::move(forget)) {}

  // The entry of `key`, heard from at `now_ms`, created if new (after
  // forgetting the idle ones, and then the longest-silent if still full).
  // `created` tells whether it is new. Pointers stay valid until the entry
  // is forgotten.
  Entry& find(const Key& key, std::uint64_t now_ms, bool& created) {
    created = false;
    // Datagrams come in runs from one sender: it is then at the front.
    if (!order_.empty() && Equal{}(order_.front().key, key)) return touch(order_.begin(), now_ms);
    if (auto it = index_.find(key); it != index_.end()) return touch(it->second, now_ms);
    expire(now_ms);
    if (index_.size() >= capacity_) {
      forget(std::prev(order_.end()));
      ++evicted_;
    }
    order_.push_front(Entry{key, Value{}, now_ms});
    index_.emplace(key, order_.begin());
    created = true;
    return order_.front();
  }

  // Forgets every entry silent for idle_ms or more at `now_ms`.
  void expire(std::uint64_t now_ms) {
    while (!order_.empty() && order_.back().last_seen_ms + idle_ms_ <= now_ms) forget(std::prev(order_.end()));
  }

  std::size_t size() const noexcept { return index_.size(); }
  // Senders forgotten to make room in a full table (not those idle).
  std::uint64_t evicted() const noexcept { return evicted_; }

  // Every entry, the most recently heard first.
  auto begin() const noexcept { return order_.begin(); }
  auto end() const noexcept { return order_.end(); }

 private:
  using Iterator = typename std::list<Entry>::iterator;

  Entry& touch(Iterator it, std::uint64_t now_ms) {
    if (it != order_.begin()) order_.splice(order_.begin(), order_, it);
    if (now_ms > it->last_seen_ms) it->last_seen_ms = now_ms;
    return *it;
  }

  void forget(Iterator it) {
    if (forget_) forget_(*it);
    index_.erase(it->key);
    order_.erase(it);
  }

  std::size_t capacity_;
  std::uint64_t idle_ms_;
  Forget forget_;
  std::list<Entry> order_;
  std::unordered_map<Key, Iterator, Hash, Equal> index_;
  std::uint64_t evicted_ = 0;
};

}  // namespace sluice::net
