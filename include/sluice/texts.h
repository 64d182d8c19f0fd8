// sluice SDK: the texts records refer to by id.
//
// Interface names, AS organisations, network names: a record carries a
// 32-bit TextId (flow_record.h) and the text lives once, in a table the
// whole process shares, so records stay fixed-size and every component reads
// the same id the same way. The engine holds the one table of a run and
// hands it out as Host::texts(); tests, benchmarks and tools make their own.
#pragma once

#include <sluice/flow_record.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice {

class TextTable {
 public:
  // The id of `text`, added if new; "" is always 0. Thread-safe.
  virtual TextId intern(std::string_view text) = 0;
  // The text of an id, valid as long as the table; "" for 0 and for an id the
  // table never gave. Thread-safe and lock-free: formatters call it per field.
  virtual std::string_view text(TextId id) const noexcept = 0;

 protected:
  ~TextTable() = default;
};

// A table that never forgets (a City or ASN database holds about 10^5
// names). Texts sit in chunks that never move, so text() reads without a
// lock; intern() takes one, and is called when a name is first seen.
class InternedTexts final : public TextTable {
 public:
  InternedTexts() = default;
  InternedTexts(const InternedTexts&) = delete;
  InternedTexts& operator=(const InternedTexts&) = delete;
  ~InternedTexts() {
    for (auto& chunk : chunks_) delete[] chunk.load(std::memory_order_relaxed);
  }

  TextId intern(std::string_view text) override {
    if (text.empty()) return 0;
    std::lock_guard lock(mutex_);
    if (auto it = ids_.find(text); it != ids_.end()) return it->second;
    const TextId id = size_.load(std::memory_order_relaxed);
    if (id >> chunk_bits >= max_chunks) throw std::length_error("the text table is full");
    std::string* chunk = chunks_[id >> chunk_bits].load(std::memory_order_relaxed);
    if (chunk == nullptr) {
      chunk = new std::string[chunk_size];
      chunks_[id >> chunk_bits].store(chunk, std::memory_order_release);
    }
    std::string& slot = chunk[id & (chunk_size - 1)];
    slot.assign(text);
    ids_.emplace(std::string_view(slot), id);
    size_.store(id + 1, std::memory_order_release);
    return id;
  }

  std::string_view text(TextId id) const noexcept override {
    if (id == 0 || id >= size_.load(std::memory_order_acquire)) return {};
    return chunks_[id >> chunk_bits].load(std::memory_order_acquire)[id & (chunk_size - 1)];
  }

  // How many texts, "" included.
  std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }

 private:
  static constexpr unsigned chunk_bits = 12;
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
  static constexpr std::size_t max_chunks = 4096;  // 16M texts

  std::mutex mutex_;
  std::unordered_map<std::string_view, TextId> ids_;  // views of the chunks' strings, which never move
  std::array<std::atomic<std::string*>, max_chunks> chunks_{};
  std::atomic<TextId> size_{1};
};

}  // namespace sluice
