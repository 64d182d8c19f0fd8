// netflow_udp: a NetFlow v5/v9/IPFIX collector: the net library's UdpCollector
// receives, the netflow codec's Decoder decodes; publishes per-exporter
// metrics and lists every exporter in the end-of-run summary.
#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/net/collector.h"
#include "sluice/netflow/decoder.h"
#include "sluice/stats/metrics.h"

namespace {

using namespace sluice::netflow;
using namespace sluice::net;

constexpr sluice::OptionSpec options[] = {
    listen_option("\"0.0.0.0:2055\""),
    receive_buffer_option,
    allowed_exporters_option,
    {.name = "max_templates_per_exporter",
     .type = sluice::OptionType::integer,
     .default_value = "256",
     .help = "v9/IPFIX templates kept per exporter; more are counted as malformed",
     .min = "1",
     .max = "65535"},
    max_exporters_option,
    exporter_idle_timeout_option,
    sluice::batch_size_option("4096"),
    idle_timeout_option,
};

// What the decoder counts per exporter, as metrics labelled with it.
constexpr sluice::stats::Field<ExporterStats> exporter_metrics[] = {
    {&ExporterStats::datagrams, "datagrams_total", "Datagrams decoded, per exporter"},
    {&ExporterStats::records, "records_total", "Flow records decoded, per exporter"},
    {&ExporterStats::sequence_errors, "sequence_errors_total",
     "Datagrams whose sequence number was not the expected one"},
    {&ExporterStats::lost, "lost_records_total",
     "Gaps in the exporter's sequence numbers: flows (v5), datagrams (v9), records (IPFIX)"},
};

sluice::stats::Sender exporter_of(const ExporterStats& e) {
  std::string address = to_string(e.address);
  std::string description = fmt::format("exporter {} (version {}, domain {})", address, e.version, e.domain);
  return {.labels = {{"exporter", std::move(address)},
                     {"version", std::to_string(e.version)},
                     {"domain", std::to_string(e.domain)}},
          .description = std::move(description)};
}

class NetflowUdp {
 public:
  NetflowUdp(const sluice::Options& options, sluice::Host& host)
      : host_(host),
        collector_(collector_config(options), host),
        limits_(sender_limits(options)),
        decoder_(
            {.max_exporters = limits_.max_senders,
             .exporter_idle_ms = limits_.idle_ms,
             .max_templates_per_exporter = static_cast<std::size_t>(options.integer("max_templates_per_exporter"))}),
        metrics_(host, exporter_metrics, exporter_of, malformed_name) {}

  void start() { collector_.start(); }

  bool poll(sluice::Emitter& out) {
    const bool more = collector_.poll(out, [&](const Datagram& d, std::uint64_t received, auto& records) {
      decoder_.decode(d.sender, d.bytes, received, records);
    });
    metrics_.publish([&] { return exporters(); }, !more);
    return more;
  }

  std::string report() const {
    std::string r = collector_.report();
    if (const auto n = decoder_.evicted_exporters())
      r += fmt::format("  {} exporters forgotten to make room for new ones (max_exporters {})\n", n,
                       limits_.max_senders);
    r += fmt::format("  {:<40} {:>5} {:>10} {:>12} {:>8} {:>10} {:>9} {:>11}\n", "exporter", "ver", "domain",
                     "datagrams", "records", "seq errs", "lost", "malformed");
    for (const auto& e : decoder_.exporters()) {
      r += fmt::format("  {:<40} {:>5} {:>10} {:>12} {:>8} {:>10} {:>9} {:>11}\n", to_string(e.address), e.version,
                       e.domain, e.datagrams, e.records, e.sequence_errors, e.lost, e.malformed_total());
      if (e.sets_without_template)
        r += fmt::format("    {} data sets arrived before their template and were dropped\n", e.sets_without_template);
    }
    return r;
  }

 private:
  // The decoder forgets exporters silent for exporter_idle_timeout (their
  // metrics go with them); the first made room for in a full table is warned of.
  std::vector<ExporterStats> exporters() {
    decoder_.forget_idle(sluice::now_ms());
    if (!warned_full_ && decoder_.evicted_exporters()) {
      host_.log(sluice::LogLevel::warning, full_table_warning("exporters", limits_));
      warned_full_ = true;
    }
    return decoder_.exporters();
  }

  sluice::Host& host_;
  UdpCollector collector_;
  SenderLimits limits_;
  Decoder decoder_;
  sluice::stats::SenderMetrics<ExporterStats, Malformed, malformed_kinds> metrics_;
  bool warned_full_ = false;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<NetflowUdp>("netflow_udp", "receives and decodes NetFlow v5, v9 and IPFIX over UDP",
                                         options))
