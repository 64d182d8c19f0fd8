// parquet_writer's library against csv_writer's and binary_writer's on the
// same 1M generator flows, one thread, into files in memory: rows a second,
// CPU seconds a million rows, bytes a flow. Sizes against DuckDB's own
// Parquet of the same flows: tests/bench/parquet.sh.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "in_order_window.h"
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

double cpu_seconds(clockid_t clock) {
  timespec t{};
  ::clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// How the work is shared: each worker encodes whole row groups (every
// workers-th), or its share of the columns of every row group.
enum class Split { row_groups, columns };

// parquet_writer's encoding split as the engine would run it on `workers`
// (docs/performance.md, "Parquet on workers"): N encoder threads, a window of
// 2N row groups, the file's thread appending them in order; workers:1 is
// the Writer's own streaming. 1M flows in row groups of 128K (8); the file
// must be byte for byte the streaming Writer's. Wall clock; the CPU time of
// the process and of the appending thread in the counters.
void ParquetWriteOnWorkers(benchmark::State& state, Split split) {
  bench::allocate_as_the_engine();
  const std::size_t workers = static_cast<std::size_t>(state.range(0));
  const parquet::WriterOptions options{.row_group_rows = std::size_t{1} << 17};
  const std::span<const FlowRecord> all(flows());
  const std::size_t groups = (all.size() + options.row_group_rows - 1) / options.row_group_rows;
  const auto rows_of = [&](std::size_t g) {
    const std::size_t from = g * options.row_group_rows;
    return all.subspan(from, std::min(options.row_group_rows, all.size() - from));
  };
  const fs::path file = scratch("workers.parquet");
  parquet::Writer writer(options);
  double cpu = 0, ordered_cpu = 0;
  for (auto _ : state) {
    const double cpu_before = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    const double ordered_before = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    writer.open(file);
    if (workers == 1) {
      in_batches([&](std::span<const FlowRecord> flows) { writer.write(flows); });
      writer.close();
      cpu += cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_before;
      ordered_cpu += cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - ordered_before;
      continue;
    }
    bench::InOrderWindow<parquet::EncodedRowGroup> parts(2 * workers, split == Split::columns ? workers : 1);
    std::vector<std::jthread> encoders;
    for (std::size_t w = 0; w < workers; ++w) {
      encoders.emplace_back([&, w] {
        const bool by_rows = split == Split::row_groups;
        parquet::RowGroupEncoder encoder(
            options, by_rows ? std::vector<std::size_t>{}
                             : parquet::column_share(options.fields.size(), static_cast<unsigned>(w),
                                                     static_cast<unsigned>(workers)));
        for (std::size_t g = by_rows ? w : 0; g < groups; g += by_rows ? workers : 1) {
          parts.make(g, [&] {
            const auto rows = rows_of(g);
            for (std::size_t i = 0; i < rows.size(); i += batch)
              encoder.append(rows.subspan(i, std::min(batch, rows.size() - i)));
            return encoder.finish();
          });
        }
      });
    }
    for (std::size_t g = 0; g < groups; ++g) {
      const auto taken = parts.take(g);
      std::vector<const parquet::EncodedRowGroup*> shares;
      for (const auto& part : taken) shares.push_back(&part);
      writer.append(shares);
    }
    writer.close();
    ordered_cpu += cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - ordered_before;
    encoders.clear();  // joined: their CPU time is the process's
    cpu += cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_before;
  }
  static std::string streamed;  // workers:1's file, run first
  if (workers == 1)
    streamed = contents(file);
  else if (contents(file) != streamed)
    state.SkipWithError("the file differs from the streaming Writer's (run workers:1 first)");
  report(state, file);
  // CPU seconds a million flows: of the whole process, and of the thread
  // that appends in order (the engine's committing thread).
  const double millions = static_cast<double>(state.iterations() * all.size()) / million;
  state.counters["cpu_s_per_million"] = cpu / millions;
  state.counters["ordered_cpu_s_per_million"] = ordered_cpu / millions;
}
BENCHMARK_CAPTURE(ParquetWriteOnWorkers, row_groups, Split::row_groups)->Apply(bench::timed_on_workers)->Arg(1)->Arg(2);
BENCHMARK_CAPTURE(ParquetWriteOnWorkers, columns, Split::columns)->Apply(bench::timed_on_workers)->Arg(2);

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
