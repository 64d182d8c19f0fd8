// NetFlow on one core: decode (v5 target: 20M records/s), encode, and the
// generator feeding the encoder (target: 2M flows/s onto the wire).
#include <benchmark/benchmark.h>

#include <vector>

#include "sluice/flowgen/flow_generator.h"
#include "sluice/flowgen/simulation.h"
#include "sluice/netflow/decoder.h"
#include "sluice/netflow/encoder.h"

namespace {

using namespace sluice;
using netflow::Version;

constexpr std::uint64_t now_ms = 1'795'000'000'000;

// v5 at 30 records a datagram, as exporters send it; v9/IPFIX at 1400 bytes.
netflow::EncoderConfig config(Version v) { return {.version = v, .mtu = v == Version::v5 ? 1464u : 1400u}; }

std::vector<FlowRecord> flows(std::size_t n, double ipv6_ratio) {
  std::vector<FlowRecord> out;
  flowgen::FlowGenerator({.seed = 1, .exporters = 4, .ipv6_ratio = ipv6_ratio}).generate(n, now_ms, out);
  netflow::Encoder(config(Version::ipfix)).group_by_stream(out);
  return out;
}

std::vector<std::vector<std::uint8_t>> datagrams(Version v, const std::vector<FlowRecord>& records) {
  netflow::Encoder encoder(config(v));
  std::vector<std::vector<std::uint8_t>> out;
  std::vector<std::uint8_t> buffer(encoder.config().mtu);
  std::span<const FlowRecord> rest(records);
  while (!rest.empty()) {
    const auto e = encoder.encode(rest, now_ms, buffer);
    rest = rest.subspan(e.consumed);
    if (e.size) out.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(e.size));
  }
  return out;
}

void decode(benchmark::State& state, Version v) {
  const auto input = datagrams(v, flows(30'000, v == Version::v5 ? 0.0 : 0.2));
  netflow::Decoder decoder;
  std::vector<FlowRecord> out;
  out.reserve(40'000);
  const auto exporter = IpAddress::v4(0x7f000001);
  std::size_t records = 0;
  for (auto _ : state) {
    out.clear();
    for (const auto& d : input) decoder.decode(exporter, d, now_ms, out);
    records += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.counters["datagrams/s"] =
      benchmark::Counter(static_cast<double>(input.size() * state.iterations()), benchmark::Counter::kIsRate);
}

// As the collector decodes: into batches of its batch_size (4096 records),
// each handed on once full, so that the records written stay in cache.
void decode_in_batches(benchmark::State& state, Version v) {
  constexpr std::size_t batch_size = 4096;
  const auto input = datagrams(v, flows(30'000, v == Version::v5 ? 0.0 : 0.2));
  netflow::Decoder decoder;
  std::vector<FlowRecord> out;
  out.reserve(batch_size + 64);
  const auto exporter = IpAddress::v4(0x7f000001);
  std::size_t records = 0;
  for (auto _ : state) {
    for (const auto& d : input) {
      decoder.decode(exporter, d, now_ms, out);
      if (out.size() < batch_size) continue;
      records += out.size();
      benchmark::DoNotOptimize(out.data());
      out.clear();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}

void encode(benchmark::State& state, Version v) {
  const auto input = flows(30'000, v == Version::v5 ? 0.0 : 0.2);
  netflow::Encoder encoder(config(v));
  std::vector<std::uint8_t> buffer(encoder.config().mtu);
  for (auto _ : state) {
    std::span<const FlowRecord> rest(input);
    while (!rest.empty()) {
      const auto e = encoder.encode(rest, now_ms, buffer);
      rest = rest.subspan(e.consumed);
      benchmark::DoNotOptimize(buffer.data());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(input.size() * state.iterations()));
}

// What the generator -> netflow_export pair does per batch, minus the socket.
void generate_and_encode(benchmark::State& state, flowgen::Profile profile, Version v) {
  flowgen::FlowGenerator gen({.profile = profile, .seed = 1, .exporters = 4});
  netflow::Encoder encoder(config(v));
  std::vector<FlowRecord> batch;
  std::vector<std::uint8_t> buffer(encoder.config().mtu);
  for (auto _ : state) {
    batch.clear();
    gen.generate(2048, now_ms, batch);
    encoder.group_by_stream(batch);
    std::span<const FlowRecord> rest(batch);
    while (!rest.empty()) {
      const auto e = encoder.encode(rest, now_ms, buffer);
      rest = rest.subspan(e.consumed);
      benchmark::DoNotOptimize(buffer.data());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(2048 * state.iterations()));
}

void generate(benchmark::State& state, flowgen::Profile profile) {
  flowgen::FlowGenerator gen({.profile = profile, .seed = 1, .exporters = 4});
  std::vector<FlowRecord> batch;
  for (auto _ : state) {
    batch.clear();
    gen.generate(2048, now_ms, batch);
    benchmark::DoNotOptimize(batch.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(2048 * state.iterations()));
}

// The generator plugin's path at a rate: simulated time, Poisson arrivals,
// and every scenario on at once, together a tenth of the flows (target: 2M
// flows/s, as without them).
void simulate(benchmark::State& state, bool scenarios) {
  constexpr double rate = 1e6;
  flowgen::SimulationConfig c{.background = {.seed = 1, .exporters = 4}, .rate = rate, .start_ms = now_ms};
  if (scenarios)
    for (std::uint8_t k = 0; k < 7; ++k) {
      const auto kind = static_cast<flowgen::ScenarioKind>(k);
      c.scenarios.push_back({.kind = kind,
                             .duration_ms = 1'000'000'000,
                             .intensity = kind == flowgen::ScenarioKind::beaconing ? 100 : rate / 60});
    }
  flowgen::Simulation simulation(c);
  std::vector<FlowRecord> batch;
  for (auto _ : state) {
    batch.clear();
    simulation.generate(UINT64_MAX, 2048, batch);
    benchmark::DoNotOptimize(batch.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(2048 * state.iterations()));
}

BENCHMARK_CAPTURE(simulate, background, false);
BENCHMARK_CAPTURE(simulate, every_scenario, true);
BENCHMARK_CAPTURE(generate, nflow, flowgen::Profile::nflow);
BENCHMARK_CAPTURE(generate, realistic, flowgen::Profile::realistic);
BENCHMARK_CAPTURE(decode, v5, Version::v5);
BENCHMARK_CAPTURE(decode, v9, Version::v9);
BENCHMARK_CAPTURE(decode, ipfix, Version::ipfix);
BENCHMARK_CAPTURE(decode_in_batches, v5, Version::v5);
BENCHMARK_CAPTURE(decode_in_batches, v9, Version::v9);
BENCHMARK_CAPTURE(encode, v5, Version::v5);
BENCHMARK_CAPTURE(encode, v9, Version::v9);
BENCHMARK_CAPTURE(encode, ipfix, Version::ipfix);
BENCHMARK_CAPTURE(generate_and_encode, nflow_v5, flowgen::Profile::nflow, Version::v5);
BENCHMARK_CAPTURE(generate_and_encode, realistic_v9, flowgen::Profile::realistic, Version::v9);

}  // namespace

BENCHMARK_MAIN();
