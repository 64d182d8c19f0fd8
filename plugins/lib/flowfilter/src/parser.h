// nfdump 1.7.1's filter grammar (src/lib/grammar.y), the part sluice
// supports, read by recursive descent: "or" binds loosest, then "and", then
// "not"; each primitive becomes one or a few tests.
#pragma once

#include <sluice/texts.h>

#include <string_view>

#include "program.h"

namespace sluice::flowfilter::detail {

// Throws SyntaxError. `texts` (may be null) interns the names the
// enrichment's words compare with.
Node parse(std::string_view expression, TextTable* texts);

}  // namespace sluice::flowfilter::detail
