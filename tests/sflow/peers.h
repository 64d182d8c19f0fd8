// Test support for interop with real sFlow programs: sfacctd (pmacct) as a
// reference collector, pmacctd's sfprobe plugin as a real agent, and tshark
// as an independent decoder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "process.h"
#include "sluice/flow_record.h"
#include "udp.h"

namespace sluice::sflow::test {

// sfacctd listening on 127.0.0.1 at a free port, its print plugin adding
// each interval's aggregates to a CSV file.
class Sfacctd {
 public:
  Sfacctd();  // returns once the port is bound
  ~Sfacctd();
  Sfacctd(const Sfacctd&) = delete;
  Sfacctd& operator=(const Sfacctd&) = delete;
  unsigned short port() const noexcept { return port_; }
  // A loopback address of its own (host byte order): datagrams other tests
  // send to 127.0.0.1 on a port they once chose never reach it.
  std::uint32_t host() const noexcept { return 0x7f530000 | port_; }
  // The samples it has counted so far: the packets of its CSV (one per
  // sample, as sfacctd does not renormalise by the sampling rate).
  std::uint64_t samples() const;

 private:
  sluice::testing::TempDir dir_;
  unsigned short port_ = 0;
  std::unique_ptr<sluice::testing::Process> process_;
};

// Runs pmacctd over `capture` with its sfprobe plugin sampling 1 in
// `sampling_rate` packets, as agent `agent`, sending sFlow to
// 127.0.0.1:port. Returns once pmacctd has read the whole capture.
sluice::testing::ProcessResult run_sfprobe(const std::filesystem::path& capture, const std::string& agent,
                                           unsigned sampling_rate, unsigned short port);

// tshark's reading of every flow sample in the datagrams: agent (as the
// exporter), addresses, protocol, ports (ICMP's type and code in the
// destination port), TCP flags, ToS, frame length (as bytes), sampling
// rate, MACs and VLANs; every other field as a default FlowRecord has it.
std::vector<FlowRecord> tshark_samples(const std::vector<sluice::testing::Bytes>& datagrams);

// The same fields of our decoder's records, the others reset, to compare.
FlowRecord as_tshark_shows(const FlowRecord& f);

}  // namespace sluice::sflow::test
