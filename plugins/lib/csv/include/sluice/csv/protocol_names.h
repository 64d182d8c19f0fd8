// nfdump's short protocol names, which its CSV prints and its filter reads.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::csv {

// "TCP", "ICMP6" ... as nfdump 1.7.1 names protocol `proto`; empty when it has no name.
std::string_view protocol_name(std::uint8_t proto) noexcept;

}  // namespace sluice::csv
