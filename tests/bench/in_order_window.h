// The engine's sink on workers as a benchmark models it: items 0, 1, 2 …
// made on worker threads (each item from one or several parts), taken whole
// and in order by the committing thread, at most `window` made and not yet
// taken (engine/workers.h: 2N). A mutex and a condition, as the engine's
// queues (std::atomic::wait spins on sched_yield first).
#pragma once

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace sluice::bench {

// As the engine sets it (engine/main.cpp): memory freed by the thread that
// did not allocate it stays for reuse, not given back and faulted in again.
inline void allocate_as_the_engine() {
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
}

// A benchmark over `workers` (its argument): wall clock, the process's CPU time.
inline void timed_on_workers(benchmark::internal::Benchmark* b) {
  b->ArgName("workers")->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
}

template <class Part>
class InOrderWindow {
 public:
  // Each item is `parts` parts, from as many workers.
  InOrderWindow(std::size_t window, std::size_t parts) : slots_(window), parts_(parts) {}

  // A worker: blocks until item `i` may be made, then makes it.
  template <class Make>
  void make(std::size_t i, Make&& make_part) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return i < taken_ + slots_.size(); });
    }
    Part part = make_part();
    const std::lock_guard lock(mutex_);
    slots_[i % slots_.size()].push_back(std::move(part));
    changed_.notify_all();
  }

  // The committing thread: item `i`'s parts once all are made, in the order
  // they came (i must be the item after the last one taken).
  std::vector<Part> take(std::size_t i) {
    std::vector<Part> parts;
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return slots_[i % slots_.size()].size() == parts_; });
    parts.swap(slots_[i % slots_.size()]);
    taken_ = i + 1;
    changed_.notify_all();
    return parts;
  }

 private:
  std::vector<std::vector<Part>> slots_;
  const std::size_t parts_;
  std::size_t taken_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace sluice::bench
