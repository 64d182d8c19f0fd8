// The engine's own cost: batches of 1024 records from a test source through a
// pass-through transform into a sink, via the real loader and queues. The
// source re-emits one prepared batch so that only the engine is measured.
#include "config.h"
#include "log.h"
#include "pipeline.h"
#include "plugin_catalog.h"

#include <benchmark/benchmark.h>

using namespace sluice::engine;

// `metrics`: also serve /metrics (on a port the system picks), as a service would.
static void EngineSourceTransformSink(benchmark::State& state, bool metrics) {
  const std::int64_t records = 100'000'000;
  std::vector<std::string> overrides{fmt::format("sources.src.count={}", records), "sources.src.reuse_batch=true"};
  if (metrics) overrides.push_back("engine.metrics=127.0.0.1:0");
  const PipelineConfig config = load_pipeline(SLUICE_SOURCE_DIR "/tests/bench/endless.toml", overrides);
  PluginCatalog catalog({SLUICE_TEST_PLUGIN_DIR});
  const Logger log(sluice::LogLevel::warning);
  for (auto _ : state) {
    Pipeline pipeline(config, catalog, log, {.stats_interval = std::chrono::seconds(0), .handle_signals = false});
    if (pipeline.run() != 0) state.SkipWithError("pipeline failed");
  }
  state.SetItemsProcessed(state.iterations() * records);
}
BENCHMARK_CAPTURE(EngineSourceTransformSink, plain, false)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(EngineSourceTransformSink, with_metrics, true)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

BENCHMARK_MAIN();
