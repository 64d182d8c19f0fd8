// The keys of a bin and their sums: open addressing with linear probing, the
// entries inline so that a lookup touches one place in memory. It grows by
// doubling up to the size max_keys needs, and never holds more keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace sluice::aggregation::detail {

// Zeroed words. A large block asks the kernel for huge pages: a lookup in a
// table of 100 MB then rarely misses the TLB as well as the cache.
class ZeroedWords {
 public:
  explicit ZeroedWords(std::size_t count);
  std::uint64_t* data() const noexcept { return words_.get(); }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  struct Free {
    void operator()(std::uint64_t* p) const noexcept { std::free(p); }
  };
  std::size_t bytes_;
  std::unique_ptr<std::uint64_t[], Free> words_;
};

class KeyTable {
 public:
  // An entry, as words: the hash (0: free), the key, then the sums.
  enum Sum : std::size_t { packets, bytes, flows, first, last, sum_count };

  KeyTable(std::size_t key_words, std::size_t max_keys);  // max_keys below 2^32

  std::uint64_t hash(const std::uint64_t* key) const noexcept;
  // Asks the CPU for the place `hash` starts at, before find_or_add needs it.
  void prefetch(std::uint64_t hash) const noexcept { __builtin_prefetch(entry(slot_of(hash)), 1); }
  // The sums of `key` (a new key's are zero), or nullptr when the table holds
  // max_keys keys and `key` is not one of them.
  std::uint64_t* find_or_add(const std::uint64_t* key, std::uint64_t hash);

  std::size_t size() const noexcept { return size_; }
  std::size_t memory_bytes() const noexcept { return slots_.bytes(); }
  std::size_t key_words() const noexcept { return key_words_; }

  // Calls f(key, sums) for every entry, then empties the table (keeping its memory).
  template <class F>
  void drain(F f) {
    for (std::size_t s = 0; s < capacity_; ++s) {
      std::uint64_t* e = entry(s);
      if (e[0] == 0) continue;
      f(e + 1, e + 1 + key_words_);
      e[0] = 0;
    }
    size_ = 0;
  }

 private:
  // The hash's high half scaled to the capacity (no power of two needed).
  std::size_t slot_of(std::uint64_t hash) const noexcept { return ((hash >> 32) * capacity_) >> 32; }
  std::uint64_t* entry(std::size_t slot) const noexcept { return slots_.data() + slot * stride_; }
  void grow();

  std::size_t key_words_;
  std::uint64_t secret_[2];  // random per table: flows made to collide cannot aim
  std::size_t stride_;       // words per entry
  std::size_t max_keys_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  ZeroedWords slots_;
};

}  // namespace sluice::aggregation::detail
