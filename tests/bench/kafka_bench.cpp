// The Kafka formats per flow: encoding (what the sink spends before
// librdkafka) and decoding (what the source spends after it), and GoFlow2's
// FlowMessage encoded by libprotobuf's generated code, the alternative to
// flowcodec's hand-written varints.
#include <benchmark/benchmark.h>
#include <google/protobuf/io/coded_stream.h>

#include <cstring>
#include <string>

#include "flow.pb.h"
#include "sluice/fields.h"
#include "sluice/flowcodec/format.h"
#include "support.h"

namespace {

using sluice::FlowRecord;
using sluice::flowcodec::Format;

sluice::InternedTexts& texts() {
  static sluice::InternedTexts table;
  return table;
}

// The sample flows as enrich leaves them (countries, names, speeds, flow
// counts), and as collectors make them: the fields record v2 had, as the
// benchmark's names before v3 measured.
const std::vector<FlowRecord>& enriched_flows() {
  static const auto f = sluice::test::kafka_sample_flows(4096, texts());
  return f;
}

const std::vector<FlowRecord>& flows() {
  static const auto f = [] {
    auto plain = enriched_flows();
    for (FlowRecord& flow : plain) {
      const FlowRecord& fresh = FlowRecord{};
      for (const sluice::FieldInfo& field : sluice::fields().subspan(static_cast<std::size_t>(sluice::Field::flows)))
        std::memcpy(reinterpret_cast<char*>(&flow) + field.offset, reinterpret_cast<const char*>(&fresh) + field.offset,
                    field.width);
      for (const auto e :
           {sluice::Element::flows, sluice::Element::bgp_next_hop, sluice::Element::in_if_speed,
            sluice::Element::out_if_speed, sluice::Element::in_if_boundary, sluice::Element::out_if_boundary})
        flow.set_absent(e);
    }
    return plain;
  }();
  return f;
}

const std::vector<FlowRecord>& sample(bool enriched) { return enriched ? enriched_flows() : flows(); }

void encode(benchmark::State& state, Format format, bool enriched = false) {
  auto encoder = sluice::flowcodec::make_encoder(format, texts());
  sluice::csv::Buffer out;
  std::size_t i = 0;
  for (auto _ : state) {
    out.clear();
    encoder->encode(sample(enriched)[i++ & 4095], out);
    benchmark::DoNotOptimize(out.view().data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes/flow"] = static_cast<double>(out.size());
}
BENCHMARK_CAPTURE(encode, protobuf, Format::protobuf);
BENCHMARK_CAPTURE(encode, json, Format::json);
BENCHMARK_CAPTURE(encode, csv, Format::csv);
BENCHMARK_CAPTURE(encode, protobuf_enriched, Format::protobuf, true);
BENCHMARK_CAPTURE(encode, json_enriched, Format::json, true);

std::string address_bytes(const sluice::IpAddress& a) {
  if (a.is_unspecified()) return {};
  const std::size_t size = a.is_v4() ? 4 : 16;
  return std::string(reinterpret_cast<const char*>(a.bytes.data()) + 16 - size, size);
}

// The same fields through libprotobuf: fill the generated message, then
// its length and bytes, as writeDelimitedTo does.
void encode_protobuf_with_libprotobuf(benchmark::State& state) {
  flowpb::FlowMessage m;
  std::string out;
  std::size_t i = 0;
  for (auto _ : state) {
    const FlowRecord& f = flows()[i++ & 4095];
    m.Clear();
    m.set_sampling_rate(f.sampling_interval);
    m.set_src_addr(address_bytes(f.src_addr));
    m.set_dst_addr(address_bytes(f.dst_addr));
    m.set_bytes(f.bytes);
    m.set_packets(f.packets);
    m.set_sampler_address(address_bytes(f.exporter));
    m.set_next_hop(address_bytes(f.next_hop));
    m.set_src_as(f.src_as);
    m.set_dst_as(f.dst_as);
    m.set_src_net(f.src_mask);
    m.set_dst_net(f.dst_mask);
    m.set_in_if(f.in_if);
    m.set_out_if(f.out_if);
    m.set_proto(f.proto);
    m.set_src_port(f.src_port);
    m.set_dst_port(f.dst_port);
    m.set_ip_tos(f.tos);
    m.set_forwarding_status(f.fwd_status);
    m.set_tcp_flags(f.tcp_flags);
    m.set_etype(f.src_addr.is_v4() ? 0x800 : 0x86dd);
    m.set_src_vlan(f.src_vlan);
    m.set_dst_vlan(f.dst_vlan);
    m.set_observation_domain_id(f.observation_domain);
    m.set_time_received_ns(f.received_ms * 1'000'000);
    m.set_time_flow_start_ns(f.first_ms * 1'000'000);
    m.set_time_flow_end_ns(f.last_ms * 1'000'000);
    const std::size_t size = m.ByteSizeLong();
    out.resize(google::protobuf::io::CodedOutputStream::VarintSize32(static_cast<std::uint32_t>(size)) + size);
    auto* p = reinterpret_cast<std::uint8_t*>(out.data());
    p = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(static_cast<std::uint32_t>(size), p);
    m.SerializeWithCachedSizesToArray(p);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes/flow"] = static_cast<double>(out.size());
}
BENCHMARK(encode_protobuf_with_libprotobuf);

void decode(benchmark::State& state, Format format, bool enriched = false) {
  auto encoder = sluice::flowcodec::make_encoder(format, texts());
  std::vector<std::string> messages;
  for (const auto& f : sample(enriched)) {
    sluice::csv::Buffer out;
    encoder->encode(f, out);
    messages.emplace_back(out.view());
  }
  auto decoder = sluice::flowcodec::make_decoder(format, texts());
  std::vector<FlowRecord> decoded;
  decoded.reserve(1);
  std::size_t i = 0;
  for (auto _ : state) {
    decoded.clear();
    benchmark::DoNotOptimize(decoder->decode(messages[i++ & 4095], decoded));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(decode, protobuf, Format::protobuf);
BENCHMARK_CAPTURE(decode, json, Format::json);
BENCHMARK_CAPTURE(decode, csv, Format::csv);
BENCHMARK_CAPTURE(decode, protobuf_enriched, Format::protobuf, true);
BENCHMARK_CAPTURE(decode, json_enriched, Format::json, true);

}  // namespace

BENCHMARK_MAIN();
