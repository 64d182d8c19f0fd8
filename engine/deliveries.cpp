#include "deliveries.h"

#include <algorithm>

namespace sluice::engine {

void Deliveries::track(std::uint32_t maker, Done done) {
  if (makers_.size() <= maker) makers_.resize(maker + 1);
  makers_[maker] = std::make_unique<Maker>();
  makers_[maker]->done = std::move(done);
}

void Deliveries::retain(BatchId batch) {
  Maker& maker = *makers_[batch.source];
  std::lock_guard lock(maker.mutex);
  ++maker.holders[batch.sequence];
}

void Deliveries::release(BatchId batch) {
  Maker& maker = *makers_[batch.source];
  {
    std::lock_guard lock(maker.mutex);
    const auto it = maker.holders.find(batch.sequence);
    if (it == maker.holders.end() || --it->second != 0) return;
    maker.holders.erase(it);
  }
  maker.done(batch.sequence);  // outside the lock: it may release batches of another maker
}

std::size_t Deliveries::outstanding() const {
  std::size_t n = 0;
  for (const auto& maker : makers_) {
    if (!maker) continue;
    std::lock_guard lock(maker->mutex);
    n += maker->holders.size();
  }
  return n;
}

void HeldInputs::take(BatchId input) {
  std::lock_guard lock(mutex_);
  taken_.push_back(input);
}

void HeldInputs::passed_on(std::optional<BatchId> current, std::uint64_t outputs_made) {
  std::vector<BatchId> releasable;
  {
    std::lock_guard lock(mutex_);
    const auto end = current ? std::find(taken_.begin(), taken_.end(), *current) : taken_.end();
    for (auto it = taken_.begin(); it != end; ++it) covered_.push_back({*it, outputs_made});
    taken_.erase(taken_.begin(), end);
    releasable = take_releasable();
  }
  for (const BatchId input : releasable) deliveries_.release(input);
}

void HeldInputs::output_delivered(std::uint64_t sequence) {
  std::vector<BatchId> releasable;
  {
    std::lock_guard lock(mutex_);
    delivered_ahead_.insert(sequence);
    while (!delivered_ahead_.empty() && *delivered_ahead_.begin() == outputs_delivered_) {
      delivered_ahead_.erase(delivered_ahead_.begin());
      ++outputs_delivered_;
    }
    releasable = take_releasable();
  }
  for (const BatchId input : releasable) deliveries_.release(input);
}

std::vector<BatchId> HeldInputs::take_releasable() {
  std::vector<BatchId> inputs;
  while (!covered_.empty() && covered_.front().outputs_made <= outputs_delivered_) {
    inputs.push_back(covered_.front().input);
    covered_.pop_front();
  }
  return inputs;
}

}  // namespace sluice::engine
