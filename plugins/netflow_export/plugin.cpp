// netflow_export: encodes flows as NetFlow v5, v9 or IPFIX and sends them
// over UDP to one or more collectors: the netflow codec encodes, the net
// library's UdpExporter sends.
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

constexpr sluice::OptionSpec options[] = {
    {.name = "version", .type = sluice::OptionType::integer, .default_value = "9", .help = "5, 9 or 10 (IPFIX)"},
    target_option,
    targets_option,
    {.name = "mtu",
     .type = sluice::OptionType::integer,
     .default_value = "1400",
     .help = "largest datagram in bytes (v5 fits 30 records from 1464)"},
    {.name = "template_refresh_datagrams",
     .type = sluice::OptionType::integer,
     .default_value = "20",
     .help = "v9/IPFIX: send templates again after this many datagrams"},
    {.name = "template_refresh",
     .type = sluice::OptionType::duration,
     .default_value = "\"30s\"",
     .help = "v9/IPFIX: send templates again after this long"},
};

constexpr std::size_t datagrams_per_send = 64;  // one sendmmsg call
constexpr std::size_t max_held_records = 2048;
// Records wait for company at most this long; the engine's tick sends them
// when no more traffic comes.
constexpr auto max_hold = std::chrono::milliseconds(100);
constexpr auto hold_tick = std::chrono::milliseconds(50);

EncoderConfig config_from(const sluice::Options& options) {
  EncoderConfig c;
  const auto version = version_from_number(options.integer("version"));
  if (!version) throw sluice::OptionError("version", "must be 5, 9 or 10 (IPFIX)");
  c.version = *version;
  const auto mtu = options.integer("mtu");
  if (mtu < static_cast<std::int64_t>(Encoder::minimum_mtu) || mtu > 65507)
    throw sluice::OptionError("mtu", fmt::format("must be {} to 65507 bytes", Encoder::minimum_mtu));
  c.mtu = static_cast<std::size_t>(mtu);
  const auto refresh = options.integer("template_refresh_datagrams");
  if (refresh < 1) throw sluice::OptionError("template_refresh_datagrams", "must be >= 1");
  c.template_refresh_datagrams = static_cast<std::uint32_t>(refresh);
  c.template_refresh_ms = static_cast<std::uint64_t>(options.duration("template_refresh").count());
  return c;
}

class NetflowExport {
 public:
  NetflowExport(const sluice::Options& options, sluice::Host& host)
      : encoder_(config_from(options)),
        host_(host),
        flows_(host.counter("flows_sent_total", "Flows encoded into datagrams")),
        exporter_(exporter_targets(options), host) {
    buffer_.resize(datagrams_per_send * encoder_.config().mtu);
  }

  void start() { exporter_.open(); }

  // Records wait until a sendmmsg worth of datagrams is due, a flush event
  // comes, or the oldest has waited max_hold: full datagrams at any rate.
  void consume(const sluice::Batch& batch) {
    const auto now = std::chrono::steady_clock::now();
    if (held_.empty()) oldest_held_ = now;
    sluice::visit(
        batch,
        [&](std::span<const sluice::FlowRecord> records) { held_.insert(held_.end(), records.begin(), records.end()); },
        [&](const sluice::Event& e) {
          if (e.kind == sluice::Event::Kind::flush) send_held();
        });
    if (held_.size() >= max_held_records || now - oldest_held_ >= max_hold) send_held();
    exporter_.log_errors();
  }

  std::chrono::milliseconds tick_period() const { return hold_tick; }

  void tick() {
    if (!held_.empty() && std::chrono::steady_clock::now() - oldest_held_ >= max_hold - hold_tick) send_held();
    exporter_.log_errors();
  }

  void finish() { send_held(); }

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

  void send_held() {
    encoder_.group_by_stream(held_);
    std::span<const sluice::FlowRecord> rest(held_);
    const auto now_ms = sluice::now_ms();
    const auto skipped_before = skipped();
    const auto records_before = encoder_.stats().records;
    while (!rest.empty()) {
      std::span<std::uint8_t> slot(buffer_.data() + pending_.size() * encoder_.config().mtu, encoder_.config().mtu);
      const Encoded e = encoder_.encode(rest, now_ms, slot);
      rest = rest.subspan(e.consumed);
      if (e.size > 0) pending_.push_back(e.size);
      if (pending_.size() == datagrams_per_send) send_pending();
    }
    send_pending();
    held_.clear();
    flows_.add(encoder_.stats().records - records_before);
    if (const auto n = skipped() - skipped_before) host_.count_dropped(n);
  }

  void send_pending() {
    std::vector<std::span<const std::uint8_t>> datagrams;
    for (std::size_t i = 0; i < pending_.size(); ++i)
      datagrams.emplace_back(buffer_.data() + i * encoder_.config().mtu, pending_[i]);
    exporter_.send(datagrams);
    pending_.clear();
  }

  Encoder encoder_;
  sluice::Host& host_;
  sluice::Counter flows_;
  UdpExporter exporter_;
  std::vector<std::uint8_t> buffer_;  // datagrams_per_send slots of mtu bytes
  std::vector<std::size_t> pending_;  // sizes of the encoded datagrams in the slots
  std::vector<sluice::FlowRecord> held_;
  std::chrono::steady_clock::time_point oldest_held_{};
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<NetflowExport>("netflow_export", "sends flows as NetFlow v5, v9 or IPFIX over UDP", options))
