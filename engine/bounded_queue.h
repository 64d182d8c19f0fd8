// A bounded multi-producer, multi-consumer queue in front of a sink. The
// bound is a total weight (records, for batches), so memory stays bounded
// whatever size of batches a source makes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace sluice::engine {

template <class T>
class BoundedQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  // Blocks while the item does not fit; an empty queue takes any item, so
  // one larger than the capacity still passes. Returns false (dropping the
  // item) once the queue is closed: producers never block on a consumer that
  // has gone.
  bool push(T item, std::size_t weight = 1) {
    std::unique_lock lock(mutex_);
    ++waiting_producers_;
    not_full_.wait(lock, [&] { return fits(weight) || closed_; });
    --waiting_producers_;
    if (closed_) return false;
    enqueue(std::move(item), weight, lock);
    return true;
  }

  // Returns false instead of blocking when the item does not fit (or closed).
  bool try_push(T item, std::size_t weight = 1) {
    std::unique_lock lock(mutex_);
    if (closed_ || !fits(weight)) return false;
    enqueue(std::move(item), weight, lock);
    return true;
  }

  // Ignores the capacity: for small control messages that must not wait
  // behind data (a signal handler's rotate request).
  bool push_urgent(T item) {
    std::unique_lock lock(mutex_);
    if (closed_) return false;
    enqueue(std::move(item), 0, lock);
    return true;
  }

  // Blocks until an item is available; nullopt once closed and drained.
  std::optional<T> pop() { return pop_until(std::nullopt).item; }

  struct Popped {
    std::optional<T> item;
    Clock::time_point pushed_at{};  // when the item was pushed
    bool closed = false;            // no item: closed and drained (otherwise: the deadline passed)
    std::uint64_t ticket = 0;       // items popped before this one: the order consumers took them in
  };

  // Like pop(), but returns without an item at `deadline` (none: wait as long as it takes).
  Popped pop_until(std::optional<Clock::time_point> deadline) {
    std::unique_lock lock(mutex_);
    ++waiting_consumers_;
    const auto ready = [&] { return !items_.empty() || closed_; };
    if (deadline)
      not_empty_.wait_until(lock, *deadline, ready);
    else
      not_empty_.wait(lock, ready);
    --waiting_consumers_;
    if (items_.empty()) return {std::nullopt, {}, closed_};
    Entry entry = std::move(items_.front());
    items_.pop_front();
    weight_ -= entry.weight;
    const std::uint64_t ticket = popped_++;
    const bool wake_producers = waiting_producers_ > 0 && entry.weight > 0;
    lock.unlock();
    if (wake_producers) not_full_.notify_all();
    return {std::move(entry.item), entry.pushed_at, false, ticket};
  }

  // No more pushes; pop() drains what is left, then returns nullopt.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  // Stop accepting and discard what is queued (the consumer has failed or
  // given up); returns the discarded items, for the caller to account for.
  std::vector<T> abandon() {
    std::deque<Entry> discarded;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      discarded.swap(items_);
      weight_ = 0;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
    std::vector<T> items;
    items.reserve(discarded.size());
    for (auto& entry : discarded) items.push_back(std::move(entry.item));
    return items;
  }

  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  // Producers blocked in push() now: back-pressure in effect.
  int waiting_producers() const {
    std::lock_guard lock(mutex_);
    return waiting_producers_;
  }

  std::size_t capacity() const noexcept { return capacity_; }

  // The total weight queued now.
  std::size_t weight() const {
    std::lock_guard lock(mutex_);
    return weight_;
  }

  // When the oldest item still queued was pushed.
  std::optional<Clock::time_point> oldest() const {
    std::lock_guard lock(mutex_);
    if (items_.empty()) return std::nullopt;
    return items_.front().pushed_at;
  }

 private:
  struct Entry {
    T item;
    std::size_t weight;
    Clock::time_point pushed_at;
  };

  bool fits(std::size_t weight) const { return items_.empty() || weight_ + weight <= capacity_; }

  void enqueue(T item, std::size_t weight, std::unique_lock<std::mutex>& lock) {
    items_.push_back({std::move(item), weight, Clock::now()});
    weight_ += weight;
    const bool wake_consumer = waiting_consumers_ > 0;
    lock.unlock();
    if (wake_consumer) not_empty_.notify_one();
  }

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<Entry> items_;
  std::size_t weight_ = 0;
  std::uint64_t popped_ = 0;
  int waiting_consumers_ = 0;
  int waiting_producers_ = 0;  // counted, so that pop() wakes only when someone waits
  bool closed_ = false;
};

}  // namespace sluice::engine
