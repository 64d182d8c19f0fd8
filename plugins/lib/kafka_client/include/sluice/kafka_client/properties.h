// librdkafka's configuration properties, as a pipeline file gives them.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sluice::kafka_client {

// Name and value, in the order given; a later one overrides an earlier.
using Properties = std::vector<std::pair<std::string, std::string>>;

// A property librdkafka or sluice refuses.
class PropertyError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// "name=value" strings (the value may hold '='); throws PropertyError naming
// the entry that is not one.
Properties parse_properties(std::span<const std::string> entries);

// Throws PropertyError when `properties` sets one of `reserved` (names whose
// value sluice owns), saying to use `instead` (the option that sets it).
struct Reserved {
  std::string_view name;
  std::string_view instead;  // the option to use, or why sluice keeps it
};
void refuse_reserved(const Properties& properties, std::span<const Reserved> reserved);

}  // namespace sluice::kafka_client
