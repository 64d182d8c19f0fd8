// Our datagrams collected by nfcapd 1.7.1 and read back with nfdump: every
// record arrives with every field nfdump shows equal, and no sequence errors.
#include <gtest/gtest.h>

#include "datagrams.h"
#include "peers.h"
#include "test_flows.h"

namespace sluice::netflow::test {
namespace {

class NfcapdInterop : public ::testing::TestWithParam<Version> {};

TEST_P(NfcapdInterop, EveryFlowArrivesWithEveryFieldEqual) {
  const Version version = GetParam();
  const auto flows = test_flows(2000, 11);
  Encoder encoder({.version = version});
  const auto datagrams = encode_all(encoder, flows, test_now_ms);

  Nfcapd nfcapd;
  send_udp(nfcapd.port(), datagrams);
  nfcapd.stop();

  std::vector<FlowRecord> got = nfcapd.flows();
  std::vector<FlowRecord> want;
  for (const auto& f : flows) {
    if (version == Version::v5 && !f.src_addr.is_v4()) continue;
    FlowRecord c = as_carried_by(version, f);
    c.exporter = IpAddress::v4(0x7f000001);
    want.push_back(as_nfdump_shows(c, static_cast<int>(version)));
  }
  for (auto& f : got) f = as_nfdump_shows(f, static_cast<int>(version));
  EXPECT_TRUE(same_flows(got, want));
  EXPECT_EQ(nfcapd.sequence_failures(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Versions, NfcapdInterop, ::testing::Values(Version::v5, Version::v9, Version::ipfix),
                         [](const auto& info) { return std::string(version_name(info.param)); });

}  // namespace
}  // namespace sluice::netflow::test
