// softflowd (a real exporter) turns a scapy-made capture into v5, v9 and
// IPFIX; the same datagrams go to our decoder and to nfcapd, and both decodes
// must agree flow for flow, field for field.
#include <gtest/gtest.h>

#include "datagrams.h"
#include "peers.h"

namespace sluice::netflow::test {
namespace {

using sluice::testing::run;
using sluice::testing::TempDir;

// Fields nfdump's JSON does not print, and what nfdump 1.7.1 drops: v5
// masks, IPFIX forwardingStatus, and v9's IPv6 ICMP type (element 139,
// which its v9 table lacks).
FlowRecord as_nfdump_shows(FlowRecord f, Version version) {
  f.received_ms = 0;
  f.observation_domain = 0;
  f.sampling_interval = 1;
  if (version == Version::v5) f.src_mask = f.dst_mask = 0;
  if (version == Version::ipfix) f.fwd_status = 0;
  if (version == Version::v9 && f.proto == 58) f.dst_port = 0;
  return f;
}

// nfdump 1.7.1's IPFIX table pairs flowEndSysUpTime (21) with the first time
// and flowStartSysUpTime (22) with the last, so for exporters that send
// uptimes, as softflowd does, it prints them swapped.
void unswap_ipfix_uptimes(std::vector<FlowRecord>& nfdump_flows) {
  for (auto& f : nfdump_flows) std::swap(f.first_ms, f.last_ms);
}

class SoftflowdInterop : public ::testing::TestWithParam<Version> {};

TEST_P(SoftflowdInterop, OurDecodeEqualsNfdumps) {
  const Version version = GetParam();
  TempDir dir;
  const auto capture = dir / "traffic.pcap";
  const auto made = run({"/usr/bin/python3", SLUICE_SOURCE_DIR "/tests/netflow/make_traffic.py", capture.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;

  UdpReceiver receiver;
  const auto exported = run({"softflowd", "-d", "-6", "-r", capture.string(), "-n",
                             "127.0.0.1:" + std::to_string(receiver.port()), "-v",
                             std::to_string(static_cast<int>(version)), "-p", (dir / "softflowd.pid").string(),
                             // softflowd 1.1.0 hangs at the end of the capture with its
                             // control socket in a folder below /tmp; it needs none here.
                             "-c", "none"},
                            {}, std::chrono::seconds(30));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const auto datagrams = receiver.receive_until_quiet();
  ASSERT_FALSE(datagrams.empty());

  Decoder decoder;
  auto ours = decode_all(decoder, datagrams);
  const auto exporters = decoder.exporters();
  ASSERT_EQ(exporters.size(), 1u);
  EXPECT_EQ(exporters[0].malformed_total(), 0u);
  EXPECT_EQ(exporters[0].sets_without_template, 0u);
  // The capture has IPv4 and IPv6 TCP, UDP and ICMP flows; v5 carries IPv4 only.
  EXPECT_GE(ours.size(), version == Version::v5 ? 30u : 60u);

  Nfcapd nfcapd;
  send_udp(nfcapd.port(), datagrams);
  nfcapd.stop();
  auto theirs = nfcapd.flows();
  // softflowd 1.1.0's IPFIX sequence numbers do not follow RFC 7011 (nfcapd
  // reports errors too): what matters is that we count them as nfcapd does.
  EXPECT_EQ(exporters[0].sequence_errors, nfcapd.sequence_failures());
  if (version == Version::ipfix) unswap_ipfix_uptimes(theirs);

  for (auto& f : ours) f = as_nfdump_shows(f, version);
  for (auto& f : theirs) f = as_nfdump_shows(f, version);
  EXPECT_TRUE(same_flows(ours, theirs));
}

INSTANTIATE_TEST_SUITE_P(Versions, SoftflowdInterop, ::testing::Values(Version::v5, Version::v9, Version::ipfix),
                         [](const auto& info) { return std::string(version_name(info.param)); });

}  // namespace
}  // namespace sluice::netflow::test
