#include "acknowledgements.h"

#include <algorithm>

namespace sluice::engine {

void AckLedger::issue(BatchId batch) {
  if (batch.source == 0) return;
  std::lock_guard lock(mutex_);
  sources_[batch.source].pending.push_back({batch.sequence, false});
  ++outstanding_;
}

bool AckLedger::acknowledge(BatchId batch) {
  std::lock_guard lock(mutex_);
  const auto source = sources_.find(batch.source);
  if (source == sources_.end()) return false;
  auto& pending = source->second.pending;
  // Issued in increasing order: a binary search finds it.
  const auto it = std::lower_bound(pending.begin(), pending.end(), batch.sequence,
                                   [](const Pending& p, std::uint64_t sequence) { return p.sequence < sequence; });
  if (it == pending.end() || it->sequence != batch.sequence || it->acknowledged) return false;
  it->acknowledged = true;
  --outstanding_;
  while (!pending.empty() && pending.front().acknowledged) {
    source->second.through = pending.front().sequence;
    pending.pop_front();
  }
  return true;
}

std::optional<std::uint64_t> AckLedger::acknowledged_through(std::uint32_t source) const {
  std::lock_guard lock(mutex_);
  const auto it = sources_.find(source);
  return it == sources_.end() ? std::nullopt : it->second.through;
}

std::size_t AckLedger::outstanding() const {
  std::lock_guard lock(mutex_);
  return outstanding_;
}

}  // namespace sluice::engine
