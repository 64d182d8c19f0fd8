// The fuzz targets' input format: a run of datagrams, each a 2-byte length
// (big-endian) and its bytes, so that state kept from one datagram (templates,
// sequence numbers) meets the next.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <vector>

namespace sluice::fuzz {

// Calls handle(datagram) for each datagram of the input, with a copy it may
// change; the last one is cut to what is left.
template <class Handle>
void for_each_datagram(const std::uint8_t* data, std::size_t size, Handle handle) {
  std::vector<std::uint8_t> datagram;
  while (size >= 2) {
    const std::size_t length = std::min<std::size_t>(std::size_t{data[0]} << 8 | data[1], size - 2);
    datagram.assign(data + 2, data + 2 + length);
    handle(datagram);
    data += 2 + length;
    size -= 2 + length;
  }
}

// Appends one datagram to a seed input.
inline void append_datagram(std::vector<std::uint8_t>& seed, std::span<const std::uint8_t> datagram) {
  seed.push_back(static_cast<std::uint8_t>(datagram.size() >> 8));
  seed.push_back(static_cast<std::uint8_t>(datagram.size()));
  seed.insert(seed.end(), datagram.begin(), datagram.end());
}

inline void write_seed(const std::filesystem::path& file, const std::vector<std::uint8_t>& seed) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
}

}  // namespace sluice::fuzz
