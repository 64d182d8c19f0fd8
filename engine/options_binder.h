// Checks a component's keys against its plugin's declared options and turns
// them into typed values.
#pragma once

#include "config.h"

#include <sluice/options.h>

#include <optional>
#include <span>

namespace sluice::engine {

// Unknown keys (with the nearest declared name), wrong types, bad choices,
// unparsable durations and missing required options go to `problems`.
Options bind_options(const ComponentConfig& component, std::span<const OptionSpec> specs, ProblemList& problems);

// A declared default, parsed as the option's type; nullopt if the plugin
// declares a default that does not parse (a plugin bug, reported as such).
std::optional<OptionValue> parse_default(const OptionSpec& spec);

}  // namespace sluice::engine
