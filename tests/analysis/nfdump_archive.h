// Real nfcapd files to compare sluice's analysis with nfdump's on: made once
// per test program by nfcapd 1.7.1, from softflowd (a capture of IPv4 and
// IPv6 TCP, UDP and ICMP: no AS numbers) and from sluice's generator through
// netflow_export (IPv6 flows with the next hop ::), each as NetFlow v9 and as
// IPFIX; and an aggregate sluice's binary_writer wrote (records of several
// flows, no AS numbers, no interfaces).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sluice/flow_record.h"

namespace sluice::test {

struct NfdumpArchive {
  std::filesystem::path dir;      // the files: `nfdump -R dir` reads them all, by name
  std::vector<FlowRecord> flows;  // as sluice's reader reads them, in the same order
  std::vector<std::string> rows;  // rows[i]: flows[i] as `nfdump -o csv` prints it
  // A geo DB that knows no address: nfdump 1.7.1 refuses an "as" filter
  // without one (it would fill in AS numbers of 0 from it), and an nfcapd
  // file without geo blocks loads as an empty one.
  std::filesystem::path geo_db;
};

// Built at the first call; fails the test if a peer is missing or misbehaves.
const NfdumpArchive& nfdump_archive();

// For each ARGS of `runs`, the lines `TZ=UTC nfdump -G <geo_db> ARGS...` prints.
std::vector<std::vector<std::string>> nfdump_run(const std::vector<std::vector<std::string>>& runs);
// The same over the whole archive: `nfdump -q -G <geo_db> -R <archive> ARGS...`,
// no lines when it says "No matching flows".
std::vector<std::vector<std::string>> nfdump_lines(const std::vector<std::vector<std::string>>& runs);

// A time as nfdump prints it with TZ=UTC: "2026-11-18 10:00:00", and with
// `with_ms` ".123" after it.
std::string nfdump_time(std::uint64_t ms, bool with_ms);

// The values of a line of nfdump's `-o fmt:` output, which pads its columns
// with spaces, joined by commas.
std::string without_padding(const std::string& line);

}  // namespace sluice::test
