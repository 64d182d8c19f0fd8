// Interop with real sFlow programs. A real agent (pmacctd's sfprobe plugin)
// turns a scapy-made capture into sFlow; our decoder and tshark read the same
// datagrams sample for sample, and sfacctd counts the samples as we do. Our
// encoder's datagrams pass the same checks.
#include <gtest/gtest.h>

#include <algorithm>

#include "datagrams.h"
#include "flows.h"
#include "peers.h"
#include "sluice/fields.h"

namespace sluice::sflow::test {
namespace {

using sluice::testing::eventually;
using sluice::testing::run;
using sluice::testing::same_flows;
using sluice::testing::TempDir;

std::vector<FlowRecord> all_as_tshark_shows(const std::vector<FlowRecord>& flows) {
  std::vector<FlowRecord> shown;
  shown.reserve(flows.size());
  for (const auto& f : flows) shown.push_back(as_tshark_shows(f));
  return shown;
}

// Whether sfacctd, once it has read everything sent, counts `expected` samples.
::testing::AssertionResult sfacctd_counts(const std::vector<Bytes>& datagrams, std::uint64_t expected) {
  Sfacctd sfacctd;
  sluice::testing::send_udp(sfacctd.port(), datagrams, 0x7f000001, sfacctd.host());
  if (eventually([&] { return sfacctd.samples() >= expected; }, std::chrono::seconds(15)) &&
      sfacctd.samples() == expected)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "sfacctd counted " << sfacctd.samples() << " samples, not " << expected;
}

TEST(SflowInterop, RealAgentsSamplesDecodeAsTsharkAndSfacctdReadThem) {
  TempDir dir;
  const auto capture = dir / "traffic.pcap";
  const auto made =
      run({"/usr/bin/python3", SLUICE_SOURCE_DIR "/tests/support/make_traffic.py", capture.string(), "--more-headers"});
  ASSERT_EQ(made.exit_code, 0) << made.err;

  sluice::testing::UdpReceiver receiver;
  const auto exported = run_sfprobe(capture, "192.0.2.77", 2, receiver.port());
  // pmacctd 1.7.7 sometimes exits 1 at the end of a capture when its plugin
  // finishes before the core notices ("no more plugins active"); the
  // datagrams are all sent by then.
  const bool pmacctd_race = (exported.out + exported.err).find("no more plugins active") != std::string::npos;
  ASSERT_TRUE(exported.exit_code == 0 || (exported.exit_code == 1 && pmacctd_race)) << exported.out << exported.err;
  const auto datagrams = receiver.receive_until_quiet();
  ASSERT_FALSE(datagrams.empty());

  Decoder decoder;
  const auto ours = decode_all(decoder, datagrams);
  const auto agents = decoder.agents();
  ASSERT_EQ(agents.size(), 1u);
  EXPECT_EQ(agents[0].address, IpAddress::v4(0xc000024d));  // 192.0.2.77
  EXPECT_EQ(agents[0].malformed_total(), 0u);
  EXPECT_EQ(agents[0].sequence_errors, 0u);
  EXPECT_EQ(agents[0].sample_sequence_errors, 0u);
  // About half the capture's 304 frames.
  EXPECT_GE(ours.size(), 140u);
  for (const auto& f : ours) {
    EXPECT_EQ(f.sampling_interval, 2u);
    EXPECT_EQ(f.export_version, sflow_5_export_version);  // nfdump's value for sFlow 5
  }

  EXPECT_TRUE(same_flows(all_as_tshark_shows(ours), tshark_samples(datagrams)));
  // sfacctd 1.7.7 does not count samples of QinQ (double-tagged) frames,
  // 10.5.0.x in the capture; tshark and we read them.
  const auto qinq = std::count_if(ours.begin(), ours.end(), [](const FlowRecord& f) {
    return f.src_addr.is_v4() && f.src_addr.v4_value() >> 8 == 0x0a0500;
  });
  EXPECT_GT(qinq, 0);
  EXPECT_TRUE(sfacctd_counts(datagrams, ours.size() - static_cast<std::size_t>(qinq)));
}

TEST(SflowInterop, OurDatagramsDecodeAsTsharkAndSfacctdReadThem) {
  std::vector<FlowRecord> flows;
  for (std::uint32_t i = 0; i < 300; ++i) {
    FlowRecord f;
    f.exporter = IpAddress::v4(0x0aff0001 + i % 2);
    f.src_addr = i % 3 ? IpAddress::v4(0x0a000000 + i) : v6(static_cast<std::uint8_t>(i));
    f.dst_addr = i % 3 ? IpAddress::v4(0xc0000200 + i % 256) : v6(200);
    static constexpr std::uint8_t protos[] = {6, 17, 1, 6, 47};
    f.proto = protos[i % 5] == 1 && !f.src_addr.is_v4() ? 58 : protos[i % 5];
    f.src_port = f.proto == 6 || f.proto == 17 ? static_cast<std::uint16_t>(30000 + i) : 0;
    f.dst_port = f.proto == 1 || f.proto == 58 ? static_cast<std::uint16_t>(f.proto == 1 ? 0x0800 : 0x8000)
                 : f.src_port                  ? static_cast<std::uint16_t>(20000 + i % 7)
                                               : 0;
    f.tcp_flags = f.proto == 6 ? 0x1b : 0;
    f.tos = static_cast<std::uint8_t>(i % 4 * 8);
    f.packets = 1 + i % 13;
    f.bytes = f.packets * (60 + i * 7 % 1400);
    f.in_if = i % 4;
    f.out_if = 10 + i % 3;
    if (i % 4 == 0) f.next_hop = f.src_addr;
    if (i % 5 == 0) f.src_as = f.dst_as = 64512 + i;
    if (i % 6 == 1) f.src_vlan = static_cast<std::uint16_t>(10 + i % 5);
    if (i % 7 == 2) f.dst_vlan = 20;
    if (i % 8 == 3) f.src_mac.bytes = {0x00, 0x1b, 0x21, 0x00, 0x00, static_cast<std::uint8_t>(i)};
    flows.push_back(f);
  }
  Encoder encoder({.sampling_rate = 3});
  const auto datagrams = encode_all(encoder, flows);
  ASSERT_GT(datagrams.size(), 10u);

  // tshark finds nothing malformed in the sFlow structure, and no expert
  // note of any kind (its dissection of the sampled packets' payload, zeros
  // here, is another matter: off for this check).
  TempDir dir;
  sluice::testing::write_pcap(dir / "ours.pcap", 6343, datagrams);
  const auto checked = run({"tshark", "-r", (dir / "ours.pcap").string(), "-d", "udp.port==6343,sflow", "-o",
                            "sflow.enable_dissection:FALSE", "-Y", "sflow && !_ws.malformed && !_ws.expert"});
  ASSERT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_EQ(static_cast<std::size_t>(std::count(checked.out.begin(), checked.out.end(), '\n')), datagrams.size())
      << checked.out;

  Decoder decoder;
  const auto ours = decode_all(decoder, datagrams);
  EXPECT_EQ(ours.size(), encoder.stats().samples);
  EXPECT_TRUE(same_flows(all_as_tshark_shows(ours), tshark_samples(datagrams)));
  EXPECT_TRUE(sfacctd_counts(datagrams, ours.size()));
}

}  // namespace
}  // namespace sluice::sflow::test
