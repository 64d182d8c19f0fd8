#include "table.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <random>

namespace sluice::aggregation::detail {
namespace {

constexpr std::size_t initial_capacity = 1024;
constexpr std::size_t huge_page = 2 << 20;

// At most 3 keys in 4 slots: linear probes stay short.
std::size_t capacity_for(std::size_t keys) { return keys + keys / 3 + 1; }

// 64 x 64 -> 128-bit product, halves folded: wyhash's mixing step.
std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ using u128 = unsigned __int128;
  const u128 product = static_cast<u128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

bool same_key(const std::uint64_t* a, const std::uint64_t* b, std::size_t words) noexcept {
  std::uint64_t difference = 0;
  for (std::size_t i = 0; i < words; ++i) difference |= a[i] ^ b[i];
  return difference == 0;
}

}  // namespace

ZeroedWords::ZeroedWords(std::size_t count) : bytes_(count * sizeof(std::uint64_t)) {
  void* p = nullptr;
  if (bytes_ >= 2 * huge_page) {
    bytes_ = (bytes_ + huge_page - 1) / huge_page * huge_page;
    p = std::aligned_alloc(huge_page, bytes_);
    if (p) madvise(p, bytes_, MADV_HUGEPAGE);  // a hint: without huge pages it still works
  } else {
    p = std::malloc(bytes_);
  }
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes_);
  words_.reset(static_cast<std::uint64_t*>(p));
}

KeyTable::KeyTable(std::size_t key_words, std::size_t max_keys)
    : key_words_(key_words),
      stride_(1 + key_words + sum_count),
      max_keys_(max_keys),
      capacity_(std::min(initial_capacity, capacity_for(max_keys))),
      slots_(capacity_ * stride_) {
  std::random_device random;
  for (auto& s : secret_) s = std::uint64_t{random()} << 32 | random();
}

std::uint64_t KeyTable::hash(const std::uint64_t* key) const noexcept {
  // Words in pairs: the multiplies of different pairs do not wait on each other.
  std::uint64_t h = secret_[0] ^ key_words_;
  std::size_t i = 0;
  for (; i + 1 < key_words_; i += 2)
    h ^= fold_multiply(key[i] ^ secret_[0] ^ 0xa0761d6478bd642fULL, key[i + 1] ^ secret_[1] ^ 0xe7037ed1a0b428dbULL);
  if (i < key_words_) h ^= fold_multiply(key[i] ^ secret_[1] ^ 0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL);
  // Every bit of the key reaches the high half that slot_of uses.
  return fold_multiply(h ^ 0x1d8e4e27c47d124fULL, secret_[1] | 1) | 1;  // 0 marks a free slot
}

std::uint64_t* KeyTable::find_or_add(const std::uint64_t* key, std::uint64_t hash) {
  for (std::size_t s = slot_of(hash);; s = s + 1 == capacity_ ? 0 : s + 1) {
    std::uint64_t* e = entry(s);
    if (e[0] == hash && same_key(e + 1, key, key_words_)) return e + 1 + key_words_;
    if (e[0] != 0) continue;
    if (size_ == max_keys_) return nullptr;
    if (4 * (size_ + 1) > 3 * capacity_ && capacity_ < capacity_for(max_keys_)) {
      grow();
      return find_or_add(key, hash);
    }
    ++size_;
    e[0] = hash;
    std::copy(key, key + key_words_, e + 1);
    std::uint64_t* sums = e + 1 + key_words_;
    std::fill(sums, sums + sum_count, 0);
    sums[first] = ~std::uint64_t{0};
    return sums;
  }
}

void KeyTable::grow() {
  const std::size_t old_capacity = capacity_;
  capacity_ = std::min(capacity_ * 2, capacity_for(max_keys_));
  ZeroedWords old(capacity_ * stride_);
  std::swap(old, slots_);
  for (std::size_t s = 0; s < old_capacity; ++s) {
    const std::uint64_t* e = old.data() + s * stride_;
    if (e[0] == 0) continue;
    std::size_t t = slot_of(e[0]);
    while (entry(t)[0] != 0) t = t + 1 == capacity_ ? 0 : t + 1;
    std::copy(e, e + stride_, entry(t));
  }
}

}  // namespace sluice::aggregation::detail
