#include "table.h"

#include <algorithm>
#include <cstring>

namespace sluice::aggregation::detail {
namespace {

constexpr std::size_t initial_capacity = 1024;

// At most 3 keys in 4 slots: linear probes stay short.
std::size_t capacity_for(std::size_t keys) { return keys + keys / 3 + 1; }

}  // namespace

KeyTable::KeyTable(std::size_t key_words, std::size_t max_keys)
    : key_words_(key_words),
      stride_(1 + key_words + sum_count),
      max_keys_(max_keys),
      capacity_(std::min(initial_capacity, capacity_for(max_keys))),
      slots_(capacity_ * stride_) {}

std::uint64_t KeyTable::hash(const std::uint64_t* key, std::size_t words) noexcept {
  std::uint64_t h = 0x2545f4914f6cdd1dULL;
  for (std::size_t i = 0; i < words; ++i) {
    h = (h ^ key[i]) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
  }
  // murmur3's finaliser: every key bit reaches the high bits slot_of uses
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h | 1;  // 0 marks a free slot
}

std::uint64_t* KeyTable::find_or_add(const std::uint64_t* key, std::uint64_t hash) {
  for (std::size_t s = slot_of(hash);; s = s + 1 == capacity_ ? 0 : s + 1) {
    std::uint64_t* entry = &slots_[s * stride_];
    if (entry[0] == 0) {
      if (size_ == max_keys_) return nullptr;
      if (4 * (size_ + 1) > 3 * capacity_ && capacity_ < capacity_for(max_keys_)) {
        grow();
        return find_or_add(key, hash);
      }
      ++size_;
      entry[0] = hash;
      std::memcpy(entry + 1, key, key_words_ * sizeof *key);
      std::uint64_t* sums = entry + 1 + key_words_;
      std::fill(sums, sums + sum_count, 0);
      sums[first] = ~std::uint64_t{0};
      return sums;
    }
    if (entry[0] == hash && std::memcmp(entry + 1, key, key_words_ * sizeof *key) == 0) return entry + 1 + key_words_;
  }
}

void KeyTable::grow() {
  std::vector<std::uint64_t> old(std::min(capacity_ * 2, capacity_for(max_keys_)) * stride_);
  old.swap(slots_);
  const std::size_t old_capacity = capacity_;
  capacity_ = slots_.size() / stride_;
  for (std::size_t s = 0; s < old_capacity; ++s) {
    const std::uint64_t* entry = &old[s * stride_];
    if (entry[0] == 0) continue;
    std::size_t t = slot_of(entry[0]);
    while (slots_[t * stride_] != 0) t = t + 1 == capacity_ ? 0 : t + 1;
    std::memcpy(&slots_[t * stride_], entry, stride_ * sizeof *entry);
  }
}

}  // namespace sluice::aggregation::detail
