// libFuzzer target for the sFlow v5 decoder. The input is a run of
// datagrams, each a 2-byte length and its bytes, fed to one Decoder: one
// datagram's sequence numbers meet the next. Every datagram gets version 5,
// so the fuzzer spends its time inside the parser rather than on the
// version check.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "datagram_runs.h"
#include "sluice/sflow/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sluice::sflow::Decoder decoder({.max_agents = 4, .max_sources_per_agent = 16});
  std::vector<sluice::FlowRecord> flows;
  std::vector<sluice::sflow::InterfaceCounters> interfaces;
  const auto sender = sluice::IpAddress::v4(0x7f000001);
  sluice::fuzz::for_each_datagram(data, size, [&](std::vector<std::uint8_t>& datagram) {
    if (datagram.size() >= 4) {
      datagram[0] = datagram[1] = datagram[2] = 0;
      datagram[3] = 5;
    }
    decoder.decode(sender, datagram, 0, flows, interfaces);
  });
  // Every record decoded is one flow sample counted under its agent; a full
  // table forgets the longest-silent (sub-)agent with its counts, so then the
  // agents still known account for no more than the records.
  std::uint64_t samples = 0;
  for (const auto& a : decoder.agents()) samples += a.flow_samples;
  if (decoder.evicted_agents() == 0 ? samples != flows.size() : samples > flows.size()) __builtin_trap();
  return 0;
}
