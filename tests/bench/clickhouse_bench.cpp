// The sink's CPU per row on one thread: flows encoded into an INSERT's body
// (RowBinary, Native) and that body compressed (gzip), batch by batch, as a
// sink meets them.
#include <benchmark/benchmark.h>

#include "sluice/clickhouse_http/encoder.h"
#include "sluice/clickhouse_http/gzip.h"
#include "sluice/flowgen/flow_generator.h"

namespace {

using namespace sluice;
using namespace sluice::clickhouse_http;

constexpr std::size_t batch = 1024;
constexpr std::size_t insert_rows = 100'000;  // the sink's default batch_rows

const std::vector<FlowRecord>& flows() {
  static const auto generated = [] {
    std::vector<FlowRecord> out;
    flowgen::FlowGenerator({}).generate(std::size_t{64} * 1024, 1'764'460'800'000, out);
    return out;
  }();
  return generated;
}

InternedTexts& texts() {
  static InternedTexts table;
  return table;
}

// The generated flows with what enrich names on a collector with an ASN
// database and interface names: AS organisations, exporter and interfaces
// (ids into texts(), a few hundred distinct names).
const std::vector<FlowRecord>& named_flows() {
  static const auto named = [] {
    auto out = flows();
    for (std::size_t i = 0; i < out.size(); ++i) {
      FlowRecord& f = out[i];
      f.src_as_name = texts().intern("Example Networks " + std::to_string(f.src_as % 200));
      f.dst_as_name = texts().intern("Content Provider, Inc. " + std::to_string(f.dst_as % 200));
      f.exporter_name = texts().intern("edge" + std::to_string(i % 4) + ".fra1.example.net");
      f.in_if_name = texts().intern("xe-0/0/" + std::to_string(f.in_if % 48));
      f.out_if_name = texts().intern("xe-0/1/" + std::to_string(f.out_if % 48));
      f.in_if_description = texts().intern("transit: Cogent " + std::to_string(f.in_if % 48));
    }
    return out;
  }();
  return named;
}

// One engine batch appended per iteration; an INSERT's worth is then cleared.
void encode(benchmark::State& state, Format format, Schema schema, const std::vector<FlowRecord>& from = flows()) {
  const std::span<const FlowRecord> all(from);
  Encoder encoder(format, columns(schema), &texts());
  std::size_t next = 0;
  for (auto _ : state) {
    encoder.append(all.subspan(next, batch));
    if (encoder.rows() >= insert_rows) {
      benchmark::DoNotOptimize(encoder.body().data());
      encoder.clear();
    }
    next = (next + batch) % all.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

void EncodeNativeLegacy(benchmark::State& state) { encode(state, Format::native, Schema::legacy); }
void EncodeNativeCurrent(benchmark::State& state) { encode(state, Format::native, Schema::current); }
void EncodeRowBinaryLegacy(benchmark::State& state) { encode(state, Format::row_binary, Schema::legacy); }
// With six of the names set on every flow.
void EncodeNativeNamed(benchmark::State& state) { encode(state, Format::native, Schema::legacy, named_flows()); }
void EncodeRowBinaryNamed(benchmark::State& state) { encode(state, Format::row_binary, Schema::legacy, named_flows()); }
BENCHMARK(EncodeNativeLegacy);
BENCHMARK(EncodeNativeCurrent);
BENCHMARK(EncodeRowBinaryLegacy);
BENCHMARK(EncodeNativeNamed);
BENCHMARK(EncodeRowBinaryNamed);

// gzip level 1 of a Native INSERT of 64K rows; bytes/s are the uncompressed body's.
void GzipNative(benchmark::State& state) {
  Encoder encoder(Format::native, columns(Schema::legacy));
  encoder.append(flows());
  Gzip gzip;
  std::size_t compressed = 0;
  for (auto _ : state) compressed = gzip.compress(encoder.body()).size();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * flows().size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * encoder.bytes()));
  state.counters["ratio"] = static_cast<double>(encoder.bytes()) / static_cast<double>(compressed);
}
BENCHMARK(GzipNative);

}  // namespace

BENCHMARK_MAIN();
