#include "sluice/clickhouse_http/encoder.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace sluice::clickhouse_http {
namespace {

constexpr std::size_t varint_size(std::uint64_t value) noexcept {
  std::size_t size = 1;
  for (; value >= 0x80; value >>= 7) ++size;
  return size;
}

std::byte* put_varint(std::byte* out, std::uint64_t value) noexcept {
  for (; value >= 0x80; value >>= 7) *out++ = static_cast<std::byte>((value & 0x7f) | 0x80);
  *out++ = static_cast<std::byte>(value);
  return out;
}

void put_varint(ByteBuffer& out, std::uint64_t value) { put_varint(out.grow(varint_size(value)), value); }

// A Native (and RowBinary) String: its length as a varint, then its bytes.
constexpr std::size_t string_size(std::string_view text) noexcept { return varint_size(text.size()) + text.size(); }

std::byte* put_string(std::byte* out, std::string_view text) noexcept {
  if (text.empty()) {  // most names of most flows
    *out = std::byte{0};
    return out + 1;
  }
  out = put_varint(out, text.size());
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

void put_string(ByteBuffer& out, std::string_view text) { put_string(out.grow(string_size(text)), text); }

// Where row `row` starts in `data`, rows of `fixed` bytes and then `strings`
// strings each: strings have no width, so they are walked (truncate() is rare).
std::size_t row_offset(std::span<const std::byte> data, std::size_t row, std::size_t fixed, std::size_t strings) {
  if (strings == 0) return row * fixed;
  std::size_t at = 0;
  for (std::size_t r = 0; r < row; ++r) {
    at += fixed;
    for (std::size_t s = 0; s < strings; ++s) {
      std::uint64_t length = 0;
      for (unsigned shift = 0;; shift += 7) {
        const auto byte = static_cast<std::uint8_t>(data[at++]);
        length |= std::uint64_t{byte & 0x7fu} << shift;
        if ((byte & 0x80) == 0) break;
      }
      at += length;
    }
  }
  return at;
}

}  // namespace

std::string_view format_name(Format format) noexcept { return format == Format::native ? "Native" : "RowBinary"; }

void ByteBuffer::reallocate(std::size_t at_least) {
  const std::size_t capacity = std::max({at_least, capacity_ * 2, std::size_t{4096}});
  auto data = std::make_unique_for_overwrite<std::byte[]>(capacity);
  if (size_ != 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

Encoder::Encoder(Format format, std::span<const Column> columns, const TextTable* texts)
    : format_(format), columns_(columns), texts_(texts) {
  const auto first_string =
      std::find_if(columns_.begin(), columns_.end(), [](const Column& c) { return c.text != nullptr; });
  fixed_ = {columns_.begin(), first_string};
  strings_ = {first_string, columns_.end()};
  if (std::any_of(strings_.begin(), strings_.end(), [](const Column& c) { return c.text == nullptr; }))
    throw std::invalid_argument("the String columns must come after the fixed-width ones");
  for (const Column& c : fixed_) row_width_ += c.width;
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
  if (flows.empty()) return;  // nothing to grow: a new buffer has no memory to write zero bytes to
  if (format_ == Format::row_binary)
    append_rows(flows);
  else
    append_columns(flows);
  rows_ += flows.size();
}

// The fixed columns are encoded as a whole into their rows (straight into
// the body when there are no String columns), then each row's strings follow
// it. The texts are looked up column by column first, so that the body grows
// once a batch and the rows are then written in one sweep.
void Encoder::append_rows(std::span<const FlowRecord> flows) {
  ByteBuffer& fixed_rows = strings_.empty() ? data_[0] : fixed_rows_;
  if (!strings_.empty()) fixed_rows_.resize_down(0);
  std::byte* const rows = fixed_rows.grow(flows.size() * row_width_);
  std::byte* at = rows;
  for (const Column& c : fixed_) {
    c.encode(flows, at, row_width_);
    at += c.width;
  }
  if (strings_.empty()) return;
  const std::size_t per_row = strings_.size();
  batch_texts_.resize(flows.size() * per_row);
  std::size_t size = flows.size() * row_width_;
  for (std::size_t s = 0; s < per_row; ++s) {
    const std::size_t offset = strings_[s].text->offset;
    for (std::size_t i = 0; i < flows.size(); ++i) {
      const std::string_view t = text(flows[i], offset);
      batch_texts_[i * per_row + s] = t;
      size += string_size(t);
    }
  }
  at = data_[0].grow(size);
  const std::string_view* t = batch_texts_.data();
  for (std::size_t i = 0; i < flows.size(); ++i) {
    std::memcpy(at, rows + i * row_width_, row_width_);
    at += row_width_;
    for (std::size_t s = 0; s < per_row; ++s) at = put_string(at, *t++);
  }
}

// Column by column; a String column's texts are looked up twice, for their
// size (the column grows once a batch) and to be written.
void Encoder::append_columns(std::span<const FlowRecord> flows) {
  for (std::size_t i = 0; i < fixed_.size(); ++i)
    fixed_[i].encode(flows, data_[i].grow(flows.size() * fixed_[i].width), fixed_[i].width);
  for (std::size_t i = fixed_.size(); i < columns_.size(); ++i) {
    const std::size_t offset = columns_[i].text->offset;
    std::size_t size = 0;
    for (const FlowRecord& flow : flows) size += string_size(text(flow, offset));
    std::byte* at = data_[i].grow(size);
    if (size == flows.size()) {  // every text empty (a name nobody gives): each one length byte, 0
      std::memset(at, 0, size);
      continue;
    }
    for (const FlowRecord& flow : flows) at = put_string(at, text(flow, offset));
  }
}

// The text of the TextId at `offset` in the flow.
std::string_view Encoder::text(const FlowRecord& flow, std::size_t offset) const noexcept {
  TextId id = 0;
  std::memcpy(&id, reinterpret_cast<const std::byte*>(&flow) + offset, sizeof id);
  return id == 0 || texts_ == nullptr ? std::string_view{} : texts_->text(id);
}

std::size_t Encoder::bytes() const noexcept {
  std::size_t total = 0;
  for (const ByteBuffer& data : data_) total += data.size();
  for (const ByteBuffer& head : heads_) total += head.size();
  return total;
}

void Encoder::truncate(std::size_t rows) noexcept {
  if (rows >= rows_) return;
  rows_ = rows;
  if (format_ == Format::row_binary) {
    data_[0].resize_down(row_offset(data_[0].view(), rows, row_width_, strings_.size()));
  } else {
    for (std::size_t i = 0; i < columns_.size(); ++i)
      data_[i].resize_down(row_offset(data_[i].view(), rows, columns_[i].width, i < fixed_.size() ? 0 : 1));
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
