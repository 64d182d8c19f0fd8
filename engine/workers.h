// `workers = N` on a transform or sink: N threads, each with its own
// instance of the plugin, take batches from the node's queue; InOrder hands
// their results on in the order the batches were queued. A transform's
// results go downstream; a sink's prepared payloads go to its committing
// thread (sink_runner.cpp). A keyed transform's workers each hold a
// partition of its keys and take every step (keyed_steps.h); so do a keyed
// sink's, whose parts its committing thread joins.
#pragma once

#include "node.h"

namespace sluice::engine {

// The window of a node on `workers` workers: how many batches may be taken
// and not yet handed on.
constexpr std::size_t reorder_window(unsigned workers) noexcept { return 2 * std::size_t{workers}; }

void run_transform_worker(Node& node, unsigned worker);
void run_prepare_worker(Node& node, unsigned worker);
// A keyed sink: its queue's batches, and a tick every period, as steps to
// every partition (one thread); partition `partition`'s share of each.
void run_sink_steps(Node& node);
void run_sink_partition(Node& node, unsigned partition);
// Partition `partition` of a keyed transform (keyed_steps.h).
void run_keyed_worker(Node& node, unsigned partition);

}  // namespace sluice::engine
