// A bounded multi-producer, single-consumer queue of batches in front of a sink.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace sluice::engine {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  // Blocks while full. Returns false (and drops the item) once the queue is
  // closed, so producers never block on a consumer that has gone.
  bool push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || closed_; });
    if (closed_) return false;
    enqueue(std::move(item), lock);
    return true;
  }

  // Returns false instead of blocking when full (or closed).
  bool try_push(T item) {
    std::unique_lock lock(mutex_);
    if (closed_ || items_.size() >= capacity_) return false;
    enqueue(std::move(item), lock);
    return true;
  }

  // Ignores the capacity: for small control messages that must not wait
  // behind data (a signal handler's rotate request).
  bool push_urgent(T item) {
    std::unique_lock lock(mutex_);
    if (closed_) return false;
    enqueue(std::move(item), lock);
    return true;
  }

  // Blocks until an item is available; nullopt once closed and drained.
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    ++waiting_consumers_;
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    --waiting_consumers_;
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    const bool wake_producer = items_.size() + 1 == capacity_;
    lock.unlock();
    if (wake_producer) not_full_.notify_all();
    return item;
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
    std::deque<T> discarded;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      discarded.swap(items_);
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  void enqueue(T item, std::unique_lock<std::mutex>& lock) {
    items_.push_back(std::move(item));
    const bool wake_consumer = waiting_consumers_ > 0;
    lock.unlock();
    if (wake_consumer) not_empty_.notify_one();
  }

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  int waiting_consumers_ = 0;
  bool closed_ = false;
};

}  // namespace sluice::engine
