#include "sluice/nffile/exporter_table.h"

#include <algorithm>
#include <cstring>

namespace sluice::nffile {

ExporterTable::Lookup ExporterTable::find_or_add(const FlowRecord& flow) {
  Key key{{}, flow.observation_domain, flow.sampling_interval};
  std::memcpy(key.address, flow.exporter.bytes.data(), sizeof key.address);
  if (last_ < exporters_.size() && exporters_[last_] == key) return {static_cast<std::uint16_t>(last_ + 1), false};
  for (std::size_t i = 0; i < exporters_.size(); ++i) {
    if (exporters_[i] == key) {
      last_ = i;
      return {static_cast<std::uint16_t>(i + 1), false};
    }
  }
  exporters_.push_back(key);
  last_ = exporters_.size() - 1;
  return {static_cast<std::uint16_t>(exporters_.size()), true};
}

bool ExporterTable::starts_with(const ExporterTable& other) const noexcept {
  return other.exporters_.size() <= exporters_.size() &&
         std::equal(other.exporters_.begin(), other.exporters_.end(), exporters_.begin());
}

}  // namespace sluice::nffile
