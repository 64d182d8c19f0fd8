// Flows into Parquet files: one column per chosen field. Each column is
// encoded page by page as rows arrive (dictionary indices or PLAIN values,
// compressed); a row group's pages wait in memory, compressed, until the
// row group ends and its column chunks go to the file one after the other.
// The encoding (RowGroupEncoder) needs no file: row groups, or a row group's
// columns, can be encoded apart and appended to the file in order
// (Writer::append), the same bytes as the Writer's own streaming.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/parquet/columns.h"
#include "sluice/parquet/format.h"
#include "sluice/texts.h"

namespace sluice::file_output {
class File;
}

namespace sluice::parquet {

struct WriterOptions {
  std::vector<Field> fields = default_columns();
  const TextTable* texts = nullptr;  // the run's, for text fields (names); none: such columns are all null
  Codec codec = Codec::zstd;
  int level = 1;  // zstd 1..22, gzip 1..9
  AddressType address_type = AddressType::string;
  std::size_t row_group_rows = 1'000'000;
  std::size_t page_bytes = 1 << 20;        // data pages stop near this size, before compression
  std::size_t dictionary_bytes = 1 << 20;  // a dictionary beyond this: the column chunk goes on PLAIN
};

// What the footer says of one column chunk; offsets in the file.
struct ChunkMetadata {
  std::vector<Encoding> encodings;
  std::int64_t values = 0;
  std::int64_t uncompressed_bytes = 0;
  std::int64_t compressed_bytes = 0;
  std::int64_t data_page_offset = 0;
  std::int64_t dictionary_page_offset = -1;  // -1: no dictionary
  std::int64_t null_count = 0;
  std::string min_value, max_value;  // PLAIN encoded; both empty when every value is null
  bool has_min_max = false;
};

class ColumnEncoder;  // one column chunk, page by page (writer.cpp)

// A column chunk as it goes in the file: its dictionary page (none when
// empty), then its data pages; its metadata's offsets count from the
// chunk's first byte.
struct EncodedChunk {
  std::size_t column = 0;  // index into WriterOptions::fields
  ChunkMetadata metadata;
  std::string dictionary_page;
  std::string pages;
};

// A row group's column chunks, or some of them (a worker's share), by column.
struct EncodedRowGroup {
  std::size_t rows = 0;
  std::vector<EncodedChunk> chunks;
};

// Worker `index`'s share of `columns` columns among `count` workers: column
// c to worker c mod count (the standard fields' two addresses, a third of
// the work, fall on different workers; docs/performance.md).
std::vector<std::size_t> column_share(std::size_t columns, unsigned index, unsigned count);

// Row groups, one after the other, into memory: the columns `columns`
// (indices into options.fields; empty: all of them). No file, no shared
// state: one encoder a thread. Its buffers stay from row group to row group.
class RowGroupEncoder {
 public:
  explicit RowGroupEncoder(WriterOptions options, std::vector<std::size_t> columns = {});
  RowGroupEncoder(const RowGroupEncoder&) = delete;  // the column encoders point at options_
  RowGroupEncoder& operator=(const RowGroupEncoder&) = delete;
  ~RowGroupEncoder();

  // Rows into the row group under way (any number: the caller cuts row groups).
  void append(std::span<const FlowRecord> flows);
  std::size_t rows() const noexcept { return rows_; }
  // Ends the row group under way (its last pages, its dictionaries); the
  // next one starts empty.
  EncodedRowGroup finish();
  // Takes back the buffers of a row group it encoded, once written, so
  // that the next one fills memory already touched.
  void reuse(EncodedRowGroup&& written);

 private:
  WriterOptions options_;
  Compressor compressor_;
  std::vector<std::size_t> columns_;
  std::vector<std::unique_ptr<ColumnEncoder>> encoders_;  // of columns_, in their order
  std::size_t rows_ = 0;
};

// Parquet files, one at a time: "PAR1", row groups, then the footer at
// close(). Its buffers (a page of values a column, a row group's compressed
// pages: about 30 bytes a row for the standard fields) stay from file to
// file: allocated once, not a window.
class Writer {
 public:
  explicit Writer(WriterOptions options);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer();

  void open(const std::filesystem::path& path);
  // Rows go into the row group under way; a full one is written.
  void write(std::span<const FlowRecord> flows);
  // Writes the row group under way, if it has rows.
  void end_row_group();
  // A row group encoded apart (all columns, as this writer's options) after
  // those written so far: the row group under way, if any, ends first.
  void append(const EncodedRowGroup& group);
  // The same from its parts, each a share of the columns (every column once).
  void append(std::span<const EncodedRowGroup* const> parts);
  // The last row group and the footer, then closes the file.
  void close();

  std::uint64_t row_groups() const noexcept { return row_groups_.size(); }

 private:
  struct PlacedRowGroup {
    std::vector<ChunkMetadata> chunks;
    std::int64_t rows;
    std::int64_t offset;
  };
  void place(std::span<const EncodedRowGroup* const> parts);
  std::string footer() const;

  WriterOptions options_;
  RowGroupEncoder encoder_;  // the row group under way
  std::unique_ptr<file_output::File> file_;
  std::vector<PlacedRowGroup> row_groups_;
  std::int64_t offset_ = 0;
};

}  // namespace sluice::parquet
