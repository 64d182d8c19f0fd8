// sflow_export: turns flows into the sFlow v5 an agent would have sent for
// their packets (the sflow codec's Encoder samples 1 in sampling_rate of
// each flow's packets) and sends it over UDP to one or more collectors, paced
// evenly at the rate flows arrive (the net library's UdpExporter).
#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/net/exporter.h"
#include "sluice/sflow/encoder.h"

namespace {

using namespace sluice::sflow;
using namespace sluice::net;
using Clock = std::chrono::steady_clock;

constexpr sluice::OptionSpec options[] = {
    target_option,
    targets_option,
    source_option,
    {.name = "agent_address",
     .type = sluice::OptionType::string,
     .default_value = "\"\"",
     .help = "the agent address every datagram carries (empty: each flow's exporter, its domain the sub-agent)"},
    {.name = "sampling_rate",
     .type = sluice::OptionType::integer,
     .default_value = "400",
     .help = "the agents sample 1 in this many packets of each flow",
     .min = "1",
     .max = "4294967295"},
    {.name = "header_bytes",
     .type = sluice::OptionType::integer,
     .default_value = "128",
     .help = "bytes of each sampled packet's headers in its sample",
     .min = "1",
     .max = "256"},
    {.name = "mtu",
     .type = sluice::OptionType::integer,
     .default_value = "1400",
     .help = "largest datagram in bytes (its least depends on header_bytes)",
     .max = "65507"},
    {.name = "paced",
     .type = sluice::OptionType::boolean,
     .default_value = "true",
     .help = "spread datagrams evenly at the rate flows arrive, as agents do (false: send each batch's at once)"},
};

constexpr double max_burst_samples = 64;  // back to back when paced: about 9 datagrams

EncoderConfig config_from(const sluice::Options& options) {
  EncoderConfig c;
  if (const auto& agent = options.string("agent_address"); !agent.empty()) {
    try {
      c.agent = parse_prefix(agent).base;
    } catch (const std::invalid_argument& e) {
      throw sluice::OptionError("agent_address", e.what());
    }
  }
  c.sampling_rate = static_cast<std::uint32_t>(options.integer("sampling_rate"));
  c.header_bytes = static_cast<std::size_t>(options.integer("header_bytes"));
  const auto mtu = options.integer("mtu");
  const auto minimum = static_cast<std::int64_t>(Encoder::minimum_mtu(c.header_bytes));
  if (mtu < minimum)
    throw sluice::OptionError("mtu", fmt::format("must be >= {} with header_bytes {}", minimum, c.header_bytes));
  c.mtu = static_cast<std::size_t>(mtu);
  return c;
}

class SflowExport {
 public:
  SflowExport(const sluice::Options& options, sluice::Host& host)
      : encoder_(config_from(options)),
        exporter_(exporter_targets(options), host, options.boolean("paced") ? max_burst_samples : 0,
                  exporter_source(options)),
        flows_(host.counter("flows_total", "Flows whose packets were sampled")),
        samples_(host.counter("samples_sent_total", "Flow samples sent, one per sampled packet")),
        unsampled_(host.counter("unsampled_flows_total",
                                "Flows none of whose packets was sampled: fewer than the sampling rate")),
        buffer_(UdpExporter::datagrams_per_send * encoder_.config().mtu) {}

  void start() { exporter_.open(); }

  void consume(const sluice::Batch& batch) {
    sluice::visit(
        batch, [&](std::span<const sluice::FlowRecord> records) { add(records); },
        [&](const sluice::Event& e) {
          if (e.kind == sluice::Event::Kind::flush) send(Clock::time_point::max());
        });
    // Only what is due: waiting here would hold back the flows upstream, and
    // the pace follows their arrival. tick() waits between datagrams.
    send(Clock::now());
    exporter_.log_errors();
  }

  std::chrono::milliseconds tick_period() const { return UdpExporter::tick_period; }

  void tick() {
    send(Clock::now() + UdpExporter::tick_period);
    exporter_.log_errors();
  }

  void finish() { send(Clock::time_point::max()); }

  std::string report() const {
    const auto& s = encoder_.stats();
    return fmt::format(
               "  sampled 1 in {} packets of {} flows: {} samples in {} sFlow datagrams; {} flows too short "
               "for a sample\n",
               encoder_.config().sampling_rate, s.flows, s.samples, s.datagrams, s.unsampled_flows) +
           exporter_.report();
  }

 private:
  void add(std::span<const sluice::FlowRecord> records) {
    const auto before = encoder_.stats();
    const auto queued_before = encoder_.queued();
    encoder_.add(records);
    flows_.add(encoder_.stats().flows - before.flows);
    unsampled_.add(encoder_.stats().unsampled_flows - before.unsampled_flows);
    exporter_.arrived(encoder_.queued() - queued_before);
  }

  // Sends queued samples until none is left or, when paced, the next may
  // not go before `deadline`.
  void send(Clock::time_point deadline) {
    exporter_.send(deadline, [&](std::size_t slot) -> UdpExporter::Datagram {
      const auto queued = encoder_.queued();
      if (queued == 0) return {};
      const std::size_t mtu = encoder_.config().mtu;
      const std::span<std::uint8_t> buffer(buffer_.data() + slot * mtu, mtu);
      const std::span<const std::uint8_t> datagram = buffer.first(encoder_.next_datagram(sluice::now_ms(), buffer));
      samples_.add(queued - encoder_.queued());
      return {datagram, queued - encoder_.queued()};
    });
  }

  Encoder encoder_;
  UdpExporter exporter_;
  sluice::Counter flows_, samples_, unsampled_;
  std::vector<std::uint8_t> buffer_;  // UdpExporter::datagrams_per_send slots of mtu bytes
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<SflowExport>("sflow_export",
                                        "samples flows' packets as an sFlow v5 agent would and sends the datagrams "
                                        "over UDP",
                                        options))
