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
  row_bytes_ = row_width_ + strings_.size();  // each String at least its length byte
  if (format_ == Format::native) {
    heads_.resize(columns_.size());
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      put_string(heads_[i], columns_[i].name);
      put_string(heads_[i], columns_[i].type);
      heads_bytes_ += heads_[i].size();
    }
  }
}

void Encoder::encode(std::span<const FlowRecord> flows, ByteBuffer& out) {
  if (flows.empty()) return;
  // Room for as many bytes a row as the last batch took: the buffer then
  // grows once, not by doubling and copying as the texts come.
  const std::size_t start = out.size();
  out.reserve(start + flows.size() * row_bytes_ + heads_bytes_ + 20);
  if (format_ == Format::row_binary) {
    append_rows(flows, out);
  } else {
    put_varint(out, columns_.size());
    put_varint(out, flows.size());
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const auto head = heads_[i].view();
      std::memcpy(out.grow(head.size()), head.data(), head.size());
      append_column(i, flows, out);
    }
  }
  row_bytes_ = (out.size() - start) / flows.size() + 1;
}

// The fixed columns are encoded as a whole into their rows (straight into
// the body when there are no String columns), then each row's strings follow
// it. The texts are looked up column by column first, so that the body grows
// once a batch and the rows are then written in one sweep.
void Encoder::append_rows(std::span<const FlowRecord> flows, ByteBuffer& out) {
  ByteBuffer& fixed_rows = strings_.empty() ? out : fixed_rows_;
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
  at = out.grow(size);
  const std::string_view* t = batch_texts_.data();
  for (std::size_t i = 0; i < flows.size(); ++i) {
    std::memcpy(at, rows + i * row_width_, row_width_);
    at += row_width_;
    for (std::size_t s = 0; s < per_row; ++s) at = put_string(at, *t++);
  }
}

// A String column's texts are looked up twice, for their size (the column
// grows once a batch) and to be written.
void Encoder::append_column(std::size_t column, std::span<const FlowRecord> flows, ByteBuffer& out) {
  const Column& c = columns_[column];
  if (!c.text) return c.encode(flows, out.grow(flows.size() * c.width), c.width);
  const std::size_t offset = c.text->offset;
  std::size_t size = 0;
  for (const FlowRecord& flow : flows) size += string_size(text(flow, offset));
  std::byte* at = out.grow(size);
  if (size == flows.size()) {  // every text empty (a name nobody gives): each one length byte, 0
    std::memset(at, 0, size);
    return;
  }
  for (const FlowRecord& flow : flows) at = put_string(at, text(flow, offset));
}

// The text of the TextId at `offset` in the flow.
std::string_view Encoder::text(const FlowRecord& flow, std::size_t offset) const noexcept {
  TextId id = 0;
  std::memcpy(&id, reinterpret_cast<const std::byte*>(&flow) + offset, sizeof id);
  return id == 0 || texts_ == nullptr ? std::string_view{} : texts_->text(id);
}

}  // namespace sluice::clickhouse_http
