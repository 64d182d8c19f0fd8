// A key as 64-bit words: the bytes of the key fields, one after the other,
// addresses masked to their prefix; unused bytes zero.
#pragma once

#include <sluice/flow_record.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sluice/aggregation/aggregator.h"

namespace sluice::aggregation::detail {

class KeyLayout {
 public:
  explicit KeyLayout(const std::vector<KeyPart>& parts);  // throws std::invalid_argument

  std::size_t words() const noexcept { return words_; }
  // Writes the keys of flows[0, n) one after the other into keys[0, n * words()).
  void extract(const FlowRecord* flows, std::size_t n, std::uint64_t* keys) const noexcept;
  // Sets the key fields of `record` from `key`, and marks them present.
  void restore(const std::uint64_t* key, FlowRecord& record) const noexcept;

 private:
  struct KeyField {
    std::size_t record_offset;
    std::size_t key_offset;  // in bytes
    std::size_t size;
    std::uint64_t ipv4_mask[2];  // addresses: as the 16 bytes of an IPv4-mapped address, read as words
    std::uint64_t ipv6_mask[2];
    bool whole;  // no prefix to cut: copied as it is
  };
  template <std::size_t Size>
  void copy(const KeyField& f, const FlowRecord* flows, std::size_t n, std::uint64_t* keys) const noexcept;
  void copy_address(const KeyField& f, const FlowRecord* flows, std::size_t n, std::uint64_t* keys) const noexcept;
  std::vector<KeyField> fields_;
  std::uint64_t present_ = 0;  // the key fields' presence bits
  std::size_t words_ = 0;
};

}  // namespace sluice::aggregation::detail
