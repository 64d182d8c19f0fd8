// tshark, an independent decoder, reads our datagrams without a malformed
// packet or expert warning, and finds every source address we encoded.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <sstream>

#include "datagrams.h"
#include "peers.h"
#include "test_flows.h"

namespace sluice::netflow::test {
namespace {

using sluice::testing::run;

std::string text(const IpAddress& a) {
  char s[INET6_ADDRSTRLEN];
  if (a.is_v4()) {
    const in_addr v4{htonl(a.v4_value())};
    return inet_ntop(AF_INET, &v4, s, sizeof s);
  }
  return inet_ntop(AF_INET6, a.bytes.data(), s, sizeof s);
}

// The comma- and tab-separated values of tshark's "-T fields" output.
std::vector<std::string> values(const std::string& out) {
  std::vector<std::string> all;
  std::string value;
  for (char c : out + "\n") {
    if (c == ',' || c == '\t' || c == '\n') {
      if (!value.empty()) all.push_back(value);
      value.clear();
    } else {
      value += c;
    }
  }
  return all;
}

class TsharkInterop : public ::testing::TestWithParam<Version> {};

TEST_P(TsharkInterop, DecodesOurDatagramsCleanly) {
  const auto flows = test_flows(300, 12);
  Encoder encoder({.version = GetParam()});
  sluice::testing::TempDir dir;
  const auto capture = dir / "ours.pcap";
  write_pcap(capture, 2055, encode_all(encoder, flows, test_now_ms));
  const std::vector<std::string> tshark = {"tshark", "-r", capture.string(), "-d", "udp.port==2055,cflow"};

  auto verbose = tshark;
  verbose.push_back("-V");
  const auto decoded = run(verbose);
  ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_NE(decoded.out.find("Cisco NetFlow/IPFIX"), std::string::npos);
  EXPECT_EQ(decoded.out.find("Malformed"), std::string::npos);
  EXPECT_EQ(decoded.out.find("Expert Info"), std::string::npos);

  auto fields = tshark;
  fields.insert(fields.end(), {"-T", "fields", "-e", "cflow.srcaddr", "-e", "cflow.srcaddrv6"});
  const auto addresses = run(fields);
  ASSERT_EQ(addresses.exit_code, 0) << addresses.err;
  std::vector<std::string> want;
  for (const auto& f : flows)
    if (GetParam() != Version::v5 || f.src_addr.is_v4()) want.push_back(text(f.src_addr));
  auto got = values(addresses.out);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

INSTANTIATE_TEST_SUITE_P(Versions, TsharkInterop, ::testing::Values(Version::v5, Version::v9, Version::ipfix),
                         [](const auto& info) { return std::string(version_name(info.param)); });

}  // namespace
}  // namespace sluice::netflow::test
