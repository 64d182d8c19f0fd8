// What the nfcapd file reader and writer share: compression, the file's
// statistics, and the error that names the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/file_output/file.h"
#include "sluice/flow_record.h"

namespace sluice::nffile {

// How the blocks of a file are compressed; the values are the file header's.
// nfcapd writes none by default, LZO with -z, bzip2 with -j and LZ4 with -y.
enum class Compression : std::uint8_t { none = 0, lzo = 1, bz2 = 2, lz4 = 3 };

// "none", "lzo", "bz2", "lz4": the names the binary_writer's option takes.
std::string_view to_string(Compression method) noexcept;
std::optional<Compression> parse_compression(std::string_view name) noexcept;

// The statistics record nfcapd keeps in a file's appendix (`nfdump -I`), and
// the totals of nfdump's summary line. Its layout is the file's: nfdump reads
// it byte for byte.
struct FileStats {
  // Counts a flow as nfdump does: packets and bytes of both directions.
  void add(const FlowRecord& flow) noexcept;
  // Counts the flows `other` counted.
  void add(const FileStats& other) noexcept;

  std::uint64_t flows = 0, bytes = 0, packets = 0;
  std::uint64_t flows_tcp = 0, flows_udp = 0, flows_icmp = 0, flows_other = 0;
  std::uint64_t bytes_tcp = 0, bytes_udp = 0, bytes_icmp = 0, bytes_other = 0;
  std::uint64_t packets_tcp = 0, packets_udp = 0, packets_icmp = 0, packets_other = 0;
  std::uint64_t first_ms = 0x7fffffffffffffff;  // nfdump's value for "no flow yet"
  std::uint64_t last_ms = 0;
  std::uint64_t sequence_failures = 0;
};

// The averages of nfdump's summary line over the span from the first flow
// to the last: bits and packets per second, bytes per packet (0 without a span).
struct SummaryRates {
  std::uint64_t bps = 0, pps = 0, bpp = 0;
};
SummaryRates summary_rates(const FileStats& stats) noexcept;
// nfdump -o csv's summary: "Summary", a header, and the totals and rates.
std::string csv_summary(const FileStats& stats);

// A time as nfdump's -t takes it, in local time (TZ): "YYYY/MM/DD.hh:mm:ss",
// or shorter down to "YYYY" (what is left out is the start of that period:
// "2026/11" is November 1st, 00:00:00). Seconds since the epoch; nullopt
// when the text is none of those forms or a part is out of its range.
std::optional<std::int64_t> parse_nfdump_time(std::string_view text) noexcept;

// Every error of the reader and writer names the file (and where in it).
using file_output::FileError;

}  // namespace sluice::nffile
