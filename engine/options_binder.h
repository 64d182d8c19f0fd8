// Checks the keys of a TOML table against declared options (a plugin's, or
// the engine's own) and turns them into typed values: one set of rules and
// messages for every key of a pipeline file.
#pragma once

#include "config.h"

#include <sluice/options.h>

#include <optional>
#include <span>
#include <string>

namespace sluice::engine {

// What one table's keys are checked against.
struct Binding {
  std::string_view owner = {};              // "plugin csv_writer", "[engine]": who declares `specs`
  std::span<const OptionSpec> specs = {};   // the keys bound here
  std::span<const OptionSpec> others = {};  // keys of the same table bound elsewhere: left alone, offered for typos
  bool only_declared = false;               // leave every undeclared key alone (someone else binds the rest)
};

// Unknown keys (with the nearest declared name), wrong types, bad choices,
// values out of range, unparsable durations and missing required options go
// to `problems`, each under `key_prefix`.KEY.
Options bind_table(const toml::table& table, const std::string& key_prefix, const Binding& binding,
                   ProblemList& problems);

// A component's plugin options: every key but the engine's own.
Options bind_options(const ComponentConfig& component, std::span<const OptionSpec> specs, ProblemList& problems);

// The option of that name; nullptr if none is declared.
const OptionSpec* find_option(std::span<const OptionSpec> specs, std::string_view name);

// A declared default, parsed as the option's type; nullopt if the plugin
// declares a default that does not parse (a plugin bug, reported as such).
std::optional<OptionValue> parse_default(const OptionSpec& spec);

// "1 to 65535", ">= 1", "<= 10s"; empty for an option without a range.
std::string describe_range(const OptionSpec& spec);

}  // namespace sluice::engine
