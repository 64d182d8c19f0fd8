// The engine's own cost: batches of 1024 records from a test source through a
// pass-through transform into a sink, via the real loader and queues. The
// source re-emits one prepared batch so that only the engine is measured.
#include "config.h"
#include "log.h"
#include "pipeline.h"
#include "plugin_catalog.h"

#include <benchmark/benchmark.h>

using namespace sluice::engine;

static void EngineSourceTransformSink(benchmark::State& state) {
  const std::int64_t records = 100'000'000;
  const PipelineConfig config =
      load_pipeline(SLUICE_SOURCE_DIR "/tests/bench/endless.toml",
                    {fmt::format("sources.src.count={}", records), "sources.src.reuse_batch=true"});
  PluginCatalog catalog({SLUICE_TEST_PLUGIN_DIR});
  const Logger log(sluice::LogLevel::warning);
  for (auto _ : state) {
    Pipeline pipeline(config, catalog, log, {.stats_interval = {}, .handle_signals = false});
    if (pipeline.run() != 0) state.SkipWithError("pipeline failed");
  }
  state.SetItemsProcessed(state.iterations() * records);
}
BENCHMARK(EngineSourceTransformSink)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

BENCHMARK_MAIN();
