#include "sluice/kafka_client/properties.h"

#include <fmt/format.h>

namespace sluice::kafka_client {

Properties parse_properties(std::span<const std::string> entries) {
  Properties properties;
  for (const std::string& entry : entries) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0)
      throw PropertyError(fmt::format("\"{}\" is not \"name=value\" (e.g. \"linger.ms=20\")", entry));
    properties.emplace_back(entry.substr(0, equals), entry.substr(equals + 1));
  }
  return properties;
}

void refuse_reserved(const Properties& properties, std::span<const Reserved> reserved) {
  for (const auto& [name, value] : properties)
    for (const Reserved& r : reserved)
      if (name == r.name) throw PropertyError(fmt::format("\"{}\" cannot be set here: {}", name, r.instead));
}

}  // namespace sluice::kafka_client
