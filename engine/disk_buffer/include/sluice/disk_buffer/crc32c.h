// CRC-32C (Castagnoli, the iSCSI polynomial of RFC 3720), the checksum of
// every disk buffer entry. Debian 12 ships no C/C++ CRC-32C library (no
// libcrc32c-dev; its abseil predates absl::crc32c), so it is here: the
// SSE4.2 instruction where the CPU has it, a table otherwise.
#pragma once

#include <cstdint>
#include <span>

namespace sluice::disk_buffer {

// The CRC-32C of `bytes`, continuing from `crc` (the result of a previous call
// over the bytes before them; 0 to start).
std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t crc = 0) noexcept;

}  // namespace sluice::disk_buffer
