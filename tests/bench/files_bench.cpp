// Throughput of the file codecs on one thread: CSV formatting (both layouts,
// into a file with and without the kernel's writing overlapped, and the nfdump
// layout against nfdump -o csv on the same file), nfcapd file writing (also
// on workers) and reading.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "in_order_window.h"
#include "sluice/csv/file_writer.h"
#include "sluice/csv/formatter.h"
#include "sluice/file_output/file.h"
#include "sluice/nffile/reader.h"
#include "sluice/nffile/writer.h"
#include "support.h"

namespace {

using namespace sluice;
namespace fs = std::filesystem;

const std::vector<FlowRecord>& flows() {
  static const auto sample = test::sample_flows(1 << 20, 3);
  return sample;
}

// A scratch folder in memory when there is one: the codec is measured, not the disk.
fs::path scratch(const std::string& name) {
  const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  return base / ("sluice-bench-" + std::to_string(::getpid()) + "-" + name);
}

// CPU time of the calling thread so far.
double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Batches of 1024 from a working set of 64K flows (10 MiB): a sink formats
// batches that were just decoded, not records fetched cold from memory.
void format(benchmark::State& state, csv::Formatter& formatter) {
  const auto all = std::span(flows()).first(std::size_t{64} * 1024);
  csv::Buffer out;
  std::size_t next = 0;
  for (auto _ : state) {
    out.clear();
    formatter.rows(all.subspan(next, 1024), out);
    benchmark::DoNotOptimize(out.view().data());
    next = (next + 1024) % all.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1024);
}

void CsvDefaultLayout(benchmark::State& state) {
  auto formatter = csv::make_default_formatter({});
  format(state, *formatter);
}
BENCHMARK(CsvDefaultLayout);

void CsvNfdumpLayout(benchmark::State& state) {
  auto formatter = csv::make_nfdump_formatter(false);
  format(state, *formatter);
}
BENCHMARK(CsvNfdumpLayout);

// 1M flows in the nfdump layout into a file in memory, in batches of 8192
// (an nfcapd block's worth, as binary_reader hands them on): csv::FileWriter,
// which formats a slice while the kernel writes the one before, against
// formatting each batch and then writing it in the call. Wall clock, and the
// CPU of the whole process (the kernel's io_uring worker included).
void CsvNfdumpLayoutIntoFile(benchmark::State& state, bool overlapped) {
  const fs::path file = scratch("rows.csv");
  const auto all = std::span(flows());
  constexpr std::size_t batch = 8192;
  for (auto _ : state) {
    if (overlapped) {
      csv::FileWriter writer(csv::make_nfdump_formatter(false), true);
      writer.open(file);
      for (std::size_t at = 0; at < all.size(); at += batch)
        writer.write(all.subspan(at, std::min(batch, all.size() - at)));
      writer.close();
    } else {
      const auto formatter = csv::make_nfdump_formatter(false);
      file_output::File out(file, file_output::File::Mode::create);
      csv::Buffer text;
      formatter->header(text);
      for (std::size_t at = 0; at < all.size(); at += batch) {
        formatter->rows(all.subspan(at, std::min(batch, all.size() - at)), text);
        out.append(text.view().data(), text.size());
        text.clear();
      }
      out.close();
    }
    fs::remove(file);  // each run writes new pages, as a new CSV file does
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * all.size()));
}
BENCHMARK_CAPTURE(CsvNfdumpLayoutIntoFile, overlapped, true)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK_CAPTURE(CsvNfdumpLayoutIntoFile, written_in_the_call, false)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

// nfdump -o csv and the nfdump layout on the same file of 1M flows, in the
// same run: flows per second of each and their ratio, by wall clock and by
// CPU time (nfdump's own threads included; ours is one thread). CPU time is
// the steadier figure on a shared machine.
void CsvNfdumpLayoutVersusNfdump(benchmark::State& state) {
  const fs::path file = scratch("versus.nf");
  {
    nffile::Writer writer(file);
    writer.write(flows());
    writer.close();
  }
  struct Seconds {
    double wall, cpu;
  };
  const auto children_cpu = [] {
    rusage usage{};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  };
  const auto measure = [](auto&& work, auto&& cpu_clock) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_clock();
    work();
    return Seconds{std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                   cpu_clock() - cpu_start};
  };
  for (auto _ : state) {
    const Seconds nfdump =
        measure([&] { std::system(("nfdump -r " + file.string() + " -o csv -q > /dev/null").c_str()); }, children_cpu);
    const Seconds ours = measure(
        [&] {
          nffile::Reader reader(file);
          auto formatter = csv::make_nfdump_formatter(false);
          std::vector<FlowRecord> block;
          csv::Buffer out;
          while (reader.read_block(block)) {
            formatter->rows(block, out);
            out.clear();
            block.clear();
          }
        },
        thread_cpu_seconds);
    const double n = static_cast<double>(flows().size());
    state.counters["nfdump_flows_per_s"] = n / nfdump.wall;
    state.counters["sluice_flows_per_s"] = n / ours.wall;
    state.counters["ratio"] = nfdump.wall / ours.wall;
    state.counters["cpu_ratio"] = nfdump.cpu / ours.cpu;
  }
  fs::remove(file);
}
BENCHMARK(CsvNfdumpLayoutVersusNfdump)->Iterations(1)->Unit(benchmark::kMillisecond);

// Into a file in memory (the kernel's page cache work included), or into
// /dev/null (the codec alone).
void NfcapdWrite(benchmark::State& state, nffile::Compression compression, bool to_dev_null) {
  const fs::path file = to_dev_null ? fs::path("/dev/null") : scratch("write.nf");
  for (auto _ : state) {
    nffile::Writer writer(file, {.compression = compression, .ident = "bench"});
    writer.write(flows());
    writer.close();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * flows().size()));
  if (to_dev_null) return;
  // What each compression costs on disk, for choosing one.
  state.counters["bytes_per_flow"] = static_cast<double>(fs::file_size(file)) / static_cast<double>(flows().size());
  fs::remove(file);
}
BENCHMARK_CAPTURE(NfcapdWrite, uncompressed, nffile::Compression::none, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NfcapdWrite, uncompressed_to_dev_null, nffile::Compression::none, true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NfcapdWrite, lz4, nffile::Compression::lz4, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NfcapdWrite, lzo, nffile::Compression::lzo, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NfcapdWrite, bz2, nffile::Compression::bz2, false)->Unit(benchmark::kMillisecond);

// binary_writer's sink as the engine runs it on `workers` (LZ4): with 1,
// one thread writes each batch of 2,048 flows as its blocks; with N, N
// threads encode and compress batches in turn (RunEncoder), at most two
// batches each ahead of the writing (the engine's reorder window), and this
// one appends them in order (Writer::write(run)). Flows from one exporter,
// so that the workers' blocks serve. Wall clock, the process's CPU time,
// and the ordered thread's CPU seconds per million flows (`ordered_cpu`):
// on free cores the wall clock is at least the larger of that and the
// workers' share of the rest.
void NfcapdWriteOnWorkers(benchmark::State& state) {
  bench::allocate_as_the_engine();
  constexpr std::size_t batch = 2048, passes = 4;  // 1M flows from a working set of 256K
  static const std::vector<FlowRecord> sample = [] {
    std::vector<FlowRecord> f(flows().begin(), flows().begin() + (std::size_t{1} << 18));
    test::from_one_exporter(f);
    return f;
  }();
  const std::size_t workers = static_cast<std::size_t>(state.range(0));
  const std::size_t batches = passes * sample.size() / batch;
  const auto flows_of = [&](std::size_t b) { return std::span(sample).subspan(b * batch % sample.size(), batch); };
  const fs::path file = scratch("workers.nf");
  const nffile::WriterOptions options{.compression = nffile::Compression::lz4, .ident = "bench"};
  double ordered_cpu = 0;
  for (auto _ : state) {
    const double cpu_before = thread_cpu_seconds();
    nffile::Writer writer(file, options);
    if (workers == 1) {
      for (std::size_t b = 0; b < batches; ++b) {
        writer.write(flows_of(b));
        writer.flush();
      }
    } else {
      bench::InOrderWindow<nffile::EncodedRun> runs(2 * workers, 1);  // batch b's blocks
      std::vector<std::jthread> encoders;
      for (std::size_t w = 0; w < workers; ++w) {
        encoders.emplace_back([&, w] {
          nffile::RunEncoder encoder(options.compression);
          for (std::size_t b = w; b < batches; b += workers) runs.make(b, [&] { return encoder.encode(flows_of(b)); });
        });
      }
      for (std::size_t b = 0; b < batches; ++b)
        if (!writer.write(runs.take(b).front(), flows_of(b)) && b > 0) state.SkipWithError("a batch was encoded again");
    }
    writer.close();
    ordered_cpu += thread_cpu_seconds() - cpu_before;
  }
  const auto flows_written = static_cast<double>(state.iterations() * batches * batch);
  state.SetItemsProcessed(static_cast<std::int64_t>(flows_written));
  state.counters["ordered_cpu"] = ordered_cpu * 1e6 / flows_written;
  fs::remove(file);
}
BENCHMARK(NfcapdWriteOnWorkers)->Apply(bench::timed_on_workers)->Arg(1)->Arg(2);

// A block at a time (about 8,000 flows), or in pieces of `piece` flows as
// binary_reader hands them on (0: whole blocks).
void NfcapdRead(benchmark::State& state, nffile::Compression compression, std::size_t piece) {
  const fs::path file = scratch("read.nf");
  {
    nffile::Writer writer(file, {.compression = compression, .ident = "bench"});
    writer.write(flows());
    writer.close();
  }
  std::vector<FlowRecord> block;
  for (auto _ : state) {
    nffile::Reader reader(file);
    while (piece == 0 ? reader.read_block(block) : reader.read(block, piece)) block.clear();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * flows().size()));
  fs::remove(file);
}
BENCHMARK_CAPTURE(NfcapdRead, uncompressed, nffile::Compression::none, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NfcapdRead, uncompressed_in_pieces_of_2048, nffile::Compression::none, 2048)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NfcapdRead, lz4, nffile::Compression::lz4, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NfcapdRead, lzo, nffile::Compression::lzo, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NfcapdRead, bz2, nffile::Compression::bz2, 0)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
