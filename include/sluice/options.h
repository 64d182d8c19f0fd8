// sluice SDK: the options a plugin declares and the typed values it receives.
#pragma once

#include <sluice/status.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice {

enum class OptionType : std::uint8_t {
  boolean,
  integer,
  number,  // floating point; an integer in the file is accepted
  string,
  duration,     // "500ms", "10s", "5m", "1h", "1d", or an integer of seconds
  string_list,  // an array of strings
  number_list,  // an array of numbers
  table_list,   // an array of tables ([[sources.gen.scenarios]]), each checked against the option's `fields`
};

constexpr std::string_view to_string(OptionType type) noexcept {
  switch (type) {
    case OptionType::boolean: return "bool";
    case OptionType::integer: return "integer";
    case OptionType::number: return "number";
    case OptionType::string: return "string";
    case OptionType::duration: return "duration";
    case OptionType::string_list: return "list of strings";
    case OptionType::number_list: return "list of numbers";
    case OptionType::table_list: return "list of tables";
  }
  return "?";
}

// One option a plugin accepts. The engine checks names, types, required keys,
// choices, ranges and the default against this list before the plugin is
// created, and `sluice plugins` prints it as the plugin's reference. Values
// (default, min, max) are written as in TOML: strings in quotes, a duration as
// "\"10ms\"" or an integer of seconds.
struct OptionSpec {
  std::string_view name;
  OptionType type = OptionType::string;
  std::string_view default_value = {};  // empty: no default
  std::string_view help = {};
  bool required = false;
  std::string_view choices = {};            // "a|b|c": the only values allowed (string and integer options)
  std::string_view min = {};                // the smallest value allowed (integer, number, duration); empty: none
  std::string_view max = {};                // the largest value allowed; empty: none
  std::span<const OptionSpec> fields = {};  // table_list: the keys each table takes
};

// Records a source puts in one batch at most: one rule for every plugin that asks.
constexpr OptionSpec batch_size_option(std::string_view default_value) {
  return {.name = "batch_size",
          .type = OptionType::integer,
          .default_value = default_value,
          .help = "flows per batch at most",
          .min = "1",
          .max = "1000000"};
}

class Options;
using OptionValue = std::variant<bool, std::int64_t, double, std::string, std::chrono::milliseconds,
                                 std::vector<std::string>, std::vector<double>, std::vector<Options>>;

// The validated options of one component: what the pipeline file set, plus
// declared defaults. Accessors throw OptionError when the option is absent,
// which a plugin constructor may let escape.
class Options {
 public:
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }

  bool boolean(std::string_view name) const { return get<bool>(name); }
  std::int64_t integer(std::string_view name) const { return get<std::int64_t>(name); }
  double number(std::string_view name) const { return get<double>(name); }
  const std::string& string(std::string_view name) const { return get<std::string>(name); }
  std::chrono::milliseconds duration(std::string_view name) const { return get<std::chrono::milliseconds>(name); }
  const std::vector<std::string>& strings(std::string_view name) const { return get<std::vector<std::string>>(name); }
  const std::vector<double>& numbers(std::string_view name) const { return get<std::vector<double>>(name); }
  // A table_list option: each table's options, checked and defaulted like a
  // component's. To reject a value in one of them, throw
  // OptionError("NAME[i].KEY", ...): the engine points at that very key.
  const std::vector<Options>& tables(std::string_view name) const { return get<std::vector<Options>>(name); }

  void set(std::string name, OptionValue value) { values_.insert_or_assign(std::move(name), std::move(value)); }

 private:
  template <class T>
  const T& get(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end()) throw OptionError(std::string(name), "is not set and has no default");
    if (const T* value = std::get_if<T>(&it->second)) return *value;
    throw OptionError(std::string(name), "is read with a type other than its declared one (plugin bug)");
  }

  std::map<std::string, OptionValue, std::less<>> values_;
};

}  // namespace sluice
