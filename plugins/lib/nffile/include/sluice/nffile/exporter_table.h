// The exporter numbering of an nfcapd file.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/flow_record.h"

namespace sluice::nffile {

// nfdump numbers the exporters of a file 1, 2, 3 ... in the order their first
// flow appears (its "sysid", printed as `exid`). An exporter here is what a
// flow says of its origin: exporter address, observation domain and sampling
// interval. The binary writer and the nfdump CSV layout both number with this
// table, so the CSV matches what nfdump prints for the file.
class ExporterTable {
 public:
  struct Lookup {
    std::uint16_t sysid;
    bool is_new;  // first flow of this exporter in the file
  };

  Lookup find_or_add(const FlowRecord& flow);
  void clear() noexcept { exporters_.clear(); }

  // Whether this table numbers every exporter of `other` as `other` does.
  bool starts_with(const ExporterTable& other) const noexcept;

 private:
  // The address as two words: compared as integers, not byte by byte.
  struct Key {
    std::uint64_t address[2];
    std::uint32_t observation_domain;
    std::uint32_t sampling_interval;
    friend bool operator==(const Key&, const Key&) = default;
  };
  std::vector<Key> exporters_;  // index + 1 = sysid; a handful per file
  std::size_t last_ = 0;        // flows come in runs from one exporter
};

}  // namespace sluice::nffile
