// nfdump's short protocol names, which its CSV prints and its filter reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::csv {

// "TCP", "ICMP6" ... as nfdump 1.7.1 names protocol `proto`; empty when it has no name.
std::string_view protocol_name(std::uint8_t proto) noexcept;
// The number of a protocol named as protocol_name() names it, ignoring case;
// of two protocols of one name (IDPR), the first.
std::optional<std::uint8_t> protocol_number(std::string_view name) noexcept;

}  // namespace sluice::csv
