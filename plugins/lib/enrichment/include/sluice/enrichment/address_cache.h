// The answers for recently seen addresses, in front of the databases and the
// networks table: a flow's addresses are looked up once while they recur.
#pragma once

#include <sluice/flow_record.h>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
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

// Four-way set-associative, one cache line an entry; a full set forgets in
// turn. clear() is O(1): entries of an older generation are empty.
class AddressCache {
 public:
  // Room for at least `entries` addresses (rounded up to a power of two, 64 at least).
  explicit AddressCache(std::size_t entries)
      : set_bits_(static_cast<unsigned>(std::bit_width(std::max<std::size_t>(entries, 64) - 1)) - 2),
        entries_(new Entry[std::size_t{ways} << set_bits_]) {}

  std::size_t capacity() const noexcept { return std::size_t{ways} << set_bits_; }
  std::size_t bytes() const noexcept { return capacity() * sizeof(Entry); }

  void prefetch(const IpAddress& address) const noexcept {
    const Entry* set = set_of(address);
    for (unsigned w = 0; w < ways; ++w) __builtin_prefetch(set + w);
  }

  const AddressInfo* find(const IpAddress& address) const noexcept {
    const Entry* set = set_of(address);
    for (unsigned w = 0; w < ways; ++w)
      if (set[w].generation == generation_ && set[w].address == address) return &set[w].info;
    return nullptr;
  }

  void insert(const IpAddress& address, const AddressInfo& info) noexcept {
    Entry* set = set_of(address);
    Entry* victim = set + (next_victim_++ & (ways - 1));
    for (unsigned w = 0; w < ways; ++w)
      if (set[w].generation != generation_) {
        victim = set + w;
        break;
      }
    *victim = Entry{address, info, generation_};
  }

  void clear() noexcept { ++generation_; }

 private:
  static constexpr unsigned ways = 4;
  struct alignas(64) Entry {
    IpAddress address;
    AddressInfo info;
    std::uint32_t generation = 0;
  };
  static_assert(sizeof(Entry) == 64);

  Entry* set_of(const IpAddress& address) const noexcept {
    std::uint64_t high = 0, low = 0;
    std::memcpy(&high, address.bytes.data(), 8);
    std::memcpy(&low, address.bytes.data() + 8, 8);
    const std::uint64_t h = (high ^ (low * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
    return entries_.get() + ((h >> (64 - set_bits_)) << 2);
  }

  unsigned set_bits_;
  std::unique_ptr<Entry[]> entries_;
  std::uint32_t generation_ = 1;
  std::uint32_t next_victim_ = 0;
};

}  // namespace sluice::enrichment
