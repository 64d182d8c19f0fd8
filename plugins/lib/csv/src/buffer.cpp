#include "sluice/csv/buffer.h"

#include <algorithm>
#include <cstring>

namespace sluice::csv {

char* Buffer::reserve(std::size_t room) {
  if (capacity_ - size_ < room) {
    const std::size_t capacity = std::max(capacity_ * 2, size_ + room);
    auto data = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ != 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }
  return data_.get() + size_;
}

void Buffer::append(std::string_view text) {
  if (text.empty()) return;  // its data() may be null, which memcpy must not get
  char* out = reserve(text.size());
  std::memcpy(out, text.data(), text.size());
  size_ += text.size();
}

}  // namespace sluice::csv
