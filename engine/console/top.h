// `sluice top`: the console's live view in a terminal, read from the JSON API
// of a running sluice (docs/console.md).
#pragma once

#include <string>

namespace sluice::engine::console {

// Shows `address` ("host:port", "[v6]:port" or "http://host:port") until `q`;
// returns the exit code.
int run_top(const std::string& address);

}  // namespace sluice::engine::console
