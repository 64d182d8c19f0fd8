// The engine's own cost: batches of 1024 records from a test source through a
// pass-through transform into a sink, via the real loader and queues. The
// source re-emits one prepared batch so that only the engine is measured.
#include "config.h"
#include "log.h"
#include "pipeline.h"
#include "plugin_catalog.h"
#include "process.h"

#include <benchmark/benchmark.h>

using namespace sluice::engine;

static void EngineSourceTransformSink(benchmark::State& state) {
  const std::int64_t records = 100'000'000;
  sluice::testing::TempDir dir;
  const auto file = dir.write("bench.toml", fmt::format(R"([sources.src]
plugin = "counting_source"
count = {}
batch_size = 1024
reuse_batch = true
[transforms.pass]
plugin = "passthrough"
inputs = ["src"]
[sinks.out]
plugin = "collecting_sink"
inputs = ["pass"]
)",
                                                         records));
  PluginCatalog catalog({SLUICE_TEST_PLUGIN_DIR});
  const Logger log(sluice::LogLevel::warning);
  const PipelineConfig config = load_pipeline(file, {});
  for (auto _ : state) {
    Pipeline pipeline(config, catalog, log, {.stats_interval = {}, .handle_signals = false});
    if (pipeline.run() != 0) state.SkipWithError("pipeline failed");
  }
  state.SetItemsProcessed(state.iterations() * records);
}
BENCHMARK(EngineSourceTransformSink)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

BENCHMARK_MAIN();
