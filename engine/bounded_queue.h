// A bounded multi-producer, single-consumer queue in front of a sink. The
// bound is a total weight (records, for batches), so memory stays bounded
// whatever size of batches a source makes.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace sluice::engine {

template <class T>
class BoundedQueue {
 public:
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
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    ++waiting_consumers_;
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    --waiting_consumers_;
    if (items_.empty()) return std::nullopt;
    auto [item, weight] = std::move(items_.front());
    items_.pop_front();
    weight_ -= weight;
    const bool wake_producers = waiting_producers_ > 0 && weight > 0;
    lock.unlock();
    if (wake_producers) not_full_.notify_all();
    return std::move(item);
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

  // Stop accepting and discard what is queued (the consumer has failed).
  void abandon() {
    std::deque<std::pair<T, std::size_t>> discarded;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      discarded.swap(items_);
      weight_ = 0;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  bool fits(std::size_t weight) const { return items_.empty() || weight_ + weight <= capacity_; }

  void enqueue(T item, std::size_t weight, std::unique_lock<std::mutex>& lock) {
    items_.emplace_back(std::move(item), weight);
    weight_ += weight;
    const bool wake_consumer = waiting_consumers_ > 0;
    lock.unlock();
    if (wake_consumer) not_empty_.notify_one();
  }

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::pair<T, std::size_t>> items_;
  std::size_t weight_ = 0;
  int waiting_consumers_ = 0;
  int waiting_producers_ = 0;  // counted, so that pop() wakes only when someone waits
  bool closed_ = false;
};

}  // namespace sluice::engine
