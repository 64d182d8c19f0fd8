// Address literals as nfdump 1.7.1 reads them (src/lib/ipconv.c): IPv4 may
// be given in part ("172.16" is 172.16.0.0 with 2 bytes given), IPv6 as
// inet_pton reads it or in part ("2001:db8" gives 4 bytes).
#pragma once

#include <string_view>

#include "program.h"

namespace sluice::flowfilter::detail {

struct Literal {
  enum class Status { ok, invalid, host_name } status = Status::invalid;
  bool ipv6 = false;
  Words words;    // IPv4 as ::a.b.c.d
  int bytes = 0;  // bytes given: 4 (IPv4) or 16 (IPv6) when complete

  bool complete() const noexcept { return bytes == (ipv6 ? 16 : 4); }
};

Literal parse_literal(std::string_view text);

// The mask of a prefix of `bits` (at most 32 for IPv4, 128 for IPv6) in
// nfdump's words. IPv4 masks cover the upper 96 bits too: an IPv4 prefix
// matches IPv4 addresses only.
Words prefix_mask(bool ipv6, unsigned bits);

}  // namespace sluice::flowfilter::detail
