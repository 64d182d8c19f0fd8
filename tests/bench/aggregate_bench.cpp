// Aggregation throughput on one thread: flows added per second into a
// 5-tuple key, with the table's memory as a counter. The goal is 20M flows/s
// with 1M distinct keys (docs/performance.md).
#include "sluice/aggregation/aggregator.h"

#include <benchmark/benchmark.h>

#include <random>

#include "sluice/flowgen/flow_generator.h"

using namespace sluice;

namespace {

aggregation::Settings five_tuple(std::size_t max_keys) {
  aggregation::Settings s;
  for (const char* part : {"src_addr", "dst_addr", "src_port", "dst_port", "proto"})
    s.key.push_back(aggregation::parse_key_part(part));
  s.max_keys = max_keys;
  return s;
}

// `count` distinct 5-tuples, one in five IPv6.
std::vector<FlowRecord> distinct_flows(std::size_t count) {
  std::mt19937_64 rng(7);
  std::vector<FlowRecord> flows(count);
  for (std::size_t i = 0; i < count; ++i) {
    FlowRecord& f = flows[i];
    if (i % 5 == 0) {
      std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8}, b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
      for (int k = 8; k < 16; ++k) a[k] = static_cast<std::uint8_t>(rng()), b[k] = static_cast<std::uint8_t>(rng());
      f.src_addr = IpAddress::v6(a);
      f.dst_addr = IpAddress::v6(b);
    } else {
      f.src_addr = IpAddress::v4(0x0a000000u | static_cast<std::uint32_t>(i));  // distinct by construction
      f.dst_addr = IpAddress::v4(0xc0a80000u | static_cast<std::uint32_t>(rng() % 65536));
    }
    f.src_port = static_cast<std::uint16_t>(1024 + rng() % 60000);
    f.dst_port = static_cast<std::uint16_t>(rng() % 4 ? 443 : 80);
    f.proto = 6;
    f.packets = 1 + rng() % 100;
    f.bytes = f.packets * 700;
    f.first_ms = 1'795'000'000'000 + rng() % 60'000;
    f.last_ms = f.first_ms + rng() % 10'000;
  }
  return flows;
}

// Batches of 1024 flows drawn at random from `keys` distinct 5-tuples, into a
// table that already holds them all: every flow finds its key somewhere in
// about 117 MB (1M keys). A batch is drawn while the clock stands, so that it
// is in the cache when it counts, as a batch just made by a source is.
void RandomKeys(benchmark::State& state) {
  const auto keys = static_cast<std::size_t>(state.range(0));
  const auto pool = distinct_flows(keys);
  aggregation::Aggregator aggregator(five_tuple(keys));
  std::vector<aggregation::Aggregate> out;
  aggregator.add(pool, 0, out);
  std::mt19937_64 rng(3);
  std::vector<FlowRecord> batch(1024);
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& f : batch) f = pool[rng() % keys];
    state.ResumeTiming();
    aggregator.add(batch, 0, out);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
  const auto stats = aggregator.stats();
  state.counters["keys"] = static_cast<double>(stats.keys);
  state.counters["memory_MB"] = static_cast<double>(stats.memory_bytes) / 1e6;
  state.counters["bytes_per_key"] = static_cast<double>(stats.memory_bytes) / static_cast<double>(stats.keys);
}

// An empty table taking 1M new keys: growth and inserts, then the bin closes
// (every key leaves as a record).
void FillAndClose(benchmark::State& state) {
  const auto keys = static_cast<std::size_t>(state.range(0));
  const auto pool = distinct_flows(keys);
  std::vector<aggregation::Aggregate> out;
  out.reserve(keys);
  for (auto _ : state) {
    aggregation::Aggregator aggregator(five_tuple(keys));
    for (std::size_t i = 0; i < pool.size(); i += 1024)
      aggregator.add(std::span(pool).subspan(i, std::min<std::size_t>(1024, pool.size() - i)), 0, out);
    out.clear();
    aggregator.finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys));
}

// Generated traffic (Zipf-popular hosts): few keys take most flows, as on a link.
void GeneratedTraffic(benchmark::State& state) {
  std::vector<FlowRecord> stream;
  flowgen::FlowGenerator({.seed = 1}).generate(1 << 20, 1'795'000'000'000, stream);
  aggregation::Aggregator aggregator(five_tuple(1'000'000));
  std::vector<aggregation::Aggregate> out;
  std::size_t at = 0;
  for (auto _ : state) {
    aggregator.add(std::span(stream).subspan(at, 1024), 0, out);
    at = (at + 1024) % stream.size();
  }
  state.SetItemsProcessed(state.iterations() * 1024);
  state.counters["keys"] = static_cast<double>(aggregator.stats().keys);
  state.counters["memory_MB"] = static_cast<double>(aggregator.stats().memory_bytes) / 1e6;
}

}  // namespace

BENCHMARK(RandomKeys)->Arg(10'000)->Arg(1'000'000);
BENCHMARK(FillAndClose)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(GeneratedTraffic);

BENCHMARK_MAIN();
