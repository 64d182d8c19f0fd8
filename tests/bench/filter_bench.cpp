// Filter throughput on one thread: records tested per second, in batches of
// 1024 generated flows (the generator's batch), for expressions of a few
// shapes. The goal is 50M records/s for three terms (docs/performance.md).
#include "sluice/flowfilter/filter.h"

#include <benchmark/benchmark.h>

#include "sluice/flowgen/flow_generator.h"

using namespace sluice;

namespace {

std::vector<FlowRecord> batch() {
  std::vector<FlowRecord> records;
  flowgen::FlowGenerator({.seed = 1}).generate(1024, 1'795'000'000'000, records);
  return records;
}

// Only the verdicts: one byte per record.
void Evaluate(benchmark::State& state, const char* expression) {
  const auto in = batch();
  const flowfilter::Filter filter(expression);
  std::vector<std::uint8_t> marks(in.size());
  for (auto _ : state) {
    filter.evaluate(in, marks.data());
    benchmark::DoNotOptimize(marks.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(in.size()));
}

// What the filter transform does: the verdicts and a copy of the records kept.
void Select(benchmark::State& state, const char* expression) {
  const auto in = batch();
  const flowfilter::Filter filter(expression);
  std::vector<FlowRecord> out;
  out.reserve(in.size());
  std::size_t kept = 0;
  for (auto _ : state) {
    out.clear();
    kept = filter.select(in, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["kept"] = static_cast<double>(kept) / static_cast<double>(in.size());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(in.size()));
}

}  // namespace

BENCHMARK_CAPTURE(Evaluate, three_terms, "proto tcp and dst port 443 and bytes > 1k");
BENCHMARK_CAPTURE(Select, three_terms, "proto tcp and dst port 443 and bytes > 1k");
BENCHMARK_CAPTURE(Select, one_term, "proto udp");
BENCHMARK_CAPTURE(Select, networks, "src net 10.0.0.0/8 and not dst net 10.1.0.0/16");
BENCHMARK_CAPTURE(Select, address_list, "ip in [10.0.0.1 10.0.0.2 10.0.0.3 2001:db8::1 10.128.0.0/9 192.0.2.0/24]");
BENCHMARK_CAPTURE(Select, ports_or_rates, "port in [22 53 80 123 443] or pps > 1k or bpp < 100");
BENCHMARK_CAPTURE(Select, flags_and_any, "(flags S and not flags AFRPU) or duration > 10k");

BENCHMARK_MAIN();
