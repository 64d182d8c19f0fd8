// Flows encoded for one INSERT, in ClickHouse's RowBinary or Native format.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/clickhouse_http/schema.h"
#include "sluice/flow_record.h"
#include "sluice/texts.h"

namespace sluice::clickhouse_http {

enum class Format {
  row_binary,  // row after row, each value little-endian at its fixed width, a String as in Native
  native,      // one block: each column's values together (what the server stores, so it parses least)
};

std::string_view format_name(Format format) noexcept;  // "RowBinary", "Native": as in INSERT ... FORMAT

// Bytes that grow without being zero-filled first.
class ByteBuffer {
 public:
  // Room for `bytes` more, counted as written.
  std::byte* grow(std::size_t bytes) {
    if (size_ + bytes > capacity_) reallocate(size_ + bytes);
    std::byte* room = data_.get() + size_;
    size_ += bytes;
    return room;
  }
  void resize_down(std::size_t size) noexcept { size_ = size; }
  std::span<const std::byte> view() const noexcept { return {data_.get(), size_}; }
  std::size_t size() const noexcept { return size_; }

 private:
  void reallocate(std::size_t at_least);

  std::unique_ptr<std::byte[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

class Encoder {
 public:
  // `columns` as columns() orders them (String columns last); `texts`: where
  // the String columns' ids are looked up (the run's table); without it they
  // are empty.
  Encoder(Format format, std::span<const Column> columns, const TextTable* texts = nullptr);

  void append(std::span<const FlowRecord> flows);
  std::size_t rows() const noexcept { return rows_; }
  std::size_t bytes() const noexcept;  // the body's size
  // Forgets the rows after the first `rows` (a batch the sink did not take).
  void truncate(std::size_t rows) noexcept;
  void clear() noexcept { truncate(0); }

  // The INSERT's body: pieces to send in order, valid until the next change.
  const std::vector<std::span<const std::byte>>& body();

 private:
  void append_rows(std::span<const FlowRecord> flows);
  void append_columns(std::span<const FlowRecord> flows);
  std::string_view text(const FlowRecord& flow, std::size_t offset) const noexcept;

  Format format_;
  std::span<const Column> columns_;
  std::span<const Column> fixed_;    // the columns of fixed-width values, first in columns_
  std::span<const Column> strings_;  // the String columns after them
  const TextTable* texts_;
  std::size_t row_width_ = 0;  // of the fixed columns
  std::size_t rows_ = 0;
  std::vector<ByteBuffer> data_;               // RowBinary: one; Native: one per column
  ByteBuffer fixed_rows_;                      // RowBinary with String columns: the fixed part of a batch's rows
  std::vector<std::string_view> batch_texts_;  // RowBinary: a batch's texts, row by row, looked up first
  std::vector<ByteBuffer> heads_;              // Native: each column's name and type
  ByteBuffer block_head_;                      // Native: column and row counts
  std::vector<std::span<const std::byte>> body_;
};

}  // namespace sluice::clickhouse_http
