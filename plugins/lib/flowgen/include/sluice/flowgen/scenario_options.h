// A scenario as a pipeline file writes it: one table of
// [[sources.ID.scenarios]], its keys declared as a plugin declares options.
#pragma once

#include <sluice/options.h>

#include <span>

#include "sluice/flowgen/scenario.h"

namespace sluice::flowgen {

// The keys a scenario's table takes. Only `kind` is required; a key left
// out takes the kind's default (docs/scenarios.md), so none declares one.
std::span<const OptionSpec> scenario_options() noexcept;

// The scenario a table's values describe. Throws sluice::OptionError naming
// the key: a bad value, or a key that belongs to another kind.
ScenarioConfig scenario_from(const Options& table);

}  // namespace sluice::flowgen
