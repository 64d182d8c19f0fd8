// Test support for interop with real NetFlow programs: nfcapd/nfdump as the
// reference collector, UDP send and receive on 127.0.0.1, pcap files for
// tshark.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.h"
#include "sluice/flow_record.h"

namespace sluice::netflow::test {

using Bytes = std::vector<std::uint8_t>;

// nfcapd listening on 127.0.0.1 at a free port, writing into a temp folder.
class Nfcapd {
 public:
  Nfcapd();  // returns once the port is bound
  ~Nfcapd();
  unsigned short port() const noexcept { return port_; }
  // Stops nfcapd (SIGTERM to its pid) so that it closes its file.
  void stop();
  // Every flow in the files, as `nfdump -o json` prints them.
  std::vector<FlowRecord> flows() const;
  // "Sequence failures" of `nfdump -I` summed over the files.
  std::uint64_t sequence_failures() const;
  // The files nfcapd wrote, by name.
  std::vector<std::filesystem::path> files() const;

 private:
  sluice::testing::TempDir dir_;
  unsigned short port_ = 0;
  std::unique_ptr<sluice::testing::Process> process_;
};

// The flows of `nfdump -o json` output.
std::vector<FlowRecord> parse_nfdump_json(const std::string& text);

void send_udp(unsigned short port, const std::vector<Bytes>& datagrams);

// A UDP socket on 127.0.0.1 that collects what arrives.
class UdpReceiver {
 public:
  UdpReceiver();
  ~UdpReceiver();
  unsigned short port() const noexcept { return port_; }
  // Datagrams received until none arrived for `quiet_ms`.
  std::vector<Bytes> receive_until_quiet(int quiet_ms = 500);

 private:
  int fd_ = -1;
  unsigned short port_ = 0;
};

// A pcap (raw IPv4 link type) with one UDP packet per datagram, to `port`.
void write_pcap(const std::filesystem::path& file, unsigned short port, const std::vector<Bytes>& datagrams);

// A flow as `nfdump -o json` can show it: without the fields its JSON leaves
// out (receive time, domain, sampling) and what nfdump 1.7.1 does not keep
// (v5 masks, IPFIX forwardingStatus). `version` is the NetFlow version.
FlowRecord as_nfdump_shows(FlowRecord flow, int version);

// Whether two decodes hold the same flows in any order; if not, says which
// flows only one side has, or the first that differs.
::testing::AssertionResult same_flows(std::vector<FlowRecord> got, std::vector<FlowRecord> want);

}  // namespace sluice::netflow::test
