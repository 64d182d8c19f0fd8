#include "table.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <random>
#include <utility>

namespace sluice::aggregation::detail {
namespace {

constexpr std::size_t initial_capacity = 1024;
constexpr std::size_t huge_page = 2 << 20;

// At most 3 keys in 4 slots: linear probes stay short.
std::size_t capacity_for(std::size_t keys) { return keys + keys / 3 + 1; }
std::size_t room_in(std::size_t capacity, std::size_t max_keys) { return std::min(max_keys, capacity * 3 / 4); }

}  // namespace

ZeroedWords::ZeroedWords(std::size_t count) : bytes_(count * sizeof(std::uint64_t)) {
  if (bytes_ < 2 * huge_page) {
    words_ = static_cast<std::uint64_t*>(std::calloc(count, sizeof(std::uint64_t)));
    if (!words_ && count) throw std::bad_alloc();
    return;
  }
  // Huge pages need 2 MiB-aligned addresses: map a page more and trim.
  bytes_ = (bytes_ + huge_page - 1) / huge_page * huge_page;
  void* p = mmap(nullptr, bytes_ + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  auto* const start = static_cast<std::byte*>(p);
  const std::size_t head = (huge_page - reinterpret_cast<std::uintptr_t>(p) % huge_page) % huge_page;
  if (head) munmap(start, head);
  if (const auto tail = huge_page - head) munmap(start + head + bytes_, tail);
  words_ = reinterpret_cast<std::uint64_t*>(start + head);
  mapped_ = true;
  madvise(words_, bytes_, MADV_HUGEPAGE);  // a hint: without huge pages it still works
}

ZeroedWords::~ZeroedWords() {
  if (mapped_)
    munmap(words_, bytes_);
  else
    std::free(words_);
}

void ZeroedWords::take_from(ZeroedWords& from, std::size_t count) {
  // The huge-page aligned pages of `from` move over this block's first
  // ones, which the kernel unmaps: only page tables change.
  if (mapped_ && from.mapped_ && from.bytes_ <= bytes_ &&
      mremap(from.words_, from.bytes_, from.bytes_, MREMAP_MAYMOVE | MREMAP_FIXED, words_) != MAP_FAILED) {
    from.words_ = nullptr;
    from.bytes_ = 0;
    from.mapped_ = false;
    return;
  }
  std::copy(from.words_, from.words_ + count, words_);
  const ZeroedWords released(std::move(from));
}

ZeroedWords::ZeroedWords(ZeroedWords&& other) noexcept
    : words_(std::exchange(other.words_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      mapped_(std::exchange(other.mapped_, false)) {}

ZeroedWords& ZeroedWords::operator=(ZeroedWords&& other) noexcept {
  std::swap(words_, other.words_);
  std::swap(bytes_, other.bytes_);
  std::swap(mapped_, other.mapped_);
  return *this;
}

KeyTable::KeyTable(std::size_t key_words, std::size_t max_keys)
    : key_words_(key_words),
      stride_(key_words + sum_count),
      max_keys_(max_keys),
      capacity_(std::min(initial_capacity, capacity_for(max_keys))),
      slots_(capacity_),
      entries_(room_in(capacity_, max_keys) * stride_) {
  std::random_device random;
  for (auto& s : secret_) s = std::uint64_t{random()} << 32 | random();
}

std::uint32_t KeyTable::find(const std::uint64_t* key, std::uint64_t hash) {
  for (std::size_t s = slot_of(hash);; s = s + 1 == capacity_ ? 0 : s + 1) {
    const std::uint64_t slot = slots_.data()[s];
    if (slot == 0) return add(s, key, hash);
    const auto index = static_cast<std::uint32_t>(slot) - 1;
    if (same_tag(slot, hash) && same_key(entry(index), key)) return index;
  }
}

std::uint32_t KeyTable::add(std::size_t slot, const std::uint64_t* key, std::uint64_t hash) {
  if (size_ == max_keys_) return full;
  if (size_ == room_in(capacity_, max_keys_)) {
    grow();
    slot = slot_of(hash);
    while (slots_.data()[slot] != 0) slot = slot + 1 == capacity_ ? 0 : slot + 1;
  }
  const auto index = static_cast<std::uint32_t>(size_++);
  std::uint64_t* e = entry(index);
  std::copy(key, key + key_words_, e);
  std::fill(e + key_words_, e + stride_, 0);
  e[key_words_ + first] = ~std::uint64_t{0};
  slots_.data()[slot] = (hash >> 32 << 32) | (std::uint64_t{index} + 1);
  return index;
}

void KeyTable::clear() noexcept {
  std::fill(slots_.data(), slots_.data() + capacity_, 0);
  size_ = 0;
}

void KeyTable::grow() {
  const std::size_t old_capacity = capacity_;
  capacity_ = std::min(capacity_ * 2, capacity_for(max_keys_));
  ZeroedWords entries(room_in(capacity_, max_keys_) * stride_);
  entries.take_from(entries_, size_ * stride_);
  entries_ = std::move(entries);
  // The old slots in order, each where its hash's half places it now: the
  // new slots fill nearly in order too, and no entry is read.
  const ZeroedWords old = std::exchange(slots_, ZeroedWords(capacity_));
  for (std::size_t i = 0; i < old_capacity; ++i) {
    const std::uint64_t slot = old.data()[i];
    if (slot == 0) continue;
    std::size_t s = slot_of(slot);
    while (slots_.data()[s] != 0) s = s + 1 == capacity_ ? 0 : s + 1;
    slots_.data()[s] = slot;
  }
}

}  // namespace sluice::aggregation::detail
