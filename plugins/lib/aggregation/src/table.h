// The keys of a bin and their sums. Slots of 8 bytes (the hash's high half,
// which also places the key, and the entry's index) are probed linearly,
// eight to a cache line; the entries (key and sums) lie one after the other
// in the order keys came. A lookup is split in steps so that a chunk of
// flows asks memory for all its slots, then all its entries, at once rather
// than one miss after another. The table grows by doubling up to what
// max_keys needs, never beyond.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice::aggregation::detail {

// Zeroed words. A large block is mapped from the kernel (zeroed already) on
// huge pages: a lookup in a table of 100 MB then rarely misses the TLB as
// well as the cache.
class ZeroedWords {
 public:
  explicit ZeroedWords(std::size_t count);
  ~ZeroedWords();
  ZeroedWords(ZeroedWords&& other) noexcept;
  ZeroedWords& operator=(ZeroedWords&& other) noexcept;

  std::uint64_t* data() const noexcept { return words_; }
  std::size_t bytes() const noexcept { return bytes_; }

  // The first `count` words of `from` (no larger) become this block's first
  // words; `from` is left empty. Blocks both mapped trade pages, not bytes:
  // a table of 100 MB grows without copying it or touching fresh pages.
  void take_from(ZeroedWords& from, std::size_t count);

 private:
  std::uint64_t* words_ = nullptr;
  std::size_t bytes_ = 0;
  bool mapped_ = false;
};

class KeyTable {
 public:
  // An entry, as words: the key, then the sums.
  enum Sum : std::size_t { packets, bytes, flows, first, last, sum_count };
  static constexpr std::uint32_t full = ~std::uint32_t{0};  // no such key, and no room for it
  static constexpr std::uint32_t fresh = full - 1;          // locate(): no such key yet
  static constexpr std::size_t most_keys = fresh - 1;

  KeyTable(std::size_t key_words, std::size_t max_keys);  // max_keys up to most_keys

  // The hot path takes the key's width in words as `Words` when the caller
  // knows it at compile time, so that its loops unroll; 0: the table's.
  template <std::size_t Words = 0>
  std::uint64_t hash(const std::uint64_t* key) const noexcept {
    const std::size_t words = Words != 0 ? Words : key_words_;
    // Words in pairs: the multiplies of different pairs do not wait on each other.
    std::uint64_t h = secret_[0] ^ words;
    std::size_t i = 0;
#pragma GCC unroll 8
    for (; i + 1 < words; i += 2)
      h ^= fold_multiply(key[i] ^ secret_[0] ^ 0xa0761d6478bd642fULL, key[i + 1] ^ secret_[1] ^ 0xe7037ed1a0b428dbULL);
    if (i < words) h ^= fold_multiply(key[i] ^ secret_[1] ^ 0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL);
    // Every bit of the key reaches the high half, which places and tags.
    return fold_multiply(h ^ 0x1d8e4e27c47d124fULL, secret_[1] | 1);
  }

  // Step 1: asks for the slots `hash` probes first.
  void prefetch_slot(std::uint64_t hash) const noexcept { __builtin_prefetch(slots_.data() + slot_of(hash)); }
  // Step 2: the index of the entry whose tag matches `hash` (its key not yet
  // compared), or `fresh`. New keys are added in step 3, in the order the
  // flows came, even when a tag of another key matched here.
  std::uint32_t locate(std::uint64_t hash) const noexcept {
    for (std::size_t s = slot_of(hash);; s = s + 1 == capacity_ ? 0 : s + 1) {
      const std::uint64_t slot = slots_.data()[s];
      if (slot == 0) return fresh;
      if (same_tag(slot, hash)) return static_cast<std::uint32_t>(slot) - 1;
    }
  }
  void prefetch_entry(std::uint32_t index) const noexcept {
    // The address computed once: g++ 12 drops both prefetches when each
    // computes it (seen in the object code), and entries were never fetched ahead.
    const std::uint64_t* e = entry(index);
    __builtin_prefetch(e, 1);
    __builtin_prefetch(e + stride_ - 1, 1);  // an entry may straddle two cache lines
  }
  // Step 3: the sums of `key` at `index`; when another key only shares its
  // tag there, or the key is new, the whole key is looked for and added if
  // missing (nullptr: full).
  template <std::size_t Words = 0>
  std::uint64_t* sums(std::uint32_t index, const std::uint64_t* key, std::uint64_t hash) {
    if (index == fresh || !same_key<Words>(entry(index), key)) index = find(key, hash);
    return index == full ? nullptr : entry(index) + key_words_;
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t memory_bytes() const noexcept { return slots_.bytes() + entries_.bytes(); }

  // The entries in the order keys came, index 0 to size() - 1.
  const std::uint64_t* key_at(std::size_t index) const noexcept { return entry(index); }
  const std::uint64_t* sums_at(std::size_t index) const noexcept { return entry(index) + key_words_; }
  // Forgets every key, keeping the memory.
  void clear() noexcept;

 private:
  // The hash's high half scaled to the capacity (no power of two needed). A
  // slot holds that half too: growing places the slots again without
  // reading a key.
  std::size_t slot_of(std::uint64_t hash_or_slot) const noexcept { return ((hash_or_slot >> 32) * capacity_) >> 32; }
  // Keys placed at one slot share the half's top log2(capacity) bits: the
  // rest tells them apart (8 bits at 16M slots); a false match costs a find().
  static bool same_tag(std::uint64_t slot, std::uint64_t hash) noexcept { return (slot ^ hash) >> 32 == 0; }
  std::uint64_t* entry(std::size_t index) const noexcept { return entries_.data() + index * stride_; }
  template <std::size_t Words = 0>
  bool same_key(const std::uint64_t* a, const std::uint64_t* b) const noexcept {
    const std::size_t words = Words != 0 ? Words : key_words_;
    std::uint64_t difference = 0;
#pragma GCC unroll 16
    for (std::size_t i = 0; i < words; ++i) difference |= a[i] ^ b[i];
    return difference == 0;
  }
  // 64 x 64 -> 128-bit product, halves folded: wyhash's mixing step.
  static std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
    __extension__ using u128 = unsigned __int128;
    const u128 product = static_cast<u128>(a) * b;
    return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
  }
  std::uint32_t add(std::size_t slot, const std::uint64_t* key, std::uint64_t hash);
  std::uint32_t find(const std::uint64_t* key, std::uint64_t hash);  // by the whole key
  void grow();

  std::size_t key_words_;
  std::size_t stride_;  // words per entry
  std::size_t max_keys_;
  std::uint64_t secret_[2];  // random per table: flows made to collide cannot aim
  std::size_t capacity_;     // slots
  std::size_t size_ = 0;     // entries
  ZeroedWords slots_;        // the hash's high half << 32 | index + 1; 0: free
  ZeroedWords entries_;      // room for 3/4 of the slots
};

}  // namespace sluice::aggregation::detail
