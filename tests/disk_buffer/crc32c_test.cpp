// CRC-32C against the check values of RFC 3720 (iSCSI), appendix B.4, and
// the catalogue's "123456789".
#include "sluice/disk_buffer/crc32c.h"

#include <gtest/gtest.h>

#include <array>
#include <numeric>
#include <string_view>

using sluice::disk_buffer::crc32c;

namespace {

template <std::size_t N>
std::uint32_t crc_of(const std::array<std::uint8_t, N>& bytes) {
  return crc32c(std::as_bytes(std::span(bytes)));
}

TEST(Crc32c, MatchesRfc3720) {
  std::array<std::uint8_t, 32> bytes{};
  EXPECT_EQ(crc_of(bytes), 0x8A9136AAU);
  bytes.fill(0xFF);
  EXPECT_EQ(crc_of(bytes), 0x62A8AB43U);
  std::iota(bytes.begin(), bytes.end(), std::uint8_t{0});
  EXPECT_EQ(crc_of(bytes), 0x46DD794EU);
  std::iota(bytes.rbegin(), bytes.rend(), std::uint8_t{0});
  EXPECT_EQ(crc_of(bytes), 0x113FDB5CU);
}

TEST(Crc32c, MatchesTheCheckValue) {
  constexpr std::string_view check = "123456789";
  EXPECT_EQ(crc32c(std::as_bytes(std::span(check))), 0xE3069283U);
}

TEST(Crc32c, ContinuesAcrossCalls) {
  std::array<std::uint8_t, 1000> bytes{};
  std::iota(bytes.begin(), bytes.end(), std::uint8_t{7});
  const auto all = std::as_bytes(std::span(bytes));
  for (const std::size_t cut : {0UL, 1UL, 7UL, 8UL, 13UL, 999UL, 1000UL})
    EXPECT_EQ(crc32c(all.subspan(cut), crc32c(all.first(cut))), crc32c(all)) << "cut at " << cut;
}

}  // namespace
