// The sink's CPU per row: flows encoded into an INSERT's body (RowBinary,
// Native) and compressed (gzip), batch by batch, as a sink meets them, on one
// thread and on workers.
#include <benchmark/benchmark.h>

#include <thread>
#include <vector>

#include "in_order_window.h"
#include "sluice/clickhouse_http/encoder.h"
#include "sluice/clickhouse_http/gzip.h"
#include "sluice/clickhouse_http/writer.h"
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

// One engine batch encoded per iteration, as the sink's workers (or its
// one thread) encode each batch on its own, into a buffer of its own.
void encode(benchmark::State& state, Format format, Schema schema, const std::vector<FlowRecord>& from = flows()) {
  const std::span<const FlowRecord> all(from);
  RowsEncoder encoder(columns(schema), {.format = format, .texts = &texts()});
  std::size_t next = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(encoder.encode(all.subspan(next, batch)).data.view().data());
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

// gzip level 1 of Native batches of 1024 rows, each deflated on its own as
// the writer does; bytes/s are the uncompressed blocks'.
void GzipNative(benchmark::State& state) {
  const std::span<const FlowRecord> all(flows());
  RowsEncoder encoder(columns(Schema::legacy), {.format = Format::native, .gzip = true});
  std::size_t next = 0, bytes = 0, compressed = 0;
  for (auto _ : state) {
    const EncodedRows encoded = encoder.encode(all.subspan(next, batch));
    bytes += encoded.bytes;
    compressed += encoded.data.size();
    next = (next + batch) % all.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["ratio"] = static_cast<double>(bytes) / static_cast<double>(compressed);
}
BENCHMARK(GzipNative);

// The sink on workers as the engine runs it (N threads encode batches of
// 1024, the committing thread takes them in order into INSERTs of 100,000
// rows and frames them), Native and gzip (a worker's costliest work), 1M
// flows; process CPU time beside wall clock. Without a server: the sending is
// clickhouse.sh's.
void PrepareOnWorkers(benchmark::State& state) {
  bench::allocate_as_the_engine();
  constexpr std::size_t passes = 16;  // 1M flows of the 64K generated
  const std::size_t workers = static_cast<std::size_t>(state.range(0));
  const std::size_t batches = passes * flows().size() / batch;
  const auto flows_of = [&](std::size_t b) { return std::span(flows()).subspan(b * batch % flows().size(), batch); };
  const WriterSettings settings{.format = Format::native, .gzip = true};
  for (auto _ : state) {
    bench::InOrderWindow<EncodedRows> window(2 * workers, 1);
    std::vector<std::jthread> encoders;
    for (std::size_t w = 0; w < workers; ++w) {
      encoders.emplace_back([&, w] {
        RowsEncoder encoder(columns(Schema::legacy), settings);
        for (std::size_t b = w; b < batches; b += workers) window.make(b, [&] { return encoder.encode(flows_of(b)); });
      });
    }
    std::vector<EncodedRows> insert;
    GzipMember member;
    std::size_t rows = 0;
    for (std::size_t b = 0; b < batches; ++b) {
      insert.push_back(std::move(window.take(b).front()));
      member.add(insert.back().crc, insert.back().bytes);
      if ((rows += batch) >= insert_rows || b + 1 == batches) {
        benchmark::DoNotOptimize(member.end().data());
        insert.clear();
        member = {};
        rows = 0;
      }
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batches * batch));
}
BENCHMARK(PrepareOnWorkers)->Apply(bench::timed_on_workers)->Arg(1)->Arg(2);

}  // namespace

BENCHMARK_MAIN();
