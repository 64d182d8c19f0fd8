// Helpers shared by the file tests (on top of tests/support): sample flows
// and the real nfdump tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "process.h"
#include "sluice/flow_record.h"

namespace sluice::test {

using testing::TempDir;

// `TZ=UTC nfdump -r FILE -o csv -q`: the flow lines nfdump prints.
std::vector<std::string> nfdump_csv_lines(const std::filesystem::path& file);

std::vector<std::string> split_lines(const std::string& text);

// The regular files below `base`, as sorted relative paths.
std::vector<std::string> files_below(const std::filesystem::path& base);

// Deterministic flows covering what the file formats carry: IPv4 and IPv6,
// TCP/UDP/ICMP/other, sampled and not, biflow counters, AS numbers, next
// hops, several exporters (IPv4 and IPv6) and engines.
std::vector<FlowRecord> sample_flows(std::size_t count, std::uint32_t seed = 1);

// `flows` as if all came from the exporter of the first.
void from_one_exporter(std::span<FlowRecord> flows);

// An nfcapd file's bytes but its creation time (the one thing two runs
// write apart): zeros in its place.
std::string nfcapd_without_creation_time(const std::filesystem::path& file);

// A file nfcapd wrote from NetFlow v9 that softflowd made of a small capture
// (IPv4 TCP, IPv6 UDP, ICMP), in `dir`; fails the test if a peer is missing.
// `nfcapd_options` are added to nfcapd's command line (e.g. "-y" for LZ4).
std::filesystem::path capture_with_nfcapd(const std::filesystem::path& dir,
                                          std::vector<std::string> nfcapd_options = {});

}  // namespace sluice::test
