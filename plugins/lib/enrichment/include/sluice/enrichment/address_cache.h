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

// An open-addressing table (linear probing, one cache line an entry) that is
// never more than half full: every address inserted since it last started
// over is found. When an insert would fill it past half, it starts over
// (clear() is O(1): entries of an older generation are empty), so memory is
// fixed and a working set of up to capacity() addresses is answered from the
// cache alone. (A set-associative cache thrashes on the sets that draw more
// addresses than it has ways: with 100k addresses in 262k entries of four
// ways, 3.6% of lookups missed, and each miss costs a database walk.)
class AddressCache {
 public:
  // Room for at least `addresses` (rounded up to a power of two, 64 at least).
  explicit AddressCache(std::size_t addresses)
      : mask_(2 * std::bit_ceil(std::max<std::size_t>(addresses, 64)) - 1),
        shift_(static_cast<unsigned>(64 - std::bit_width(mask_))),
        entries_(new Entry[mask_ + 1]) {}

  std::size_t capacity() const noexcept { return (mask_ + 1) / 2; }
  std::size_t bytes() const noexcept { return (mask_ + 1) * sizeof(Entry); }

  void prefetch(const IpAddress& address) const noexcept { __builtin_prefetch(entries_.get() + home_of(address)); }

  const AddressInfo* find(const IpAddress& address) const noexcept {
    const Words wanted = words_of(address);
    for (std::size_t i = home_of(address);; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.generation != generation_) return nullptr;
      if (words_of(e.address) == wanted) return &e.info;  // IpAddress's == calls memcmp
    }
  }

  // `address` must not be in the cache (find() said so).
  const AddressInfo& insert(const IpAddress& address, const AddressInfo& info) noexcept {
    if (size_ == capacity()) clear();
    ++size_;
    std::size_t i = home_of(address);
    while (entries_[i].generation == generation_) i = (i + 1) & mask_;
    entries_[i] = Entry{address, info, generation_};
    return entries_[i].info;
  }

  void clear() noexcept {
    size_ = 0;
    if (++generation_ != 0) return;
    // After 2^32 clears an entry's generation could come round again.
    std::fill(entries_.get(), entries_.get() + mask_ + 1, Entry{});
    generation_ = 1;
  }

 private:
  struct alignas(64) Entry {
    IpAddress address;
    AddressInfo info;
    std::uint32_t generation = 0;
  };
  static_assert(sizeof(Entry) == 64);

  using Words = std::array<std::uint64_t, 2>;
  static Words words_of(const IpAddress& address) noexcept { return std::bit_cast<Words>(address.bytes); }

  std::size_t home_of(const IpAddress& address) const noexcept {
    const auto [high, low] = words_of(address);
    const std::uint64_t h = (high ^ (low * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(h >> shift_);  // the product's best-mixed bits
  }

  std::size_t mask_;  // entries - 1
  unsigned shift_;    // 64 - log2(entries)
  std::unique_ptr<Entry[]> entries_;
  std::size_t size_ = 0;
  std::uint32_t generation_ = 1;
};

}  // namespace sluice::enrichment
