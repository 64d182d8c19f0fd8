// A sink's thread: batches from its queue in order, ticks on time, transient
// failures retried with jittered exponential backoff, the drain bounded by
// drain_timeout, and every record it received accounted for.
#pragma once

#include "node.h"

namespace sluice::engine {

void run_sink(Node& node);

}  // namespace sluice::engine
