#include "scenarios.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace sluice::flowgen {
namespace {

struct KindInfo {
  ScenarioKind kind;
  std::string_view name;
  double intensity;
};
// In label order: port_scan's flows carry 1, beaconing's 7.
constexpr std::array<KindInfo, 7> kinds = {{
    {ScenarioKind::port_scan, "port_scan", 100},
    {ScenarioKind::syn_flood, "syn_flood", 1000},
    {ScenarioKind::udp_amplification, "udp_amplification", 500},
    {ScenarioKind::ddos, "ddos", 2000},
    {ScenarioKind::brute_force, "brute_force", 4},
    {ScenarioKind::exfiltration, "exfiltration", 0.02},
    {ScenarioKind::beaconing, "beaconing", 0.5},
}};

const KindInfo& info(ScenarioKind kind) { return kinds[static_cast<std::size_t>(kind)]; }

// Port scans find some ports open (SYN-ACK, then the scanner's RST), most
// closed (RST-ACK) and some filtered (no answer, the SYN retried once).
constexpr double filtered_share = 0.1;
double open_share(ScanDirection scan) { return scan == ScanDirection::vertical ? 0.02 : 0.1; }
// A SYN flood's victim answers half the SYNs before its backlog fills.
constexpr double backscatter_share = 0.5;

std::uint64_t tag(ScenarioKind kind, std::uint64_t what) { return static_cast<std::uint64_t>(kind) << 32 | what; }

}  // namespace

std::string_view to_string(ScenarioKind kind) noexcept { return info(kind).name; }

std::optional<ScenarioKind> parse_scenario_kind(std::string_view name) noexcept {
  for (const auto& k : kinds)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

std::string_view scenario_kinds() noexcept {
  return "port_scan|syn_flood|udp_amplification|ddos|brute_force|exfiltration|beaconing";
}

std::uint16_t default_label(ScenarioKind kind) noexcept { return static_cast<std::uint16_t>(kind) + 1; }
double default_intensity(ScenarioKind kind) noexcept { return info(kind).intensity; }

ScenarioStream::ScenarioStream(ScenarioConfig config, const Hosts& hosts, Stamp stamp, std::uint64_t start_ms,
                               std::uint64_t seed)
    : config_(std::move(config)), stamp_(stamp), rng_(mix(seed ^ tag(config_.kind, 0xa77ac4))) {
  auto& c = config_;
  if (c.intensity == 0) c.intensity = default_intensity(c.kind);
  if (c.label == 0) c.label = default_label(c.kind);
  if (!(c.intensity > 0)) throw std::invalid_argument("intensity must be > 0");
  if (c.duration_ms == 0) throw std::invalid_argument("duration must be > 0");
  if (c.kind == ScenarioKind::beaconing && (c.period_ms == 0 || !(c.jitter >= 0 && c.jitter < 1)))
    throw std::invalid_argument("beaconing needs a period > 0 and a jitter from 0 to below 1");
  if (c.kind == ScenarioKind::udp_amplification && c.reflectors == 0)
    throw std::invalid_argument("reflectors must be > 0");
  if (c.kind == ScenarioKind::ddos && c.sources == 0) throw std::invalid_argument("sources must be > 0");

  const IpAddress* given = c.victim ? &*c.victim : c.source ? &*c.source : c.target ? &c.target->base : nullptr;
  ipv6_ = given ? !given->is_v4() : !hosts.has_v4();
  if (ipv6_ ? !hosts.has_v6() : !hosts.has_v4())
    throw std::invalid_argument("the scenario's addresses are of a family the subnets do not have");
  const auto ours = [&](std::uint64_t rank) { return hosts.internal(ipv6_, rank); };
  const auto theirs = [&](std::uint64_t what) { return hosts.external(ipv6_, mix(seed ^ tag(c.kind, what))); };
  if (!c.attacker) c.attacker = theirs(1);
  if (!c.server) c.server = theirs(2);
  if (!c.victim) c.victim = ours(c.kind == ScenarioKind::brute_force ? 2 : c.kind == ScenarioKind::ddos ? 0 : 1);
  if (!c.source) c.source = ours(5);
  for (const IpAddress* a : {&*c.attacker, &*c.server, &*c.victim, &*c.source})
    if (a->is_v4() == ipv6_) throw std::invalid_argument("a scenario's addresses must all be IPv4 or all IPv6");
  if (c.port == 0 && c.kind == ScenarioKind::syn_flood) c.port = 80;
  if (c.port == 0 && (c.kind == ScenarioKind::exfiltration || c.kind == ScenarioKind::beaconing)) c.port = 443;

  if (c.kind == ScenarioKind::port_scan) {
    const bool vertical = c.scan == ScanDirection::vertical;
    if (!c.target) c.target = net::Prefix{ours(3), static_cast<std::uint8_t>(ipv6_ ? 128 : 32)};
    if (!vertical && c.target->length == (ipv6_ ? 128 : 32))
      c.target->length = static_cast<std::uint8_t>(ipv6_ ? 120 : 24);  // the target host's neighbours
    if (c.target->base.is_v4() == ipv6_) throw std::invalid_argument("target and addresses mix families");
    if (c.ports.empty()) {
      if (vertical)
        for (std::uint16_t p = 1; p <= 1024; ++p) c.ports.push_back(p);
      else
        c.ports = {22, 80, 443, 445, 3389};
    }
    // Scanners probe in a random order, from one source port.
    for (std::size_t i = c.ports.size(); i > 1; --i) std::swap(c.ports[i - 1], c.ports[rng_.below(i)]);
    scanner_port_ = ephemeral_port(rng_);
  }
  const auto many = [&](std::uint32_t n, std::uint64_t what) {
    for (std::uint32_t i = 0; i < n; ++i) peers_.push_back(theirs(what << 20 | i));
  };
  if (c.kind == ScenarioKind::udp_amplification) many(c.reflectors, 3);
  if (c.kind == ScenarioKind::ddos) many(c.sources, 4);

  origin_ms_ = start_ms;
  begin_ms_ = static_cast<double>(c.start_ms);
  end_ms_ = begin_ms_ + static_cast<double>(c.duration_ms);
  events_per_ms_ = c.intensity / flows_per_event() / 1000;
  if (c.kind == ScenarioKind::beaconing) {
    // intensity flows a second, two flows a call: intensity / 2 x period hosts.
    const double hosts_needed = c.intensity * static_cast<double>(c.period_ms) / 1000 / 2;
    const auto n = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(hosts_needed)));
    for (std::size_t i = 0; i < n; ++i) {
      peers_.push_back(ours(100 + 7 * i));
      beacons_.push({begin_ms_ + rng_.unit() * static_cast<double>(c.period_ms), i});
    }
  }
  events_.reserve(2);  // flow() hands out references that a second flow must not move
  event_ms_ = begin_ms_;
  advance();
}

double ScenarioStream::flows_per_event() const {
  switch (config_.kind) {
    case ScenarioKind::port_scan: return 2 - filtered_share;
    case ScenarioKind::syn_flood: return 1 + backscatter_share;
    case ScenarioKind::ddos: return 1;
    default: return 2;  // a request and its answer
  }
}

FlowRecord ScenarioStream::pop() {
  FlowRecord f = events_[pending_++];
  if (pending_ == events_.size()) advance();
  return f;
}

void ScenarioStream::advance() {
  events_.clear();
  pending_ = 0;
  if (config_.kind == ScenarioKind::beaconing) {
    const auto [at, host] = beacons_.top();
    if (at >= end_ms_) return;  // every host's next call is past the end: done
    beacons_.pop();
    event_ms_ = at;
    const double period = static_cast<double>(config_.period_ms);
    beacons_.push({at + period * (1 + config_.jitter * (2 * rng_.unit() - 1)), host});
    beaconing(host);
    return;
  }
  event_ms_ += rng_.exponential() / events_per_ms_;
  if (event_ms_ >= end_ms_) return;
  event();
}

void ScenarioStream::event() {
  switch (config_.kind) {
    case ScenarioKind::port_scan: return port_scan();
    case ScenarioKind::syn_flood: return syn_flood();
    case ScenarioKind::udp_amplification: return udp_amplification();
    case ScenarioKind::ddos: return ddos();
    case ScenarioKind::brute_force: return brute_force();
    case ScenarioKind::exfiltration: return exfiltration();
    case ScenarioKind::beaconing: return;  // advance() schedules its calls
  }
}

// A flow of this event, to be given counters, flags and a duration; stamped
// at the end of event() (see finish below).
FlowRecord& ScenarioStream::flow(std::uint8_t proto, const IpAddress& src, std::uint16_t src_port, const IpAddress& dst,
                                 std::uint16_t dst_port) {
  FlowRecord& f = events_.emplace_back();
  f.proto = proto;
  f.src_addr = src;
  f.dst_addr = dst;
  f.src_port = src_port;
  f.dst_port = dst_port;
  f.label = config_.label;
  return f;
}

void ScenarioStream::finish(FlowRecord& f, std::uint64_t duration_ms) {
  const std::uint64_t last = origin_ms_ + static_cast<std::uint64_t>(event_ms_);
  const std::uint64_t begin = origin_ms_ + static_cast<std::uint64_t>(begin_ms_);
  stamp_(f, rng_, last, std::min(duration_ms, last - begin));
}

void ScenarioStream::port_scan() {
  const auto& c = config_;
  const auto& target = *c.target;
  const int host_bits = std::min((ipv6_ ? 128 : 32) - target.length, 16);
  const std::uint64_t hosts = std::uint64_t{1} << host_bits;
  const std::uint64_t n = probes_++;
  const bool vertical = c.scan == ScanDirection::vertical;
  const IpAddress host = vertical ? target.base : address_in(target, n % hosts);
  const std::uint16_t port = c.ports[(vertical ? n : n / hosts) % c.ports.size()];
  const unsigned header = ipv6_ ? 60 : 40;
  const double outcome = rng_.unit();
  FlowRecord& probe = flow(tcp, *c.attacker, scanner_port_, host, port);
  probe.tcp_flags = syn;
  probe.packets = 1;
  probe.bytes = header + 4;  // a SYN with the MSS option, as nmap sends it
  std::uint64_t probe_ms = 0;
  if (outcome < filtered_share) {
    probe.packets = 2;  // no answer: tried once more
    probe.bytes *= 2;
    probe_ms = 1000 + rng_.below(100);
  } else {
    const bool open = outcome < filtered_share + open_share(c.scan);
    FlowRecord& reply = flow(tcp, host, port, *c.attacker, scanner_port_);
    reply.packets = 1;
    reply.tcp_flags = open ? syn | ack : rst | ack;
    reply.bytes = open ? header + 4 : header;
    finish(reply, 0);
    if (open) {  // the scanner's kernel resets what it never opened
      probe.packets = 2;
      probe.tcp_flags = syn | rst;
      probe.bytes += header;
      probe_ms = 1 + rng_.below(50);
    }
  }
  finish(probe, probe_ms);
}

void ScenarioStream::syn_flood() {
  const auto& c = config_;
  const IpAddress src = c.spoofed ? stamp_.hosts->external(ipv6_, rng_.next()) : *c.attacker;
  const std::uint16_t src_port = static_cast<std::uint16_t>(rng_.between(1024, 65535));
  const unsigned header = ipv6_ ? 60 : 40;
  FlowRecord& f = flow(tcp, src, src_port, *c.victim, c.port);
  f.tcp_flags = syn;
  f.packets = 1;
  f.bytes = header + rng_.below(21);  // bare (hping3) or with options
  finish(f, 0);
  if (rng_.chance(backscatter_share)) {
    FlowRecord& reply = flow(tcp, *c.victim, c.port, src, src_port);
    reply.tcp_flags = syn | ack;  // answered, and retried when no ACK comes
    reply.packets = rng_.between(1, 3);
    reply.bytes = reply.packets * (header + 4 + rng_.below(17));
    finish(reply, reply.packets == 1 ? 0 : reply.packets == 2 ? 1000 : 3000);
  }
}

void ScenarioStream::udp_amplification() {
  const auto& c = config_;
  const IpAddress& reflector = peers_[rng_.below(peers_.size())];
  const unsigned header = ipv6_ ? 48 : 28;
  const std::uint16_t victim_port = ephemeral_port(rng_);
  std::uint16_t service = 53;
  unsigned request_payload = 0, answer_packet = 0;
  std::uint64_t answer_packets = 1;
  double gap_ms = 1;
  switch (c.amplifier) {
    case Amplifier::dns:  // an ANY query; the answer in IP fragments
      request_payload = static_cast<unsigned>(rng_.between(28, 45));
      answer_packets = rng_.between(2, 4);
      answer_packet = static_cast<unsigned>(rng_.between(1200, mtu));
      break;
    case Amplifier::ntp:  // monlist: up to 100 packets of 440 bytes of mode 7 data
      service = 123;
      request_payload = 8;
      answer_packets = rng_.between(10, 100);
      answer_packet = header + 440;
      gap_ms = 0.1;
      break;
    case Amplifier::memcached:  // "stats" over UDP: a 15-byte request, full-size answers
      service = 11211;
      request_payload = 15;
      answer_packets = rng_.between(100, 1000);
      answer_packet = mtu;
      gap_ms = 0.05;
      break;
  }
  FlowRecord& request = flow(udp, *c.victim, victim_port, reflector, service);  // spoofed by the attacker
  request.packets = 1;
  request.bytes = header + request_payload;
  finish(request, 0);
  FlowRecord& answer = flow(udp, reflector, service, *c.victim, victim_port);
  answer.packets = answer_packets;
  answer.bytes = answer_packets * answer_packet;
  finish(answer, static_cast<std::uint64_t>(static_cast<double>(answer_packets - 1) * gap_ms));
}

void ScenarioStream::ddos() {
  const auto& c = config_;
  const std::size_t bot = rng_.below(peers_.size());
  const unsigned header = ipv6_ ? 48 : 28;
  const std::uint16_t port = c.port != 0 ? c.port : static_cast<std::uint16_t>(rng_.between(1, 65535));
  FlowRecord& f = flow(udp, peers_[bot], static_cast<std::uint16_t>(rng_.between(1024, 65535)), *c.victim, port);
  f.packets = static_cast<std::uint64_t>(rng_.log_uniform(10, 2000));
  // Each bot floods with packets of its own size, as its tool was set.
  f.bytes = f.packets * (header + 32 + mix(bot) % (mtu - header - 32));
  finish(f, static_cast<std::uint64_t>(static_cast<double>(f.packets - 1) * 2));
}

void ScenarioStream::brute_force() {
  const auto& c = config_;
  const bool ssh = c.service == LoginService::ssh;
  const std::uint16_t service = ssh ? 22 : 3389;
  const std::uint16_t port = ephemeral_port(rng_);
  // Key exchange, then a few packets each try; the server answers in kind.
  const std::uint64_t packets = (ssh ? 12 : 20) + (ssh ? 4 : 6) * c.attempts + rng_.below(3);
  const std::uint64_t duration = 300 + rng_.below(700) + 1500ULL * c.attempts;
  FlowRecord& login = flow(tcp, *c.attacker, port, *c.victim, service);
  login.tcp_flags = syn | ack | psh | fin;
  login.packets = packets;
  login.bytes = packets * rng_.between(ssh ? 100 : 150, ssh ? 160 : 400);
  finish(login, duration);
  FlowRecord& answer = flow(tcp, *c.victim, service, *c.attacker, port);
  answer.tcp_flags = syn | ack | psh | fin;
  answer.packets = packets - 1;
  answer.bytes = answer.packets * rng_.between(ssh ? 90 : 150, ssh ? 200 : 500);
  finish(answer, duration);
}

void ScenarioStream::exfiltration() {
  const auto& c = config_;
  // An upload connection carries the total over the expected number of them.
  const double connections = c.intensity / 2 * static_cast<double>(c.duration_ms) / 1000;
  const double bytes = static_cast<double>(c.bytes) / std::max(connections, 1.0) * (0.8 + 0.4 * rng_.unit());
  const unsigned header = ipv6_ ? 60 : 40;
  const std::uint16_t port = ephemeral_port(rng_);
  FlowRecord& upload = flow(tcp, *c.source, port, *c.server, c.port);
  upload.bytes = std::max<std::uint64_t>(static_cast<std::uint64_t>(bytes), 4ULL * (header + 1));
  upload.packets = std::max<std::uint64_t>(4, (upload.bytes + mtu - header - 1) / (mtu - header));
  const double per_second = rng_.log_uniform(1e6, 20e6);  // 1-20 MB/s
  auto duration = static_cast<std::uint64_t>(static_cast<double>(upload.bytes) / per_second * 1000);
  const bool cut = duration >= stamp_.active_timeout_ms;
  if (cut) duration = stamp_.active_timeout_ms - 1000;
  upload.tcp_flags = syn | ack | psh | (cut ? 0 : fin);
  finish(upload, duration);
  FlowRecord& acks = flow(tcp, *c.server, c.port, *c.source, port);
  acks.packets = upload.packets / 2 + 1;
  acks.bytes = acks.packets * (header + 12) + 4000;  // ACKs with timestamps, and the TLS handshake
  acks.tcp_flags = syn | ack | psh | (cut ? 0 : fin);
  finish(acks, duration);
}

void ScenarioStream::beaconing(std::size_t host) {
  const auto& c = config_;
  const std::uint16_t port = ephemeral_port(rng_);
  const std::uint64_t duration = 50 + rng_.below(400);
  FlowRecord& call = flow(tcp, peers_[host], port, *c.server, c.port);
  call.tcp_flags = syn | ack | psh | fin;
  call.packets = rng_.between(6, 10);
  call.bytes = call.packets * rng_.between(80, 200);
  finish(call, duration);
  FlowRecord& answer = flow(tcp, *c.server, c.port, peers_[host], port);
  answer.tcp_flags = syn | ack | psh | fin;
  answer.packets = rng_.between(5, 9);
  answer.bytes = answer.packets * rng_.between(60, 300);
  finish(answer, duration);
}

}  // namespace sluice::flowgen
