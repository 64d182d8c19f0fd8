// Test support for GoogleTest programs: flow records printed field by field
// and compared as sets.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "sluice/flow_record.h"

namespace sluice {

// GoogleTest prints records field by field, so a failed comparison says which.
inline void PrintTo(const FlowRecord& f, std::ostream* os) {
  const auto addr = [](const IpAddress& a) {
    std::string s;
    char part[8];
    for (std::size_t i = 0; i < 16; i += 2) {
      std::snprintf(part, sizeof part, "%x%s", a.bytes[i] << 8 | a.bytes[i + 1], i < 14 ? ":" : "");
      s += part;
    }
    return s;
  };
  const auto mac = [](const MacAddress& m) {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", m.bytes[0], m.bytes[1], m.bytes[2], m.bytes[3],
                  m.bytes[4], m.bytes[5]);
    return std::string(text);
  };
  *os << "{first " << f.first_ms << " last " << f.last_ms << " rcv " << f.received_ms << " pkts " << f.packets
      << " bytes " << f.bytes << " rpkts " << f.reverse_packets << " rbytes " << f.reverse_bytes << " src "
      << addr(f.src_addr) << " dst " << addr(f.dst_addr) << " nh " << addr(f.next_hop) << " exp " << addr(f.exporter)
      << " in " << f.in_if << " out " << f.out_if << " sas " << f.src_as << " das " << f.dst_as << " sampling "
      << f.sampling_interval << " domain " << f.observation_domain << " sp " << f.src_port << " dp " << f.dst_port
      << " proto " << +f.proto << " flags " << +f.tcp_flags << " tos " << +f.tos << " dtos " << +f.dst_tos << " smask "
      << +f.src_mask << " dmask " << +f.dst_mask << " dir " << +f.direction << " fwd " << +f.fwd_status << " engine "
      << +f.engine_type << "/" << +f.engine_id << " smac " << mac(f.src_mac) << " dmac " << mac(f.dst_mac) << " vlans "
      << f.src_vlan << "/" << f.dst_vlan << " label " << f.label << " flows " << f.flows << " present 0x" << std::hex
      << f.present << std::dec << " bgp " << addr(f.bgp_next_hop) << " end " << +f.end_reason << " biflow "
      << +f.biflow_direction << " version " << +f.export_version << "}";
}

}  // namespace sluice

namespace sluice::testing {

// Whether two decodes hold the same flows in any order; if not, says which
// flows only one side has, or the first that differs.
inline ::testing::AssertionResult same_flows(std::vector<FlowRecord> got, std::vector<FlowRecord> want) {
  // Any total order will do: the records' bytes (their padding is zero).
  const auto by_key = [](const FlowRecord& a, const FlowRecord& b) { return std::memcmp(&a, &b, sizeof a) < 0; };
  std::sort(got.begin(), got.end(), by_key);
  std::sort(want.begin(), want.end(), by_key);
  if (got.size() != want.size()) {
    auto failure = ::testing::AssertionFailure() << got.size() << " flows where " << want.size() << " were expected";
    int shown = 0;
    for (const auto& w : want)
      if (std::find(got.begin(), got.end(), w) == got.end() && shown++ < 5)
        failure << "\n  missing or different: " << ::testing::PrintToString(w);
    return failure;
  }
  for (std::size_t i = 0; i < want.size(); ++i)
    if (!(got[i] == want[i]))
      return ::testing::AssertionFailure() << "flow " << i << " differs:\n  got  " << ::testing::PrintToString(got[i])
                                           << "\n  want " << ::testing::PrintToString(want[i]);
  return ::testing::AssertionSuccess();
}

}  // namespace sluice::testing
