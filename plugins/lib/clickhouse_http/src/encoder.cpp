#include "sluice/clickhouse_http/encoder.h"

#include <algorithm>
#include <cstring>

namespace sluice::clickhouse_http {
namespace {

void put_varint(ByteBuffer& out, std::uint64_t value) {
  do {
    const auto byte = static_cast<std::uint8_t>(value & 0x7f);
    value >>= 7;
    *out.grow(1) = static_cast<std::byte>(value != 0 ? byte | 0x80 : byte);
  } while (value != 0);
}

// A Native string: its length as a varint, then its bytes.
void put_string(ByteBuffer& out, std::string_view text) {
  put_varint(out, text.size());
  std::memcpy(out.grow(text.size()), text.data(), text.size());
}

}  // namespace

std::string_view format_name(Format format) noexcept { return format == Format::native ? "Native" : "RowBinary"; }

std::byte* ByteBuffer::grow(std::size_t bytes) {
  if (size_ + bytes > capacity_) {
    const std::size_t capacity = std::max({size_ + bytes, capacity_ * 2, std::size_t{4096}});
    auto data = std::make_unique_for_overwrite<std::byte[]>(capacity);
    if (size_ != 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }
  std::byte* room = data_.get() + size_;
  size_ += bytes;
  return room;
}

Encoder::Encoder(Format format, std::span<const Column> columns) : format_(format), columns_(columns) {
  for (const Column& c : columns_) row_width_ += c.width;
  if (format_ == Format::row_binary) {
    data_.resize(1);
  } else {
    data_.resize(columns_.size());
    heads_.resize(columns_.size());
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      put_string(heads_[i], columns_[i].name);
      put_string(heads_[i], columns_[i].type);
    }
  }
}

void Encoder::append(std::span<const FlowRecord> flows) {
  if (format_ == Format::row_binary) {
    std::byte* rows = data_[0].grow(flows.size() * row_width_);
    for (const Column& c : columns_) {
      c.encode(flows, rows, row_width_);
      rows += c.width;
    }
  } else {
    for (std::size_t i = 0; i < columns_.size(); ++i)
      columns_[i].encode(flows, data_[i].grow(flows.size() * columns_[i].width), columns_[i].width);
  }
  rows_ += flows.size();
}

std::size_t Encoder::bytes() const noexcept {
  std::size_t total = rows_ * row_width_;
  for (const ByteBuffer& head : heads_) total += head.size();
  return total;
}

void Encoder::truncate(std::size_t rows) noexcept {
  if (rows >= rows_) return;
  rows_ = rows;
  if (format_ == Format::row_binary) {
    data_[0].resize_down(rows * row_width_);
  } else {
    for (std::size_t i = 0; i < columns_.size(); ++i) data_[i].resize_down(rows * columns_[i].width);
  }
}

const std::vector<std::span<const std::byte>>& Encoder::body() {
  body_.clear();
  if (rows_ == 0) return body_;
  if (format_ == Format::row_binary) {
    body_.push_back(data_[0].view());
    return body_;
  }
  block_head_.resize_down(0);
  put_varint(block_head_, columns_.size());
  put_varint(block_head_, rows_);
  body_.push_back(block_head_.view());
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    body_.push_back(heads_[i].view());
    body_.push_back(data_[i].view());
  }
  return body_;
}

}  // namespace sluice::clickhouse_http
