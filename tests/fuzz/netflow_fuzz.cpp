// libFuzzer target for one NetFlow version (FUZZ_VERSION: 5 with v1 and v7,
// 9 or 10).
// The input is a run of datagrams, each a 2-byte length and its bytes, fed
// to one Decoder from one exporter: templates from one datagram meet data in
// the next. Every datagram gets the version under test, so the fuzzer spends
// its time inside that parser rather than on the version check.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "datagram_runs.h"
#include "sluice/netflow/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sluice::netflow::Decoder decoder(
      {.max_exporters = 4, .max_templates_per_exporter = 16, .max_samplers_per_exporter = 4});
  std::vector<sluice::FlowRecord> out;
  const auto exporter = sluice::IpAddress::v4(0x7f000001);
  sluice::fuzz::for_each_datagram(data, size, [&](std::vector<std::uint8_t>& datagram) {
    if (datagram.size() >= 2) {
      datagram[0] = 0;
      // v1 and v7 share v5's decoder: its target keeps them when named.
      const bool fixed_relative = FUZZ_VERSION == 5 && (datagram[1] == 1 || datagram[1] == 7);
      if (!fixed_relative) datagram[1] = FUZZ_VERSION;
    }
    decoder.decode(exporter, datagram, 0, out);
  });
  // Whatever was decoded came from this exporter and nowhere else.
  for (const auto& r : out)
    if (!(r.exporter == exporter)) __builtin_trap();
  return 0;
}
