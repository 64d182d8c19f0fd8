// JSON text for the console's API: a writer that places the commas and
// escapes strings, so the answers are built in one pass without a DOM.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::engine::console {

class Json {
 public:
  Json& begin_object() { return open('{'); }
  Json& end_object() { return close('}'); }
  Json& begin_array() { return open('['); }
  Json& end_array() { return close(']'); }

  // The next value's name, inside an object.
  Json& key(std::string_view name);

  Json& value(std::string_view text);
  Json& value(const char* text) { return value(std::string_view(text)); }
  Json& value(double number);  // NaN and infinities as null: JSON has neither
  Json& value(std::uint64_t number);
  Json& value(std::int64_t number);
  Json& value(bool flag);
  Json& null();

  // key(name).value(v) in one call.
  template <class T>
  Json& field(std::string_view name, const T& v) {
    return key(name).value(v);
  }

  const std::string& text() const noexcept { return out_; }

 private:
  Json& open(char bracket);
  Json& close(char bracket);
  void separate();  // a comma before every element but the first
  void quoted(std::string_view text);

  std::string out_;
  std::vector<bool> empty_;  // per open bracket: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace sluice::engine::console
