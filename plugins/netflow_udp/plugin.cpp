// netflow_udp: a NetFlow v5/v9/IPFIX collector: the net library's UdpCollector
// receives, the netflow codec's Decoder decodes; publishes per-exporter
// metrics and lists every exporter in the end-of-run summary.
#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/net/collector.h"
#include "sluice/netflow/decoder.h"

namespace {

using namespace sluice::netflow;
using namespace sluice::net;
using namespace std::chrono;

constexpr sluice::OptionSpec options[] = {
    listen_option("\"0.0.0.0:2055\""),
    receive_buffer_option,
    allowed_exporters_option,
    {.name = "max_templates_per_exporter",
     .type = sluice::OptionType::integer,
     .default_value = "256",
     .help = "v9/IPFIX templates kept per exporter; more are counted as malformed"},
    max_exporters_option,
    exporter_idle_timeout_option,
    batch_size_option,
    idle_timeout_option,
};

constexpr auto malformed_log_interval = seconds(10);
constexpr auto metrics_interval = seconds(1);

class NetflowUdp {
 public:
  NetflowUdp(const sluice::Options& options, sluice::Host& host)
      : host_(host), collector_(collector_config(options), host), limits_(sender_limits(options)) {
    const auto templates = options.integer("max_templates_per_exporter");
    if (templates < 1 || templates > 65535)
      throw sluice::OptionError("max_templates_per_exporter", "must be 1 to 65535");
    decoder_ = Decoder({.max_exporters = limits_.max_senders,
                        .exporter_idle_ms = limits_.idle_ms,
                        .max_templates_per_exporter = static_cast<std::size_t>(templates)});
  }

  void start() { collector_.start(); }

  bool poll(sluice::Emitter& out) {
    const bool more = collector_.poll(out, [&](const Datagram& d, std::uint64_t received, auto& records) {
      decoder_.decode(d.sender, d.bytes, received, records);
    });
    publish(!more);
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
  // What the decoder counts per exporter, as metrics (at most every
  // metrics_interval: copying the decoder's table costs), and a warning per
  // exporter whose malformed count grew, at most every malformed_log_interval.
  // The metrics of exporters the decoder forgot go with them.
  void publish(bool now) {
    if (!now && !metrics_due_.allow()) return;
    decoder_.forget_idle(sluice::now_ms());
    warn_once_full();
    const bool log_now = malformed_log_.allow();
    ++round_;
    for (const auto& e : decoder_.exporters()) {
      ExporterMetrics& m = metrics_for(e);
      if (e.datagrams != m.published.datagrams) m.last_seen.set(static_cast<double>(sluice::now_ms()) / 1000);
      m.round = round_;
      m.datagrams.add(e.datagrams - m.published.datagrams);
      m.records.add(e.records - m.published.records);
      m.sequence_errors.add(e.sequence_errors - m.published.sequence_errors);
      m.lost.add(e.lost - m.published.lost);
      m.published = e;
      m.malformed.publish(
          host_, e.malformed, log_now,
          fmt::format("exporter {} (version {}, domain {})", to_string(e.address), e.version, e.domain));
    }
    std::erase_if(exporter_metrics_, [&](const auto& entry) {
      if (entry.second.round == round_) return false;
      remove_metrics(entry.second.published);
      return true;
    });
  }

  void warn_once_full() {
    if (warned_full_ || decoder_.evicted_exporters() == 0) return;
    host_.log(sluice::LogLevel::warning, full_table_warning("exporters", limits_));
    warned_full_ = true;
  }

  struct ExporterMetrics {
    sluice::Counter datagrams, records, sequence_errors, lost;
    sluice::Gauge last_seen;
    MalformedMetrics<Malformed, malformed_kinds> malformed;
    ExporterStats published;  // what the counters hold
    std::uint64_t round = 0;  // the last publish() that found the exporter
  };

  struct ExporterLabels {
    std::string address, version, domain;
    explicit ExporterLabels(const ExporterStats& e)
        : address(to_string(e.address)), version(std::to_string(e.version)), domain(std::to_string(e.domain)) {}
    std::array<sluice::Label, 3> labels() const {
      return {{{"exporter", address}, {"version", version}, {"domain", domain}}};
    }
  };

  void remove_metrics(const ExporterStats& e) { host_.remove_metrics(ExporterLabels(e).labels()); }

  // An exporter forgotten and heard from again gets new metrics from 0 (a
  // counter reset, as after a restart).
  ExporterMetrics& metrics_for(const ExporterStats& e) {
    auto key = std::make_tuple(e.address.bytes, e.version, e.domain);
    if (auto it = exporter_metrics_.find(key); it != exporter_metrics_.end()) {
      if (it->second.published.first_seen_ms == e.first_seen_ms) return it->second;
      remove_metrics(e);
      exporter_metrics_.erase(it);
    }
    const ExporterLabels names(e);
    const auto labels = names.labels();
    ExporterMetrics m;
    m.datagrams = host_.counter("datagrams_total", "Datagrams decoded, per exporter", labels);
    m.records = host_.counter("records_total", "Flow records decoded, per exporter", labels);
    m.sequence_errors =
        host_.counter("sequence_errors_total", "Datagrams whose sequence number was not the expected one", labels);
    m.lost =
        host_.counter("lost_records_total",
                      "Gaps in the exporter's sequence numbers: flows (v5), datagrams (v9), records (IPFIX)", labels);
    m.last_seen =
        host_.gauge("last_seen_seconds", "When the exporter's latest datagram was decoded, Unix time", labels);
    m.malformed = {host_, labels, malformed_name};
    m.published.address = e.address;
    m.published.version = e.version;
    m.published.domain = e.domain;
    m.published.first_seen_ms = e.first_seen_ms;
    return exporter_metrics_.emplace(key, m).first->second;
  }

  sluice::Host& host_;
  UdpCollector collector_;
  SenderLimits limits_;
  Decoder decoder_;
  bool warned_full_ = false;
  std::uint64_t round_ = 0;
  sluice::RateLimit metrics_due_{metrics_interval};
  sluice::RateLimit malformed_log_{malformed_log_interval};
  std::map<std::tuple<std::array<std::uint8_t, 16>, std::uint16_t, std::uint32_t>, ExporterMetrics> exporter_metrics_;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<NetflowUdp>("netflow_udp", "receives and decodes NetFlow v5, v9 and IPFIX over UDP",
                                         options))
