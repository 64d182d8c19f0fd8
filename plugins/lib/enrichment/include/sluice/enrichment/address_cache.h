// The answers for recently seen addresses, in front of the databases and the
// networks table: a flow's addresses are looked up once while they recur.
#pragma once

#include <sluice/flow_record.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <memory>

namespace sluice::enrichment {

// Everything enrichment knows of one address (texts are TextIds).
struct AddressInfo {
  std::array<char, 2> country{};
  std::uint32_t asn = 0;
  TextId as_name = 0, city = 0, region = 0;
  TextId net_name = 0, net_role = 0, net_site = 0, net_region = 0, net_tenant = 0;

  friend bool operator==(const AddressInfo&, const AddressInfo&) = default;
};

// An open-addressing table (linear probing) that is never more than half
// full: every address inserted since it last started over is found. When an
// insert would pass capacity(), it starts over (clear() is O(1): slots of an
// older generation are empty), so memory is fixed and a working set of up to
// capacity() addresses is answered from the cache alone.
//
// Enrichment at this size is bound by the latency of the slot's load, so a
// slot is 16 bytes (four a cache line): an IPv4 address itself, or a tag of
// an IPv6 address kept beside the table, and the index of its answer in a
// table of distinct answers (addresses share few: one per database network
// and network of the pipeline's).
class AddressCache {
 public:
  // Room for at least `addresses` (rounded up to a power of two, 64 at least).
  explicit AddressCache(std::size_t addresses)
      : capacity_(std::bit_ceil(std::max<std::size_t>(addresses, 64))),
        mask_(2 * capacity_ - 1),
        shift_(static_cast<unsigned>(64 - std::bit_width(mask_))),
        slots_(new Slot[mask_ + 1]),
        answer_slots_(new AnswerSlot[mask_ + 1]),
        answers_(new AddressInfo[capacity_]),
        v6_addresses_(new Words[capacity_]) {}

  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t bytes() const noexcept {
    return (mask_ + 1) * (sizeof(Slot) + sizeof(AnswerSlot)) + capacity_ * (sizeof(AddressInfo) + sizeof(Words));
  }

  void prefetch(const IpAddress& address) const noexcept {
    __builtin_prefetch(slots_.get() + home_of(key_of(words_of(address)).hash));
  }

  const AddressInfo* find(const IpAddress& address) const noexcept {
    const Words words = words_of(address);
    const Key key = key_of(words);
    for (std::size_t i = home_of(key.hash);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.generation != generation_) return nullptr;
      if (s.key == key.key && (key.v4 ? s.v6 == 0 : s.v6 != 0 && v6_addresses_[s.v6 - 1] == words))
        return &answers_[s.answer];
    }
  }

  // `address` must not be in the cache (find() said so).
  const AddressInfo& insert(const IpAddress& address, const AddressInfo& info) noexcept {
    if (size_ == capacity_) clear();
    ++size_;
    const Words words = words_of(address);
    const Key key = key_of(words);
    std::uint32_t v6 = 0;
    if (!key.v4) {
      v6_addresses_[v6_count_] = words;
      v6 = ++v6_count_;
    }
    const std::uint32_t answer = answer_of(info);
    std::size_t i = home_of(key.hash);
    while (slots_[i].generation == generation_) i = (i + 1) & mask_;
    slots_[i] = Slot{key.key, generation_, answer, v6};
    return answers_[answer];
  }

  void clear() noexcept {
    size_ = 0;
    answer_count_ = 0;
    v6_count_ = 0;
    if (++generation_ != 0) return;
    // After 2^32 clears a slot's generation could come round again.
    std::fill(slots_.get(), slots_.get() + mask_ + 1, Slot{});
    std::fill(answer_slots_.get(), answer_slots_.get() + mask_ + 1, AnswerSlot{});
    generation_ = 1;
  }

 private:
  struct alignas(16) Slot {
    std::uint32_t key = 0;  // the IPv4 address, or an IPv6 address's tag
    std::uint32_t generation = 0;
    std::uint32_t answer = 0;  // index in answers_
    std::uint32_t v6 = 0;      // 0 for IPv4, else 1 + index in v6_addresses_
  };
  static_assert(sizeof(Slot) == 16);
  // The index of answers of this generation, by their hash.
  struct AnswerSlot {
    std::uint32_t generation = 0;
    std::uint32_t answer = 0;
  };

  // Addresses compared as two 64-bit words (IpAddress's == calls memcmp).
  using Words = std::array<std::uint64_t, 2>;
  static Words words_of(const IpAddress& address) noexcept { return std::bit_cast<Words>(address.bytes); }

  struct Key {
    std::uint64_t hash;
    std::uint32_t key;
    bool v4;
  };
  static Key key_of(const Words& words) noexcept {
    const auto [high, low] = words;
    const std::uint64_t hash = (high ^ (low * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
    constexpr std::uint64_t v4_mapped = 0xFFFF0000;  // bytes 8-11 of ::ffff:a.b.c.d, little-endian
    const bool v4 = high == 0 && static_cast<std::uint32_t>(low) == v4_mapped;
    // An IPv4 address is its own key (its four bytes as they lie); an IPv6 tag only sorts out most others.
    return {hash, static_cast<std::uint32_t>(v4 ? low >> 32 : hash), v4};
  }

  static std::uint64_t hash_of(const AddressInfo& info) noexcept {
    std::uint64_t hash = std::bit_cast<std::uint16_t>(info.country);
    for (const std::uint32_t word : {info.asn, info.as_name, info.city, info.region, info.net_name, info.net_role,
                                     info.net_site, info.net_region, info.net_tenant})
      hash = (hash ^ word) * 0x9E3779B97F4A7C15ULL;
    return hash;
  }

  // The index of `info` in answers_, added if it is not there.
  std::uint32_t answer_of(const AddressInfo& info) noexcept {
    for (std::size_t i = home_of(hash_of(info));; i = (i + 1) & mask_) {
      AnswerSlot& s = answer_slots_[i];
      if (s.generation != generation_) {
        answers_[answer_count_] = info;
        s = AnswerSlot{generation_, answer_count_};
        return answer_count_++;
      }
      if (answers_[s.answer] == info) return s.answer;
    }
  }

  std::size_t home_of(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>(hash >> shift_);  // the product's best-mixed bits
  }

  std::size_t capacity_;  // addresses, and so distinct answers and IPv6 addresses at most
  std::size_t mask_;      // slots - 1
  unsigned shift_;        // 64 - log2(slots)
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<AnswerSlot[]> answer_slots_;
  std::unique_ptr<AddressInfo[]> answers_;
  std::unique_ptr<Words[]> v6_addresses_;
  std::size_t size_ = 0;
  std::uint32_t answer_count_ = 0, v6_count_ = 0;
  std::uint32_t generation_ = 1;
};

}  // namespace sluice::enrichment
