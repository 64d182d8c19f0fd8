// What an nfdump V3 record of a flow holds: nfdump -o raw prints it.
#pragma once

#include <array>
#include <cstdint>

#include "sluice/flow_record.h"

namespace sluice::nffile {

// nfdump's ids (nfxV3.h) of the elements a flow's record can hold.
namespace element {
enum Id : std::uint16_t {
  generic_flow = 1,
  ipv4_flow = 2,
  ipv6_flow = 3,
  flow_misc = 4,
  counters = 5,
  as_routing = 7,
  bgp_next_hop_v4 = 8,
  bgp_next_hop_v6 = 9,
  ip_next_hop_v4 = 10,
  ip_next_hop_v6 = 11,
  received_v4 = 12,
  received_v6 = 13,
};
}  // namespace element

// The record binary_writer writes for a flow, which is the one nfcapd wrote
// for a flow binary_reader read from its file: the same elements for the
// same values the exporter sent.
struct RecordForm {
  std::uint16_t size = 0;                    // bytes, header included
  std::uint8_t flags = 0;                    // the header's flags (2: sampled)
  std::uint8_t count = 0;                    // elements
  std::array<std::uint16_t, 10> elements{};  // element::Id values, ascending
};

RecordForm record_form(const FlowRecord& flow) noexcept;

}  // namespace sluice::nffile
