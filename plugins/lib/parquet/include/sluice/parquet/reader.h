// Flows out of Parquet files: sluice's own, and any flat file whose columns
// carry csv_writer's field names with types that hold them (integers as
// INT32 or INT64, times as INT64 timestamps or epoch milliseconds,
// addresses, MACs, countries and names as text, addresses also as 16
// bytes). Columns of other
// names are left alone; duration follows from first and last.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/texts.h"

namespace sluice::parquet {

// A file that is not Parquet, is damaged, or holds a named column in a type
// that cannot carry its field; says which file.
class ReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Reader {
 public:
  // Reads the footer. Text fields (names) are interned into `texts`; none:
  // they are left absent.
  Reader(const std::filesystem::path& path, TextTable* texts);
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;
  ~Reader();

  std::uint64_t rows() const noexcept;
  std::size_t row_groups() const noexcept;
  std::size_t row_groups_read() const noexcept { return next_; }

  // Appends the flows of the next row group to `out`; false when every row
  // group has been read.
  bool read_row_group(std::vector<FlowRecord>& out);

  struct Footer;

 private:
  std::filesystem::path path_;
  TextTable* texts_;
  std::unique_ptr<Footer> footer_;
  std::size_t next_ = 0;
};

}  // namespace sluice::parquet
