// Results of work done on several threads, handed on in the order the work
// was taken. A worker takes a place (enter()) before it pops its input, so at
// most `window` inputs are between their queue and the next stage; the
// queue's pop order numbers them (BoundedQueue's ticket). Whoever completes
// the oldest outstanding ticket hands on every result ready from there, one
// caller at a time, outside the lock: the others park their results and go
// on, until the window is full.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace sluice::engine {

template <class T>
class InOrder {
 public:
  explicit InOrder(std::size_t window) : slots_(window) {}

  // Blocks while `window` results are outstanding (taken, not yet handed on).
  void enter() {
    std::unique_lock lock(mutex_);
    has_room_.wait(lock, [&] { return outstanding_ < slots_.size(); });
    ++outstanding_;
  }
  // A place taken by enter() but used for no input (the queue had none).
  void leave() {
    {
      std::lock_guard lock(mutex_);
      --outstanding_;
    }
    has_room_.notify_one();
  }

  // The result for `ticket` (the pop order of its input, from 0): it and any
  // results ready after it are given to hand_on(T&&) in ticket order, on this
  // thread, unless another thread is handing on already (it takes them).
  // `weight` (records) is what the metrics show as parked meanwhile.
  template <class HandOn>
  void complete(std::uint64_t ticket, T result, std::size_t weight, HandOn&& hand_on) {
    std::unique_lock lock(mutex_);
    slots_[ticket % slots_.size()] = Slot{std::move(result), weight};
    parked_weight_ += weight;
    if (handing_on_) return;
    handing_on_ = true;
    while (auto& slot = slots_[next_ % slots_.size()]) {
      T ready = std::move(slot->result);
      parked_weight_ -= slot->weight;
      slot.reset();
      ++next_;
      lock.unlock();
      hand_on(std::move(ready));
      lock.lock();
      --outstanding_;
      has_room_.notify_one();
    }
    handing_on_ = false;
  }

  // Records waiting for an earlier result: the reorder window's memory.
  std::size_t parked_weight() const {
    std::lock_guard lock(mutex_);
    return parked_weight_;
  }
  std::size_t window() const noexcept { return slots_.size(); }

 private:
  struct Slot {
    T result;
    std::size_t weight;
  };

  mutable std::mutex mutex_;
  std::condition_variable has_room_;
  std::vector<std::optional<Slot>> slots_;  // by ticket modulo the window
  std::uint64_t next_ = 0;                  // the ticket to hand on next
  std::size_t outstanding_ = 0;
  std::size_t parked_weight_ = 0;
  bool handing_on_ = false;
};

}  // namespace sluice::engine
