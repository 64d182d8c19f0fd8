// The keys of a bin and their sums: open addressing with linear probing, the
// entries inline so that a lookup touches one place in memory. It grows by
// doubling up to the size max_keys needs, and never holds more keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::aggregation::detail {

class KeyTable {
 public:
  // An entry, as words: the hash (0: free), the key, then the sums.
  enum Sum : std::size_t { packets, bytes, flows, first, last, sum_count };

  KeyTable(std::size_t key_words, std::size_t max_keys);  // max_keys below 2^32

  static std::uint64_t hash(const std::uint64_t* key, std::size_t words) noexcept;
  // Asks the CPU for the place `hash` starts at, before find_or_add needs it.
  void prefetch(std::uint64_t hash) const noexcept { __builtin_prefetch(&slots_[slot_of(hash) * stride_], 1); }
  // The sums of `key` (a new key's are zero), or nullptr when the table holds
  // max_keys keys and `key` is not one of them.
  std::uint64_t* find_or_add(const std::uint64_t* key, std::uint64_t hash);

  std::size_t size() const noexcept { return size_; }
  std::size_t memory_bytes() const noexcept { return slots_.capacity() * sizeof(std::uint64_t); }
  std::size_t key_words() const noexcept { return key_words_; }

  // Calls f(key, sums) for every entry, then empties the table (keeping its memory).
  template <class F>
  void drain(F f) {
    for (std::size_t s = 0; s < capacity_; ++s) {
      std::uint64_t* entry = &slots_[s * stride_];
      if (entry[0] == 0) continue;
      f(entry + 1, entry + 1 + key_words_);
      entry[0] = 0;
    }
    size_ = 0;
  }

 private:
  // The hash's high half scaled to the capacity (no power of two needed).
  std::size_t slot_of(std::uint64_t hash) const noexcept { return ((hash >> 32) * capacity_) >> 32; }
  void grow();

  std::size_t key_words_;
  std::size_t stride_;  // words per entry
  std::size_t max_keys_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  std::vector<std::uint64_t> slots_;
};

}  // namespace sluice::aggregation::detail
