// Text under construction, reused from batch to batch.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace sluice::csv {

// Rows are formatted straight into the buffer: reserve room, write, commit
// the end. Unlike std::string it never zero-fills the room it grows by.
class Buffer {
 public:
  char* reserve(std::size_t room);
  void commit(const char* end) noexcept { size_ = static_cast<std::size_t>(end - data_.get()); }
  void append(std::string_view text);
  std::string_view view() const noexcept { return {data_.get(), size_}; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept { size_ = 0; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace sluice::csv
