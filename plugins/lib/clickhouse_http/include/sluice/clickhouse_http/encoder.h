// Flows encoded for an INSERT, in ClickHouse's RowBinary or Native format.
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
  void reserve(std::size_t bytes) {
    if (bytes > capacity_) reallocate(bytes);
  }
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

  // The flows on their own, appended to `out` as an INSERT's body takes
  // them: a Native block of their own (a body may hold several, which the
  // server joins into one), or RowBinary rows.
  void encode(std::span<const FlowRecord> flows, ByteBuffer& out);

 private:
  void append_rows(std::span<const FlowRecord> flows, ByteBuffer& out);
  void append_column(std::size_t column, std::span<const FlowRecord> flows, ByteBuffer& out);
  std::string_view text(const FlowRecord& flow, std::size_t offset) const noexcept;

  Format format_;
  std::span<const Column> columns_;
  std::span<const Column> fixed_;    // the columns of fixed-width values, first in columns_
  std::span<const Column> strings_;  // the String columns after them
  const TextTable* texts_;
  std::size_t row_width_ = 0;                  // of the fixed columns
  std::size_t row_bytes_ = 0;                  // encoded, in the last batch (at first: its least)
  ByteBuffer fixed_rows_;                      // RowBinary with String columns: the fixed part of a batch's rows
  std::vector<std::string_view> batch_texts_;  // RowBinary: a batch's texts, row by row, looked up first
  std::vector<ByteBuffer> heads_;              // Native: each column's name and type
  std::size_t heads_bytes_ = 0;                // Native: their sizes
};

}  // namespace sluice::clickhouse_http
