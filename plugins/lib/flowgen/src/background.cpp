#include "background.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

namespace sluice::flowgen {
namespace {

// --- Calibration (docs/scenarios.md, "Believable background") -------------
//
// Jurkiewicz, flow-models (SoftwareX 17, 2022), dataset agh_2015061019:
// one hour of NetFlow from a campus' Internet uplink, 6.5M flows, active
// timeout 300 s, inactive 15 s. Share of flows by protocol, and the CDF of
// packets per flow at 1, 2, 4, 8 ... 2^20 packets for TCP and UDP.
constexpr double tcp_share = 0.5252, udp_share = 0.4576;  // the rest (1.72%) ICMP
constexpr double tcp_packets_cdf[] = {0.222955, 0.437214, 0.555880, 0.711636, 0.824340, 0.891985, 0.931293, 0.955214,
                                      0.971420, 0.982069, 0.988590, 0.992694, 0.995457, 0.997100, 0.998135, 0.998865,
                                      0.999510, 0.999872, 0.999987, 0.999996, 0.999999, 1.0};
constexpr double udp_packets_cdf[] = {0.693865, 0.840094, 0.928175, 0.968609, 0.985136, 0.992181, 0.995339, 0.996888,
                                      0.997980, 0.998596, 0.998977, 0.999257, 0.999432, 0.999566, 0.999658, 0.999745,
                                      0.999853, 0.999931, 0.999977, 0.999992, 0.999998, 1.0};
// Mean bytes a packet by packet-count bin (1, 2, 3-4, 5-8, ...), from the
// same dataset's histograms (octets / packets per bin) up to 512 packets;
// above, rising to bulk transfers' mix of full data packets and ACKs. For
// TCP's data flows, raised to make up for the 40-64-byte control flows
// (SYN, RST, lone ACK) mixed into the one- and two-packet bins.
constexpr double tcp_data_packet_size[] = {177, 125, 170, 232, 317, 370, 465, 525, 585, 615, 700, 800, 900, 1000};
constexpr double udp_packet_size[] = {160, 158, 155, 200, 300, 400, 450, 500, 550, 600, 650, 700};

// 1 for one packet, 2 for two, 3 for 3-4, 4 for 5-8 ...: the CDF's bins.
template <std::size_t N>
std::uint64_t draw_packets(const double (&cdf)[N], Random& rng) {
  const double u = rng.unit();
  std::size_t bin = 0;
  while (bin + 1 < N && u >= cdf[bin]) ++bin;
  if (bin == 0) return 1;
  // (2^(bin-1), 2^bin]: log-uniform, as heavy tails are between their bins.
  const double lo = static_cast<double>((std::uint64_t{1} << (bin - 1)) + 1);
  const double hi = static_cast<double>((std::uint64_t{1} << bin) + 1);
  return std::min(static_cast<std::uint64_t>(rng.log_uniform(lo, hi)), std::uint64_t{1} << bin);
}

template <std::size_t N>
double mean_for(const double (&table)[N], std::uint64_t packets) {
  return table[std::min<std::size_t>(static_cast<std::size_t>(std::bit_width(packets - 1)), N - 1)];
}

// A flow's average packet: either small (ACKs, requests, chatter: up to
// `small_payload` bytes of payload) or large (the data direction of a
// transfer), in the proportion that gives the bin's mean.
unsigned packet_size_for(double mean, unsigned header, unsigned small_payload, Random& rng) {
  const double lo = header + 1, hi = header + small_payload + 1;
  const double small_mean = (hi - lo) / std::log(hi / lo);  // of the log-uniform below
  constexpr double big_lo = 500, big_hi = mtu - 40, big_mean = (big_lo + big_hi) / 2;
  if (rng.chance((mean - small_mean) / (big_mean - small_mean)))
    return static_cast<unsigned>(big_lo + rng.unit() * (big_hi - big_lo));
  return static_cast<unsigned>(rng.log_uniform(lo, hi));
}

// The mean gap between a flow's packets: from sub-millisecond bursts to a
// keep-alive every few seconds, never past the inactive timeout.
double packet_gap_ms(Random& rng) { return rng.log_uniform(0.3, 8000.0); }

struct Service {
  std::uint16_t port;  // 0: peer-to-peer, random ports at both ends
  unsigned weight;
};
constexpr Service tcp_services[] = {{443, 55}, {80, 14},  {22, 2},   {25, 1},   {587, 1}, {993, 2},
                                    {8080, 2}, {3389, 1}, {5228, 2}, {8443, 1}, {0, 19}};

template <std::size_t N>
std::uint16_t pick_port(const Service (&services)[N], Random& rng) {
  unsigned total = 0;
  for (const auto& s : services) total += s.weight;
  auto r = static_cast<unsigned>(rng.below(total));
  for (const auto& s : services) {
    if (r < s.weight) return s.port;
    r -= s.weight;
  }
  return services[0].port;
}

// nflow-generator's mix, with sizes that fit each application.
struct App {
  std::uint8_t proto;
  std::uint16_t port;
  unsigned weight;
  unsigned min_packet_size, max_packet_size;
  unsigned max_packets;
};
constexpr App nflow_apps[] = {
    {tcp, 80, 20, 40, 1500, 200},    // HTTP
    {tcp, 443, 30, 40, 1500, 400},   // HTTPS
    {tcp, 8080, 5, 40, 1500, 200},   // HTTP-alt
    {udp, 53, 15, 60, 120, 2},       // DNS queries
    {udp, 123, 5, 76, 76, 2},        // NTP
    {tcp, 22, 4, 40, 1200, 500},     // SSH
    {tcp, 993, 3, 40, 1500, 100},    // IMAPS
    {tcp, 3306, 3, 40, 1500, 300},   // MySQL
    {udp, 161, 3, 60, 484, 4},       // SNMP
    {tcp, 21, 2, 40, 1500, 50},      // FTP
    {tcp, 4662, 2, 40, 1500, 1000},  // P2P (eDonkey)
    {tcp, 6881, 3, 40, 1500, 2000},  // BitTorrent
    {icmp, 0, 3, 64, 98, 10},        // ICMP echo
    {udp, 0, 2, 40, 1500, 20},       // random
};

const App& pick_app(Random& rng) {
  unsigned total = 0;
  for (const auto& a : nflow_apps) total += a.weight;
  auto r = static_cast<unsigned>(rng.below(total));
  for (const auto& a : nflow_apps) {
    if (r < a.weight) return a;
    r -= a.weight;
  }
  return nflow_apps[0];
}

constexpr std::size_t popular_hosts = 4096;

std::vector<double> zipf_weights(std::size_t n, double exponent) {
  std::vector<double> w(n);
  for (std::size_t k = 0; k < n; ++k) w[k] = 1.0 / std::pow(static_cast<double>(k + 1), exponent);
  return w;
}

}  // namespace

struct Background::Endpoints {
  IpAddress client, server;
  std::uint16_t client_port, server_port;
};

Background::Background(const GeneratorConfig& config, const Hosts& hosts)
    : profile_(config.profile),
      ipv6_ratio_(config.ipv6_ratio),
      hosts_(hosts),
      stamp_{config.exporters, &hosts, config.active_timeout_ms},
      popularity_(zipf_weights(popular_hosts, 1.1)) {}

void Background::next(Random& rng, std::uint64_t export_ms, FlowRecord& f) const {
  if (profile_ == Profile::nflow)
    nflow(rng, export_ms, f);
  else
    realistic(rng, export_ms, f);
}

void Background::nflow(Random& rng, std::uint64_t export_ms, FlowRecord& f) const {
  const App& app = pick_app(rng);
  f.src_addr = IpAddress::v4(0x0a000000u | static_cast<std::uint32_t>(rng.below(1u << 24)));  // 10.0.0.0/8 clients
  f.dst_addr = IpAddress::v4(0xac100000u | static_cast<std::uint32_t>(rng.below(1u << 20)));  // 172.16.0.0/12 servers
  f.proto = app.proto;
  if (app.proto == icmp) {
    f.dst_port = 0x0800;  // echo request: type << 8 | code
  } else {
    f.src_port = ephemeral_port(rng);
    f.dst_port = app.port != 0 ? app.port : static_cast<std::uint16_t>(rng.between(1024, 65535));
  }
  f.packets = rng.between(1, app.max_packets);
  if (f.proto == tcp) {
    if (f.packets == 1) {
      f.tcp_flags = syn;  // a lone SYN: a scan or a lost handshake, 40-64 bytes
      f.bytes = rng.between(44, 64);
    } else {
      const auto size = rng.between(app.min_packet_size, app.max_packet_size);
      f.tcp_flags = syn | ack | (size > 40 ? psh : 0) | (rng.chance(0.9) ? fin : rst);
      f.bytes = f.packets * size;
    }
  } else {
    f.bytes = f.packets * rng.between(app.min_packet_size, app.max_packet_size);
  }
  const std::uint64_t duration = rng.below(std::min<std::uint64_t>(60'000, (f.packets - 1) * inactive_timeout_ms));
  stamp_(f, rng, export_ms - std::min(export_ms, rng.below(1000)), duration);
}

Background::Endpoints Background::endpoints(Random& rng, bool ipv6, bool peer_to_peer) const {
  Endpoints e;
  const std::size_t client = popularity_.draw(rng);
  e.client = hosts_.internal(ipv6, client);
  e.client_port = ephemeral_port(rng);
  if (peer_to_peer) {
    e.server = hosts_.external(ipv6, rng.next());
    e.server_port = static_cast<std::uint16_t>(rng.between(1024, 65535));
    e.client_port = static_cast<std::uint16_t>(rng.between(1024, 65535));
  } else if (rng.chance(0.7)) {  // most services are on the Internet, a few inside
    e.server = hosts_.external(ipv6, popularity_.draw(rng));
  } else {
    std::size_t server = popularity_.draw(rng);
    if (server == client) server = (server + 1) % popular_hosts;
    e.server = hosts_.internal(ipv6, server);
  }
  return e;
}

void Background::orient(FlowRecord& f, const Endpoints& e, bool from_client) {
  f.src_addr = from_client ? e.client : e.server;
  f.dst_addr = from_client ? e.server : e.client;
  f.src_port = from_client ? e.client_port : e.server_port;
  f.dst_port = from_client ? e.server_port : e.client_port;
}

bool Background::cut(std::uint64_t& duration_ms, double gap_ms, Random& rng) const {
  if (duration_ms + 1000 < stamp_.active_timeout_ms) return false;  // within a second of it: the timer fired
  duration_ms = stamp_.active_timeout_ms - static_cast<std::uint64_t>(rng.unit() * std::min(gap_ms, 1000.0));
  return true;
}

void Background::realistic(Random& rng, std::uint64_t export_ms, FlowRecord& f) const {
  const bool ipv6 = hosts_.has_v6() && (!hosts_.has_v4() || rng.chance(ipv6_ratio_));
  const std::uint64_t end_ms = export_ms - std::min(export_ms, rng.below(1000));  // exported within a second
  const double r = rng.unit();
  if (r < tcp_share)
    tcp_flow(f, rng, ipv6, end_ms);
  else if (r < tcp_share + udp_share)
    udp_flow(f, rng, ipv6, end_ms);
  else
    icmp_flow(f, rng, ipv6, end_ms);
}

void Background::tcp_flow(FlowRecord& f, Random& rng, bool ipv6, std::uint64_t end_ms) const {
  const std::uint16_t port = pick_port(tcp_services, rng);
  Endpoints e = endpoints(rng, ipv6, port == 0);
  if (port != 0) e.server_port = port;
  const unsigned header = ipv6 ? 60 : 40;  // IP + TCP without options: a bare ACK or RST
  f.proto = tcp;
  f.packets = draw_packets(tcp_packets_cdf, rng);
  bool from_client = rng.chance(0.5);
  std::uint64_t duration = 0;
  const double u = rng.unit();
  if ((f.packets == 1 && u < 0.10) || (f.packets == 2 && u < 0.05) || (f.packets == 3 && u < 0.02)) {
    // Half-open: SYN and its retransmissions (after 1 s, then 2 s more), no answer.
    from_client = true;
    f.tcp_flags = syn;
    f.bytes = f.packets * rng.between(header + 4, header + 20);  // MSS, SACK, timestamps, window scale options
    duration = f.packets == 1 ? 0 : (f.packets == 2 ? 1000 : 3000) + rng.below(30);
  } else if (f.packets == 1 && u < 0.16) {
    from_client = false;  // refused: the server's RST answers the SYN
    f.tcp_flags = rst | ack;
    f.bytes = header;
  } else if (f.packets == 1 && u < 0.26) {
    f.tcp_flags = rng.chance(0.8) ? ack : fin | ack;  // a lone ACK: the tail of a connection
    f.bytes = header + (rng.chance(0.5) ? 12 : 0);    // with or without timestamps
  } else if (f.packets == 2 && u < 0.15) {
    from_client = false;  // the server's side of a connection that sent no data: SYN-ACK, FIN
    f.tcp_flags = syn | ack | fin;
    f.bytes = 2 * (header + rng.below(13));
    const double gap = packet_gap_ms(rng);
    duration = static_cast<std::uint64_t>(gap);
  } else {
    // Data: a whole connection (SYN to FIN or RST) or a piece of one that the
    // exporter's timeouts split off (no SYN).
    const bool whole = f.packets >= 3 && rng.chance(f.packets == 3 ? 0.5 : 0.6);
    const unsigned size =
        packet_size_for(mean_for(tcp_data_packet_size, f.packets), header, f.packets == 2 ? 120 : 250, rng);
    f.bytes = f.packets * size;
    const double gap = packet_gap_ms(rng);
    duration = f.packets == 1 ? 0 : static_cast<std::uint64_t>(static_cast<double>(f.packets - 1) * gap);
    f.tcp_flags = ack | psh | (whole ? syn : 0);
    // Unless the active timeout cut it, a whole connection ends with FIN or
    // RST; of the pieces, the last one does.
    if (!cut(duration, gap, rng) && (whole || rng.chance(0.3))) f.tcp_flags |= rng.chance(0.9) ? fin : rst;
  }
  orient(f, e, from_client);
  stamp_(f, rng, end_ms, duration);
}

void Background::udp_flow(FlowRecord& f, Random& rng, bool ipv6, std::uint64_t end_ms) const {
  const unsigned header = ipv6 ? 48 : 28;  // IP + UDP
  f.proto = udp;
  f.packets = draw_packets(udp_packets_cdf, rng);
  const double u = rng.unit();
  const bool small = f.packets <= 2;
  Endpoints e;
  double gap = packet_gap_ms(rng);
  bool from_client = rng.chance(0.5);
  if ((small && u < 0.40) || (f.packets <= 4 && u < 0.03)) {
    e = endpoints(rng, ipv6, false);  // DNS: a query or its answer; several: retries
    e.server_port = 53;
    f.bytes = f.packets * (from_client ? rng.between(header + 17, header + 80)
                                       : static_cast<std::uint64_t>(rng.log_uniform(header + 45, header + 700)));
    gap = static_cast<double>(rng.between(1000, 5000));
  } else if ((small && u < 0.44) || (f.packets <= 8 && u < 0.05)) {
    e = endpoints(rng, ipv6, false);  // NTP: 48 bytes, one exchange or an iburst of 2 s apart
    e.server_port = 123;
    f.bytes = f.packets * (header + 48);
    gap = 2000 + static_cast<double>(rng.below(20));
  } else if ((small && u < 0.52) || (!small && u < 0.50)) {
    e = endpoints(rng, ipv6, false);  // QUIC
    e.server_port = 443;
    f.bytes = f.packets * packet_size_for(mean_for(udp_packet_size, f.packets), header + 20, small ? 330 : 130, rng);
  } else {
    e = endpoints(rng, ipv6, true);  // peer-to-peer, games, VoIP: random ports
    f.bytes = f.packets * packet_size_for(mean_for(udp_packet_size, f.packets), header, small ? 350 : 150, rng);
  }
  std::uint64_t duration = static_cast<std::uint64_t>(static_cast<double>(f.packets - 1) * gap);
  cut(duration, gap, rng);
  orient(f, e, from_client);
  stamp_(f, rng, end_ms, duration);
}

void Background::icmp_flow(FlowRecord& f, Random& rng, bool ipv6, std::uint64_t end_ms) const {
  const unsigned header = ipv6 ? 48 : 28;  // IP + ICMP
  const Endpoints e = endpoints(rng, ipv6, false);
  f.proto = ipv6 ? icmpv6 : icmp;
  const double u = rng.unit();
  bool from_client = true;
  std::uint8_t type = 0, code = 0;
  std::uint64_t duration = 0;
  if (u < 0.75) {
    // Echo request or reply: ping's 56 data bytes (Linux) or 32 (Windows), one a second.
    from_client = u < 0.40;
    type = ipv6 ? (from_client ? 128 : 129) : (from_client ? 8 : 0);
    f.packets = rng.chance(0.5) ? 1 : rng.between(2, 10);
    f.bytes = f.packets * (header + (rng.chance(0.6) ? 56 : 32));
    duration = (f.packets - 1) * (1000 + rng.below(3));
  } else {
    // Destination unreachable (host, port, prohibited) or time exceeded
    // (traceroute): the offending packet's header and at least 8 bytes of it,
    // up to 576 bytes (IPv4) or 1280 (IPv6).
    from_client = false;
    if (u < 0.92) {
      type = ipv6 ? 1 : 3;
      constexpr std::uint8_t v4_codes[] = {1, 3, 3, 3, 13}, v6_codes[] = {0, 1, 3, 4, 4};
      code = (ipv6 ? v6_codes : v4_codes)[rng.below(5)];
    } else {
      type = ipv6 ? 3 : 11;
    }
    f.packets = rng.chance(0.8) ? 1 : rng.between(2, 3);
    f.bytes = f.packets * rng.between(header + (ipv6 ? 48 : 28), ipv6 ? 1280 : 576);
    duration = (f.packets - 1) * rng.between(100, 3000);
  }
  orient(f, e, from_client);
  f.src_port = 0;
  f.dst_port = static_cast<std::uint16_t>(type << 8 | code);
  stamp_(f, rng, end_ms, duration);
}

}  // namespace sluice::flowgen
