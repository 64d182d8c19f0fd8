// Sampling throughput on one thread: records examined per second, 1 in 10 kept.
#include "sluice/sampling/sampling.h"

#include <benchmark/benchmark.h>

#include <random>

using namespace sluice;
using namespace sluice::sampling;

namespace {

std::vector<FlowRecord> batch() {
  std::mt19937_64 rng(1);
  std::vector<FlowRecord> records(1024);
  for (auto& r : records) {
    r.src_addr = IpAddress::v4(static_cast<std::uint32_t>(rng()));
    r.dst_addr = IpAddress::v4(static_cast<std::uint32_t>(rng()));
    r.src_port = static_cast<std::uint16_t>(rng());
    r.dst_port = 443;
    r.proto = 6;
    r.packets = 10;
    r.bytes = 5000;
  }
  return records;
}

void Sample(benchmark::State& state, Mode mode, bool renormalize) {
  const auto in = batch();
  Settings settings;
  settings.mode = mode;
  settings.interval = 10;
  settings.renormalize = renormalize;
  Sampler sampler(settings);
  std::vector<FlowRecord> out;
  out.reserve(in.size());
  for (auto _ : state) {
    out.clear();
    sampler.sample(in, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(in.size()));
}

}  // namespace

BENCHMARK_CAPTURE(Sample, systematic, Mode::systematic, false);
BENCHMARK_CAPTURE(Sample, systematic_renormalized, Mode::systematic, true);
BENCHMARK_CAPTURE(Sample, random, Mode::random, false);
BENCHMARK_CAPTURE(Sample, hash_five_tuple, Mode::hash, false);
BENCHMARK_CAPTURE(Sample, hash_five_tuple_renormalized, Mode::hash, true);

BENCHMARK_MAIN();
