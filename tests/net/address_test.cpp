// Addresses, prefixes and endpoints as people write them.
#include <gtest/gtest.h>

#include "sluice/net/address.h"

namespace sluice::net {
namespace {

TEST(Prefix, ParseAndContain) {
  const auto p = parse_prefix("10.1.0.0/16");
  EXPECT_TRUE(p.contains(IpAddress::v4(0x0a01ff01)));
  EXPECT_FALSE(p.contains(IpAddress::v4(0x0a02ff01)));
  const auto v6 = parse_prefix("2001:db8::/33");
  const std::uint8_t inside[16] = {0x20, 0x01, 0x0d, 0xb8, 0x7f};
  const std::uint8_t outside[16] = {0x20, 0x01, 0x0d, 0xb8, 0x80};
  EXPECT_TRUE(v6.contains(IpAddress::v6(inside)));
  EXPECT_FALSE(v6.contains(IpAddress::v6(outside)));
  EXPECT_FALSE(v6.contains(IpAddress::v4(0x0a000001)));
  EXPECT_TRUE(parse_prefix("0.0.0.0/0").contains(IpAddress::v4(0xffffffff)));
  EXPECT_THROW(parse_prefix("10.0.0.0/33"), std::invalid_argument);
  EXPECT_THROW(parse_prefix("example.com"), std::invalid_argument);
  EXPECT_EQ(parse_endpoint("[::1]:2055").port, 2055);
  EXPECT_EQ(parse_endpoint("127.0.0.1:9995").address, IpAddress::v4(0x7f000001));
  EXPECT_THROW(parse_endpoint("127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(parse_endpoint("127.0.0.1:70000"), std::invalid_argument);
}

}  // namespace
}  // namespace sluice::net
