// Test support for interop with real NetFlow programs: nfcapd/nfdump as the
// reference collector and what reads its files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "flows.h"
#include "process.h"
#include "sluice/flow_record.h"
#include "udp.h"

namespace sluice::netflow::test {

using sluice::testing::Bytes;
using sluice::testing::same_flows;
using sluice::testing::send_udp;
using sluice::testing::UdpReceiver;
using sluice::testing::write_pcap;

// nfcapd listening on 127.0.0.1 at a free port, writing into a temp folder.
class Nfcapd {
 public:
  // An 8 MB receive buffer (-B), or the system's default as a stock nfcapd has.
  enum class ReceiveBuffer { large, system_default };
  explicit Nfcapd(ReceiveBuffer buffer = ReceiveBuffer::large);  // returns once the port is bound
  ~Nfcapd();
  unsigned short port() const noexcept { return port_; }
  // Stops nfcapd (SIGTERM to its pid) so that it closes its file.
  void stop();
  // Every flow in the files, as `nfdump -o json` prints them.
  std::vector<FlowRecord> flows() const;
  // "Sequence failures" of `nfdump -I` summed over the files.
  std::uint64_t sequence_failures() const { return file_statistic("Sequence failures"); }
  // "Flows" of `nfdump -I` summed over the files.
  std::uint64_t stored_flows() const { return file_statistic("Flows"); }
  // A line "NAME: N" of `nfdump -I`, summed over the files.
  std::uint64_t file_statistic(const std::string& name) const;
  // The files nfcapd wrote, by name.
  std::vector<std::filesystem::path> files() const;

 private:
  sluice::testing::TempDir dir_;
  unsigned short port_ = 0;
  std::unique_ptr<sluice::testing::Process> process_;
};

// The flows of `nfdump -o json` output.
std::vector<FlowRecord> parse_nfdump_json(const std::string& text);

// A flow as `nfdump -o json` can show it: without the fields its JSON leaves
// out (receive time, domain, sampling) and what nfdump 1.7.1 does not keep
// (v5 masks, IPFIX forwardingStatus). `version` is the NetFlow version.
FlowRecord as_nfdump_shows(FlowRecord flow, int version);

}  // namespace sluice::netflow::test
