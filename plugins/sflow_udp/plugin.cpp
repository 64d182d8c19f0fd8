// sflow_udp: an sFlow v5 collector: the net library's UdpCollector receives,
// the sflow codec's Decoder decodes, one flow record per flow sample. Counter
// samples' interface counters become gauges (sluice_sflow_udp_interface_*),
// what each agent sent and what went wrong become counters, and every agent
// is listed in the end-of-run summary.
#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/net/collector.h"
#include "sluice/sflow/decoder.h"
#include "sluice/stats/metrics.h"

namespace {

using namespace sluice::sflow;
using namespace sluice::net;

constexpr sluice::OptionSpec options[] = {
    listen_option("\"0.0.0.0:6343\""),
    receive_buffer_option,
    allowed_exporters_option,
    max_exporters_option,
    exporter_idle_timeout_option,
    sluice::batch_size_option("4096"),
    idle_timeout_option,
};

// What the decoder counts per agent, as metrics labelled with it.
constexpr sluice::stats::Field<AgentStats> agent_metrics[] = {
    {&AgentStats::datagrams, "datagrams_total", "Datagrams decoded, per agent"},
    {&AgentStats::flow_samples, "flow_samples_total", "Flow samples decoded: one flow record each"},
    {&AgentStats::counter_samples, "counters_samples_total",
     "Counter samples (sFlow's counters_sample: polled statistics) decoded"},
    {&AgentStats::sequence_errors, "sequence_errors_total", "Datagrams whose sequence number was not the expected one"},
    {&AgentStats::lost_datagrams, "lost_datagrams_total", "Gaps in the agent's datagram sequence numbers"},
    {&AgentStats::sample_sequence_errors, "sample_sequence_errors_total",
     "Samples whose data source's sequence number was not the expected one"},
    {&AgentStats::lost_samples, "lost_samples_total", "Gaps in the data sources' sample sequence numbers"},
    {&AgentStats::skipped, "skipped_total", "Samples and records of formats not read here, skipped"},
    {&AgentStats::agent_drops, "agent_dropped_packets",
     "Packets the agent's samplers picked but dropped for lack of resources", sluice::stats::Kind::gauge},
};

sluice::stats::Sender agent_of(const AgentStats& a) {
  std::string agent = to_string(a.address);
  std::string description = fmt::format("agent {} (sub-agent {})", agent, a.sub_agent);
  return {.labels = {{"agent", std::move(agent)}, {"sub_agent", std::to_string(a.sub_agent)}},
          .description = std::move(description)};
}
// Interfaces whose counters are kept as gauges, over all agents: an agent
// numbers its own, but a spoofer could number without end.
constexpr std::size_t max_interfaces = 65536;

// One interface's gauges: its counters as the agent last reported them.
struct InterfaceGauges {
  sluice::Gauge speed, up, admin_up;
  sluice::Gauge in_octets, in_unicast, in_multicast, in_broadcast, in_discards, in_errors, in_unknown_protocols;
  sluice::Gauge out_octets, out_unicast, out_multicast, out_broadcast, out_discards, out_errors;

  void set(const InterfaceCounters& c) const {
    speed.set(static_cast<double>(c.if_speed));
    admin_up.set(c.if_status & 1);
    up.set(c.if_status >> 1 & 1);
    in_octets.set(static_cast<double>(c.in_octets));
    in_unicast.set(c.in_unicast_packets);
    in_multicast.set(c.in_multicast_packets);
    in_broadcast.set(c.in_broadcast_packets);
    in_discards.set(c.in_discards);
    in_errors.set(c.in_errors);
    in_unknown_protocols.set(c.in_unknown_protocols);
    out_octets.set(static_cast<double>(c.out_octets));
    out_unicast.set(c.out_unicast_packets);
    out_multicast.set(c.out_multicast_packets);
    out_broadcast.set(c.out_broadcast_packets);
    out_discards.set(c.out_discards);
    out_errors.set(c.out_errors);
  }
};

class SflowUdp {
 public:
  SflowUdp(const sluice::Options& options, sluice::Host& host)
      : host_(host),
        collector_(collector_config(options), host),
        limits_(sender_limits(options)),
        decoder_({.max_agents = limits_.max_senders, .agent_idle_ms = limits_.idle_ms}),
        agent_metrics_(host, agent_metrics, agent_of, malformed_name) {}

  void start() { collector_.start(); }

  bool poll(sluice::Emitter& out) {
    const bool more = collector_.poll(out, [&](const Datagram& d, std::uint64_t received, auto& records) {
      decoder_.decode(d.sender, d.bytes, received, records, interfaces_);
    });
    for (const auto& c : interfaces_) publish(c);
    interfaces_.clear();
    agent_metrics_.publish([&] { return agents(); }, !more, [&](const AgentStats& a) { forget_interfaces(a); });
    return more;
  }

  std::string report() const {
    std::string r = collector_.report();
    if (const auto n = decoder_.evicted_agents())
      r += fmt::format("  {} agents forgotten to make room for new ones (max_exporters {})\n", n, limits_.max_senders);
    r += fmt::format("  {:<40} {:>9} {:>10} {:>12} {:>9} {:>9} {:>10} {:>9} {:>11}\n", "agent", "sub-agent",
                     "datagrams", "flow samples", "counters", "seq errs", "lost dgrams", "lost smpl", "malformed");
    for (const auto& a : decoder_.agents())
      r += fmt::format("  {:<40} {:>9} {:>10} {:>12} {:>9} {:>9} {:>10} {:>9} {:>11}\n", to_string(a.address),
                       a.sub_agent, a.datagrams, a.flow_samples, a.counter_samples,
                       a.sequence_errors + a.sample_sequence_errors, a.lost_datagrams, a.lost_samples,
                       a.malformed_total());
    return r;
  }

 private:
  void publish(const InterfaceCounters& c) {
    const auto key = std::make_tuple(c.agent.bytes, c.sub_agent, c.if_index);
    auto it = interface_gauges_.find(key);
    if (it == interface_gauges_.end()) {
      if (interface_gauges_.size() >= max_interfaces) return;
      it = interface_gauges_.emplace(key, interface_gauges(c)).first;
    }
    it->second.set(c);
  }

  InterfaceGauges interface_gauges(const InterfaceCounters& c) {
    const std::string agent = to_string(c.agent), sub_agent = std::to_string(c.sub_agent),
                      if_index = std::to_string(c.if_index);
    const sluice::Label labels[] = {{"agent", agent}, {"sub_agent", sub_agent}, {"ifindex", if_index}};
    const auto gauge = [&](std::string_view name, std::string_view help) { return host_.gauge(name, help, labels); };
    return {
        gauge("interface_speed_bps", "ifSpeed as the agent reported it, bits per second"),
        gauge("interface_up", "1 when the interface is operationally up (ifOperStatus)"),
        gauge("interface_admin_up", "1 when the interface is administratively up (ifAdminStatus)"),
        gauge("interface_in_octets", "ifInOctets as the agent last reported it"),
        gauge("interface_in_unicast_packets", "ifInUcastPkts as the agent last reported it"),
        gauge("interface_in_multicast_packets", "ifInMulticastPkts as the agent last reported it"),
        gauge("interface_in_broadcast_packets", "ifInBroadcastPkts as the agent last reported it"),
        gauge("interface_in_discards", "ifInDiscards as the agent last reported it"),
        gauge("interface_in_errors", "ifInErrors as the agent last reported it"),
        gauge("interface_in_unknown_protocols", "ifInUnknownProtos as the agent last reported it"),
        gauge("interface_out_octets", "ifOutOctets as the agent last reported it"),
        gauge("interface_out_unicast_packets", "ifOutUcastPkts as the agent last reported it"),
        gauge("interface_out_multicast_packets", "ifOutMulticastPkts as the agent last reported it"),
        gauge("interface_out_broadcast_packets", "ifOutBroadcastPkts as the agent last reported it"),
        gauge("interface_out_discards", "ifOutDiscards as the agent last reported it"),
        gauge("interface_out_errors", "ifOutErrors as the agent last reported it"),
    };
  }

  // The decoder forgets agents silent for exporter_idle_timeout (their
  // metrics go with them); the first made room for in a full table is warned of.
  std::vector<AgentStats> agents() {
    decoder_.forget_idle(sluice::now_ms());
    if (!warned_full_ && decoder_.evicted_agents()) {
      host_.log(sluice::LogLevel::warning, full_table_warning("agents", limits_));
      warned_full_ = true;
    }
    return decoder_.agents();
  }

  // A forgotten agent's interface gauges went with its metrics.
  void forget_interfaces(const AgentStats& a) {
    std::erase_if(interface_gauges_, [&](const auto& entry) {
      return std::get<0>(entry.first) == a.address.bytes && std::get<1>(entry.first) == a.sub_agent;
    });
  }

  sluice::Host& host_;
  UdpCollector collector_;
  SenderLimits limits_;
  Decoder decoder_;
  bool warned_full_ = false;
  std::vector<InterfaceCounters> interfaces_;  // the last poll's
  std::map<std::tuple<std::array<std::uint8_t, 16>, std::uint32_t, std::uint32_t>, InterfaceGauges> interface_gauges_;
  sluice::stats::SenderMetrics<AgentStats, Malformed, malformed_kinds> agent_metrics_;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<SflowUdp>("sflow_udp", "receives and decodes sFlow v5 over UDP", options))
