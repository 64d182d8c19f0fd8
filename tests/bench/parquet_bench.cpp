// parquet_writer's library against csv_writer's and binary_writer's on the
// same 1M generator flows, one thread, into files in memory: rows a second,
// CPU seconds a million rows, bytes a flow. Sizes against DuckDB's own
// Parquet of the same flows: tests/bench/parquet.sh.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "sluice/csv/file_writer.h"
#include "sluice/csv/formatter.h"
#include "sluice/flowgen/flow_generator.h"
#include "sluice/nffile/writer.h"
#include "sluice/parquet/writer.h"

namespace {

using namespace sluice;
namespace fs = std::filesystem;

constexpr std::size_t million = 1'000'000;
constexpr std::size_t batch = 2048;  // binary_reader's batches

const std::vector<FlowRecord>& flows() {
  static const auto generated = [] {
    std::vector<FlowRecord> out;
    flowgen::FlowGenerator generator({.seed = 7});
    generator.generate(million, 1'796'578'269'300, out);  // 2026-12-06 17:31 UTC
    return out;
  }();
  return generated;
}

fs::path scratch(const std::string& name) {
  const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  return base / ("sluice-bench-" + std::to_string(::getpid()) + "-" + name);
}

// Batch after batch, as a sink is handed them.
template <class Write>
void in_batches(Write&& write) {
  const std::span<const FlowRecord> all(flows());
  for (std::size_t i = 0; i < all.size(); i += batch) write(all.subspan(i, std::min(batch, all.size() - i)));
}

void report(benchmark::State& state, const fs::path& file) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * flows().size()));
  state.counters["bytes_per_flow"] = static_cast<double>(fs::file_size(file)) / static_cast<double>(flows().size());
  state.counters["cpu_s_per_million"] =
      benchmark::Counter(static_cast<double>(million) / static_cast<double>(flows().size()),
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  fs::remove(file);
}

void ParquetWrite(benchmark::State& state, parquet::Codec codec, int level) {
  flows();
  const fs::path file = scratch("flows.parquet");
  parquet::Writer writer({.codec = codec, .level = level});  // as the sink keeps it from window to window
  for (auto _ : state) {
    writer.open(file);
    in_batches([&](std::span<const FlowRecord> flows) { writer.write(flows); });
    writer.close();
  }
  report(state, file);
}
BENCHMARK_CAPTURE(ParquetWrite, zstd_1, parquet::Codec::zstd, 1)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();
BENCHMARK_CAPTURE(ParquetWrite, zstd_3, parquet::Codec::zstd, 3)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();
BENCHMARK_CAPTURE(ParquetWrite, snappy, parquet::Codec::snappy, 0)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();
BENCHMARK_CAPTURE(ParquetWrite, none, parquet::Codec::none, 0)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// csv_writer's default layout, with its overlapped writes (MeasureProcessCPUTime
// counts the kernel's copying thread too).
void CsvWrite(benchmark::State& state) {
  flows();
  const fs::path file = scratch("flows.csv");
  for (auto _ : state) {
    csv::FileWriter writer(csv::make_default_formatter({}), true);
    writer.open(file);
    in_batches([&](std::span<const FlowRecord> flows) { writer.write(flows); });
    writer.close();
  }
  report(state, file);
}
BENCHMARK(CsvWrite)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void NfcapdWrite(benchmark::State& state) {
  flows();
  const fs::path file = scratch("flows.nf");
  for (auto _ : state) {
    nffile::Writer writer(file, {.compression = nffile::Compression::lz4, .ident = "bench"});
    in_batches([&](std::span<const FlowRecord> flows) { writer.write(flows); });
    writer.close();
  }
  report(state, file);
}
BENCHMARK(NfcapdWrite)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
