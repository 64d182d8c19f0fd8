// Test support: big-endian bytes written field by field, for datagrams built
// by hand. A protocol's builder derives from ByteBuilder<itself>, so that
// its own steps chain with these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace sluice::testing {

template <class Self>
class ByteBuilder {
 public:
  Self& u8(std::uint64_t v) { return put(v, 1); }
  Self& u16(std::uint64_t v) { return put(v, 2); }
  Self& u32(std::uint64_t v) { return put(v, 4); }
  Self& u64(std::uint64_t v) { return put(v, 8); }
  Self& raw(std::initializer_list<std::uint8_t> b) { return raw(std::span<const std::uint8_t>(b.begin(), b.size())); }
  Self& raw(std::span<const std::uint8_t> b) {
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return self();
  }
  std::size_t size() const noexcept { return bytes_.size(); }

 protected:
  Self& self() { return static_cast<Self&>(*this); }
  Self& put(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return self();
  }
  // Lengths known only once what follows is written.
  void patch(std::size_t at, std::size_t v, int n) {
    for (int i = n - 1; i >= 0; --i, v >>= 8) bytes_[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
  }

  std::vector<std::uint8_t> bytes_;
};

}  // namespace sluice::testing
