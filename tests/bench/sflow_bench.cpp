// sFlow v5 on one core: decode (target: 10M samples/s) and encode, on
// datagrams as agents send them: about 7 flow samples of 128-byte headers in
// 1400 bytes, a fifth of them IPv6, with switch, router and gateway records.
#include <benchmark/benchmark.h>

#include <vector>

#include "sluice/flowgen/flow_generator.h"
#include "sluice/sflow/decoder.h"
#include "sluice/sflow/encoder.h"

namespace {

using namespace sluice;

constexpr std::uint64_t now_ms = 1'795'000'000'000;

// Generated flows, sampled 1 in 1: samples of every kind of packet.
std::vector<FlowRecord> flows(std::size_t n) {
  std::vector<FlowRecord> out;
  flowgen::FlowGenerator({.seed = 1, .exporters = 4, .ipv6_ratio = 0.2}).generate(n, now_ms, out);
  for (auto& f : out) f.packets = std::min<std::uint64_t>(f.packets, 3);  // many flows, few packets each
  return out;
}

std::vector<std::vector<std::uint8_t>> datagrams(std::size_t samples) {
  sflow::Encoder encoder({});
  encoder.add(flows(samples / 2));
  std::vector<std::vector<std::uint8_t>> out;
  std::vector<std::uint8_t> buffer(encoder.config().mtu);
  std::size_t encoded = 0;
  while (encoded < samples) {
    const auto before = encoder.queued();
    const auto size = encoder.next_datagram(now_ms, buffer);
    if (size == 0) break;
    encoded += before - encoder.queued();
    out.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size));
  }
  return out;
}

void decode(benchmark::State& state) {
  const auto input = datagrams(30'000);
  sflow::Decoder decoder;
  std::vector<FlowRecord> out;
  std::vector<sflow::InterfaceCounters> interfaces;
  out.reserve(40'000);
  const auto sender = IpAddress::v4(0x7f000001);
  std::size_t samples = 0;
  for (auto _ : state) {
    out.clear();
    for (const auto& d : input) decoder.decode(sender, d, now_ms, out, interfaces);
    samples += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(samples));
  state.counters["datagrams/s"] =
      benchmark::Counter(static_cast<double>(input.size() * state.iterations()), benchmark::Counter::kIsRate);
}

void encode(benchmark::State& state) {
  const auto input = flows(15'000);
  sflow::Encoder encoder({});
  std::vector<std::uint8_t> buffer(encoder.config().mtu);
  std::uint64_t samples = 0;
  for (auto _ : state) {
    encoder.add(input);
    samples += encoder.queued();
    while (encoder.next_datagram(now_ms, buffer) > 0) benchmark::DoNotOptimize(buffer.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(samples));
}

}  // namespace

BENCHMARK(decode)->Unit(benchmark::kMillisecond);
BENCHMARK(encode)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
