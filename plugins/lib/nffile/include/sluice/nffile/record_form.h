// What an nfdump V3 record of a flow holds: nfdump -o raw prints it.
#pragma once

#include <array>
#include <cstdint>

#include "sluice/flow_record.h"

namespace sluice::nffile {

// The record binary_writer writes for a flow, which is the one nfcapd wrote
// for a flow binary_reader read from its file: the same elements for the
// same values the exporter sent.
struct RecordForm {
  std::uint16_t size = 0;                    // bytes, header included
  std::uint8_t flags = 0;                    // the header's flags (2: sampled)
  std::uint8_t count = 0;                    // elements
  std::array<std::uint16_t, 10> elements{};  // nfdump's element ids, ascending
};

RecordForm record_form(const FlowRecord& flow) noexcept;

}  // namespace sluice::nffile
