// netflow_export: encodes flows as NetFlow v5, v9 or IPFIX and sends them
// over UDP to one or more collectors, spread evenly over time at the rate
// the flows arrive, as a router paces its export: the netflow codec encodes,
// the net library's UdpExporter paces and sends.
#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/net/exporter.h"
#include "sluice/netflow/encoder.h"

namespace {

using namespace sluice::netflow;
using namespace sluice::net;
using Clock = std::chrono::steady_clock;

constexpr sluice::OptionSpec options[] = {
    {.name = "version",
     .type = sluice::OptionType::integer,
     .default_value = "9",
     .help = "NetFlow v5, v9 or IPFIX (10)",
     .choices = "5|9|10"},
    target_option,
    targets_option,
    source_option,
    {.name = "mtu",
     .type = sluice::OptionType::integer,
     .default_value = "1400",
     .help = "largest datagram in bytes (v5 fits 30 records from 1464)",
     .min = "512",  // Encoder::minimum_mtu
     .max = "65507"},
    {.name = "template_refresh_datagrams",
     .type = sluice::OptionType::integer,
     .default_value = "20",
     .help = "v9/IPFIX: send templates again after this many datagrams",
     .min = "1"},
    {.name = "template_refresh",
     .type = sluice::OptionType::duration,
     .default_value = "\"30s\"",
     .help = "v9/IPFIX: send templates again after this long"},
    {.name = "max_burst",
     .type = sluice::OptionType::integer,
     .default_value = "8",
     .help = "datagrams sent back to back at most; the others are spread evenly at the rate flows arrive (0: no "
             "pacing, each batch goes out at once)",
     .min = "0",
     .max = "65535"},
};
static_assert(Encoder::minimum_mtu == 512, "the mtu option's min");

constexpr std::size_t max_held_records = 2048;
// Records wait for company at most this long; the engine's tick encodes
// them when no more traffic comes.
constexpr auto max_hold = std::chrono::milliseconds(100);

EncoderConfig config_from(const sluice::Options& options) {
  EncoderConfig c;
  c.version = *version_from_number(options.integer("version"));  // the engine checked the choices
  c.mtu = static_cast<std::size_t>(options.integer("mtu"));
  c.template_refresh_datagrams = static_cast<std::uint32_t>(options.integer("template_refresh_datagrams"));
  c.template_refresh_ms = static_cast<std::uint64_t>(options.duration("template_refresh").count());
  return c;
}

class NetflowExport {
 public:
  NetflowExport(const sluice::Options& options, sluice::Host& host)
      : encoder_(config_from(options)),
        host_(host),
        flows_(host.counter("flows_sent_total", "Flows encoded into datagrams")),
        exporter_(exporter_targets(options), host, static_cast<double>(options.integer("max_burst")),
                  exporter_source(options)) {}

  void start() { exporter_.open(); }

  // Records wait until max_held_records have come, a flush event comes, or
  // the oldest has waited max_hold (full datagrams at any rate); then they
  // are encoded and join the datagrams waiting for their time to go.
  void consume(const sluice::Batch& batch) {
    const auto now = Clock::now();
    if (held_.empty()) oldest_held_ = now;
    bool flush = false;
    sluice::visit(
        batch,
        [&](std::span<const sluice::FlowRecord> records) { held_.insert(held_.end(), records.begin(), records.end()); },
        [&](const sluice::Event& e) { flush = flush || e.kind == sluice::Event::Kind::flush; });
    if (flush || held_.size() >= max_held_records || now - oldest_held_ >= max_hold) encode_held();
    // Only what is due: waiting here would hold back the flows upstream, and
    // the pace follows their arrival. tick() waits between datagrams.
    send(Clock::now());
    exporter_.log_errors();
  }

  std::chrono::milliseconds tick_period() const { return UdpExporter::tick_period; }

  void tick() {
    if (!held_.empty() && Clock::now() - oldest_held_ >= max_hold - UdpExporter::tick_period) encode_held();
    send(Clock::now() + UdpExporter::tick_period);
    exporter_.log_errors();
  }

  // Everything held goes, at the pace: the last datagrams are no burst either.
  void finish() {
    encode_held();
    send(Clock::time_point::max());
  }

  // The engine gave up waiting (drain_timeout): what is still unsent is lost.
  std::uint64_t abandon() {
    std::uint64_t records = held_.size();
    for (std::size_t i = head_; i < queue_.size(); ++i) records += queue_[i].records;
    held_.clear();
    head_ = queue_.size();
    return records;
  }

  std::string report() const {
    const auto& s = encoder_.stats();
    std::string r = fmt::format("  sent {} flows in {} NetFlow {} datagrams", s.records, s.datagrams,
                                version_name(encoder_.config().version));
    if (s.skipped_ipv6) r += fmt::format(", skipped {} IPv6 flows (v5 cannot carry them)", s.skipped_ipv6);
    if (s.skipped_too_long)
      r += fmt::format(", skipped {} flows longer than 49 days (v5/v9 cannot carry them)", s.skipped_too_long);
    r += "\n";
    return r + exporter_.report();
  }

 private:
  std::uint64_t skipped() const { return encoder_.stats().skipped_ipv6 + encoder_.stats().skipped_too_long; }

  std::size_t queued() const { return queue_.size() - head_; }

  // Encodes what is held into datagrams queued for their time to go.
  void encode_held() {
    if (held_.empty()) return;
    if (queued() == 0) {  // all sent: the queue starts afresh
      queue_.clear();
      bytes_.clear();
      head_ = 0;
    }
    encoder_.group_by_stream(held_);
    std::span<const sluice::FlowRecord> rest(held_);
    const auto now_ms = sluice::now_ms();
    const auto skipped_before = skipped();
    const auto records_before = encoder_.stats().records;
    const std::size_t mtu = encoder_.config().mtu;
    const std::size_t queued_before = queued();
    while (!rest.empty()) {
      const std::size_t at = bytes_.size();
      bytes_.resize(at + mtu);
      const auto records_in_before = encoder_.stats().records;
      const Encoded e = encoder_.encode(rest, now_ms, {bytes_.data() + at, mtu});
      rest = rest.subspan(e.consumed);
      bytes_.resize(at + e.size);
      if (e.size > 0) queue_.push_back({at, e.size, encoder_.stats().records - records_in_before});
    }
    held_.clear();
    flows_.add(encoder_.stats().records - records_before);
    if (const auto n = skipped() - skipped_before) host_.count_dropped(n);
    exporter_.arrived(queued() - queued_before);
  }

  // Sends queued datagrams until none is left or, when paced, the next may
  // not go before `deadline`.
  void send(Clock::time_point deadline) {
    exporter_.send(deadline, [&](std::size_t) -> UdpExporter::Datagram {
      if (queued() == 0) return {};
      const Queued& q = queue_[head_++];
      return {{bytes_.data() + q.offset, q.size}};
    });
  }

  // An encoded datagram waiting for its time: bytes_[offset, offset + size).
  struct Queued {
    std::size_t offset, size;
    std::uint64_t records;
  };

  Encoder encoder_;
  sluice::Host& host_;
  sluice::Counter flows_;
  UdpExporter exporter_;
  std::vector<std::uint8_t> bytes_;  // the queued datagrams, back to back
  std::vector<Queued> queue_;        // those before head_ are sent
  std::size_t head_ = 0;
  std::vector<sluice::FlowRecord> held_;
  std::chrono::steady_clock::time_point oldest_held_{};
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<NetflowExport>("netflow_export", "sends flows as NetFlow v5, v9 or IPFIX over UDP", options))
