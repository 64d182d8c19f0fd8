// Disk buffer throughput: batches of 1024 flows appended, read back and
// acknowledged, on the real disk (the folder is under $SLUICE_BENCH_DIR, else
// /var/tmp), with the default sync every 500 ms. Flows a second by wall
// clock, and CPU seconds a million flows of the whole process.
//   lockstep: each batch read right after it was written (a sink keeping up)
//   backlog:  256 batches (80 MiB) written, then read (a sink back from an
//             outage): segments are closed, read from the page cache, deleted
#include "sluice/disk_buffer/disk_buffer.h"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

using namespace sluice;
using namespace sluice::disk_buffer;
namespace fs = std::filesystem;

namespace {

Batch flows() {
  Batch batch;
  batch.records.resize(1024);
  std::uint64_t n = 0;
  for (FlowRecord& r : batch.records) {
    r.src_addr = IpAddress::v4(0x0A000000 + static_cast<std::uint32_t>(n));
    r.dst_addr = IpAddress::v4(0xC0A80000 + static_cast<std::uint32_t>(n * 7));
    r.src_port = static_cast<std::uint16_t>(n);
    r.dst_port = 443;
    r.proto = 6;
    r.packets = n % 100 + 1;
    r.bytes = r.packets * 800;
    ++n;
  }
  batch.id = {1, 1};
  return batch;
}

double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

fs::path folder() {
  const char* base = std::getenv("SLUICE_BENCH_DIR");
  return fs::path(base != nullptr ? base : "/var/tmp") / ("sluice-disk-buffer-bench-" + std::to_string(::getpid()));
}

void WriteReadAcknowledge(benchmark::State& state) {
  const auto ahead = static_cast<std::size_t>(state.range(0));
  const Batch batch = flows();
  Settings settings;
  settings.folder = folder();
  settings.max_size = 1ULL << 30;
  std::uint64_t flows_done = 0;
  double cpu = 0;
  {
    DiskBuffer buffer(settings);
    for (auto _ : state) {
      const double cpu_start = process_cpu_seconds();
      for (std::size_t i = 0; i < ahead; ++i) buffer.append(batch);
      for (std::size_t i = 0; i < ahead; ++i) {
        const auto entry = buffer.read();
        benchmark::DoNotOptimize(entry->batch->records.data());
        buffer.acknowledge(entry->sequence);
      }
      cpu += process_cpu_seconds() - cpu_start;
      flows_done += ahead * batch.records.size();
    }
  }
  fs::remove_all(settings.folder);
  state.SetItemsProcessed(static_cast<std::int64_t>(flows_done));
  state.counters["cpu_s_per_million_flows"] = cpu / static_cast<double>(flows_done) * 1e6;
}

}  // namespace

BENCHMARK(WriteReadAcknowledge)
    ->ArgName("batches_ahead")
    ->Arg(1)
    ->Arg(256)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
