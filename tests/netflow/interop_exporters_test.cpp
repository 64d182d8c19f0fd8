// Real exporters (softflowd; pmacctd with its nfprobe plugin, which sends
// other templates) turn a scapy-made capture into v5, v9 and IPFIX; the same
// datagrams go to our decoder and to nfcapd, and both decodes must agree
// flow for flow, field for field.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <string>

#include "datagrams.h"
#include "peers.h"

namespace sluice::netflow::test {
namespace {

using sluice::testing::run;
using sluice::testing::TempDir;

// In v9, nfdump 1.7.1 takes ICMP type and code only from element 32 (and
// 176-179): for flows that carry them elsewhere (softflowd sends IPv6's in
// 139, pmacctd sends them in the destination port) it prints 0.
FlowRecord without_v9_icmp_type(FlowRecord f, int version) {
  if (version == 9 && (f.proto == 1 || f.proto == 58)) f.dst_port = 0;
  return f;
}

// nfdump 1.7.1's IPFIX table pairs flowEndSysUpTime (21) with the first time
// and flowStartSysUpTime (22) with the last, so for exporters that send
// uptimes, as softflowd does, it prints them swapped.
void unswap_ipfix_uptimes(std::vector<FlowRecord>& nfdump_flows) {
  for (auto& f : nfdump_flows) std::swap(f.first_ms, f.last_ms);
}

enum class Exporter { softflowd, pmacctd };

struct Case {
  Exporter exporter;
  int version;  // 1 (softflowd only), 5, 9 or 10
};

// Runs the exporter over `capture`, sending to 127.0.0.1:port.
sluice::testing::ProcessResult export_capture(const Case& c, const TempDir& dir, const std::filesystem::path& capture,
                                              unsigned short port) {
  const std::string version = std::to_string(c.version);
  const std::string target = "127.0.0.1:" + std::to_string(port);
  if (c.exporter == Exporter::softflowd)
    return run({"softflowd", "-d", "-6", "-r", capture.string(), "-n", target, "-v", version, "-p",
                (dir / "softflowd.pid").string(),
                // softflowd 1.1.0 hangs at the end of the capture with its
                // control socket in a folder below /tmp; it needs none here.
                "-c", "none"},
               {}, std::chrono::seconds(30));
  const auto config =
      dir.write("pmacctd.conf", "daemonize: false\npcap_savefile: " + capture.string() +
                                    "\npcap_savefile_wait: false\nplugins: nfprobe\nnfprobe_receiver: " + target +
                                    "\nnfprobe_version: " + version +
                                    "\naggregate: src_host, dst_host, src_port, dst_port, proto, tos, tcpflags\n");
  return run({"pmacctd", "-f", config.string()}, {}, std::chrono::seconds(30));
}

class ExporterInterop : public ::testing::TestWithParam<Case> {};

TEST_P(ExporterInterop, OurDecodeEqualsNfdumps) {
  const int version = GetParam().version;
  TempDir dir;
  const auto capture = dir / "traffic.pcap";
  const auto made = run({"/usr/bin/python3", SLUICE_SOURCE_DIR "/tests/support/make_traffic.py", capture.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;

  UdpReceiver receiver;
  const auto exported = export_capture(GetParam(), dir, capture, receiver.port());
  // pmacctd 1.7.7 sometimes exits 1 at the end of a capture when its plugin
  // finishes before the core notices ("no more plugins active"); the
  // datagrams are all sent by then.
  const bool pmacctd_race = (exported.out + exported.err).find("no more plugins active") != std::string::npos;
  ASSERT_TRUE(exported.exit_code == 0 || (exported.exit_code == 1 && pmacctd_race)) << exported.out << exported.err;
  const auto datagrams = receiver.receive_until_quiet();
  ASSERT_FALSE(datagrams.empty());

  Decoder decoder;
  auto ours = decode_all(decoder, datagrams);
  const auto exporters = decoder.exporters();
  ASSERT_EQ(exporters.size(), 1u);
  EXPECT_EQ(exporters[0].malformed_total(), 0u);
  EXPECT_EQ(exporters[0].sets_without_template, 0u);
  // The capture has IPv4 and IPv6 TCP, UDP and ICMP flows; v1 and v5 carry IPv4 only.
  EXPECT_GE(ours.size(), version <= 5 ? 30u : 60u);

  // nfdump rejects v1 datagrams of more than Cisco's 24 records, which
  // softflowd sends (29): compare the two decodes on the others.
  std::vector<Bytes> for_nfdump;
  for (const auto& d : datagrams)
    if (version != 1 || (d[2] << 8 | d[3]) <= 24) for_nfdump.push_back(d);
  if (for_nfdump.size() != datagrams.size()) {
    Decoder same_input;
    ours = decode_all(same_input, for_nfdump);
  }

  Nfcapd nfcapd;
  send_udp(nfcapd.port(), for_nfdump);
  nfcapd.stop();
  auto theirs = nfcapd.flows();
  // softflowd 1.1.0's IPFIX sequence numbers do not follow RFC 7011 (nfcapd
  // reports errors too): what matters is that we count them as nfcapd does.
  EXPECT_EQ(exporters[0].sequence_errors, nfcapd.sequence_failures());
  if (version == 10 && GetParam().exporter == Exporter::softflowd) unswap_ipfix_uptimes(theirs);

  // nfcapd keeps an IPFIX flow's end reason (softflowd sends it), which
  // nfdump's JSON leaves out and its -o raw prints.
  if (version == 10) {
    std::multiset<std::string> their_reasons, our_reasons;
    for (const auto& file : nfcapd.files()) {
      std::istringstream raw(run({"nfdump", "-q", "-r", file.string(), "-o", "raw"}).out);
      for (std::string line; std::getline(raw, line);)
        if (line.starts_with("  end reason   =")) their_reasons.insert(line.substr(line.find("0x") + 2, 2));
    }
    for (const auto& f : ours) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", unsigned{f.end_reason});
      our_reasons.insert(hex);
    }
    EXPECT_EQ(our_reasons, their_reasons);
    if (GetParam().exporter == Exporter::softflowd) {
      EXPECT_EQ(our_reasons.count("00"), 0u);
    }
  }
  for (auto& f : ours) f = without_v9_icmp_type(as_nfdump_shows(f, version), version);
  for (auto& f : theirs) f = without_v9_icmp_type(as_nfdump_shows(f, version), version);
  EXPECT_TRUE(same_flows(ours, theirs));
}

INSTANTIATE_TEST_SUITE_P(Exporters, ExporterInterop,
                         ::testing::Values(Case{Exporter::softflowd, 1}, Case{Exporter::softflowd, 5},
                                           Case{Exporter::softflowd, 9}, Case{Exporter::softflowd, 10},
                                           Case{Exporter::pmacctd, 5}, Case{Exporter::pmacctd, 9},
                                           Case{Exporter::pmacctd, 10}),
                         [](const auto& info) {
                           return std::string(info.param.exporter == Exporter::softflowd ? "softflowd" : "pmacctd") +
                                  "_v" + std::to_string(info.param.version);
                         });

}  // namespace
}  // namespace sluice::netflow::test
