#include "sluice/flowgen/flow_generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace sluice::flowgen {
namespace {

// xoshiro256** seeded by splitmix64: fast, and the same seed gives the same
// flows on every platform (unlike std:: distributions).
class Random {
 public:
  explicit Random(std::uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + below(hi - lo + 1); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool chance(double p) { return unit() < p; }
  // Pareto: heavy-tailed, at least `minimum`.
  double pareto(double minimum, double alpha) { return minimum / std::pow(1.0 - unit(), 1.0 / alpha); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> s_;
};

std::uint64_t mix(std::uint64_t x) {
  x = (x ^ (x >> 33)) * 0xff51afd7ed558ccdULL;
  x = (x ^ (x >> 33)) * 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

constexpr std::uint8_t tcp = 6, udp = 17, icmp = 1, icmpv6 = 58;
constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;

// An application: protocol, server port, how common, and per-packet sizes.
struct App {
  std::uint8_t proto;
  std::uint16_t port;
  unsigned weight;
  unsigned min_packet_size, max_packet_size;
  unsigned max_packets;
};

// nflow-generator's mix, with sizes that fit each application.
constexpr App nflow_apps[] = {
    {tcp, 80, 20, 40, 1500, 200},    // HTTP
    {tcp, 443, 30, 40, 1500, 400},   // HTTPS
    {tcp, 8080, 5, 40, 1500, 200},   // HTTP-alt
    {udp, 53, 15, 60, 512, 2},       // DNS
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

// Realistic: popular services by rank.
constexpr App realistic_services[] = {
    {tcp, 443, 40, 40, 1500, 0}, {tcp, 80, 15, 40, 1500, 0},  {udp, 53, 15, 60, 512, 0}, {udp, 443, 8, 60, 1350, 0},
    {tcp, 22, 3, 40, 1200, 0},   {udp, 123, 3, 76, 76, 0},    {tcp, 25, 2, 40, 1500, 0}, {tcp, 993, 2, 40, 1500, 0},
    {tcp, 3306, 2, 40, 1500, 0}, {tcp, 8080, 2, 40, 1500, 0}, {icmp, 0, 4, 64, 98, 0},   {udp, 0, 4, 40, 1500, 0},
};

template <std::size_t N>
const App& pick(const App (&apps)[N], Random& rng) {
  unsigned total = 0;
  for (const auto& a : apps) total += a.weight;
  auto r = static_cast<unsigned>(rng.below(total));
  for (const auto& a : apps) {
    if (r < a.weight) return a;
    r -= a.weight;
  }
  return apps[0];
}

std::uint8_t tcp_flags_for(std::uint64_t packets, Random& rng) {
  if (packets == 1) return syn;  // a lone SYN: a scan or a lost handshake
  std::uint8_t flags = syn | ack;
  if (packets > 3) flags |= psh;
  flags |= rng.chance(0.9) ? fin : rst;
  return flags;
}

// Masks and AS numbers follow from the address, so a host always shows the
// same ones (private AS numbers 64512-65534).
std::uint8_t mask_for(const IpAddress& a) {
  const std::uint64_t h = mix(a.is_v4() ? a.v4_value() >> 8 : a.bytes[0] << 8 | a.bytes[1]);
  return static_cast<std::uint8_t>(a.is_v4() ? 16 + h % 9 : 32 + h % 33);
}
std::uint32_t as_for(const IpAddress& a) {
  std::uint64_t key = 0;
  for (std::size_t i = a.is_v4() ? 12 : 0; i < (a.is_v4() ? 15u : 6u); ++i) key = key << 8 | a.bytes[i];
  return static_cast<std::uint32_t>(64512 + mix(key) % 1023);
}

// The address at `offset` inside `subnet` (offset wraps at the subnet size).
IpAddress address_in(const netflow::Prefix& subnet, std::uint64_t offset) {
  IpAddress a = subnet.base;
  const int family_bits = subnet.base.is_v4() ? 32 : 128;
  const int host_bits = std::min(family_bits - subnet.length, 64);
  if (host_bits <= 0) return a;
  const std::uint64_t host = host_bits == 64 ? offset : offset & ((std::uint64_t{1} << host_bits) - 1);
  std::uint64_t carry = host;
  for (int i = 15; i >= 8 && carry; --i) {  // add into the low 64 bits
    const unsigned sum = a.bytes[static_cast<std::size_t>(i)] + static_cast<unsigned>(carry & 0xff);
    a.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return a;
}

constexpr std::size_t popular_hosts = 4096;

// Walker's alias method: draws from a fixed discrete distribution in
// constant time (a uniform pick, then a biased coin), built in linear time
// with Vose's two work lists.
class AliasTable {
 public:
  explicit AliasTable(const std::vector<double>& weights) : keep_(weights.size()), alias_(weights.size()) {
    const std::size_t n = weights.size();
    double total = 0;
    for (double w : weights) total += w;
    std::vector<double> scaled(n);
    std::vector<std::size_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      scaled[i] = weights[i] * static_cast<double>(n) / total;
      (scaled[i] < 1.0 ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
      const std::size_t s = small.back(), l = large.back();
      small.pop_back();
      keep_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (std::size_t i : large) keep_[i] = 1.0;
    for (std::size_t i : small) keep_[i] = 1.0;  // rounding leftovers
  }

  std::size_t draw(Random& rng) const {
    const std::size_t i = rng.below(keep_.size());
    return rng.unit() < keep_[i] ? i : alias_[i];
  }

 private:
  std::vector<double> keep_;
  std::vector<std::size_t> alias_;
};

std::vector<double> zipf_weights(std::size_t n, double exponent) {
  std::vector<double> w(n);
  for (std::size_t k = 0; k < n; ++k) w[k] = 1.0 / std::pow(static_cast<double>(k + 1), exponent);
  return w;
}

}  // namespace

IpAddress exporter_address(std::uint32_t index) { return IpAddress::v4(0x0aff0001u + index); }

struct FlowGenerator::State {
  GeneratorConfig config;
  Random rng;
  std::vector<netflow::Prefix> v4_subnets, v6_subnets;
  AliasTable host_popularity{zipf_weights(popular_hosts, 1.1)};  // Zipf over host ranks

  explicit State(GeneratorConfig c) : config(std::move(c)), rng(config.seed) {}

  IpAddress popular_host(bool ipv6, std::size_t rank) {
    const auto& subnets = ipv6 ? v6_subnets : v4_subnets;
    return address_in(subnets[rank % subnets.size()], mix(rank + (ipv6 ? 7 : 0)) | 1);
  }

  void fill_common(FlowRecord& f, std::uint64_t now_ms, double duration_ms) {
    const auto exporter = static_cast<std::uint32_t>(rng.below(config.exporters));
    f.exporter = exporter_address(exporter);
    f.engine_id = static_cast<std::uint8_t>(exporter);
    f.observation_domain = exporter;       // engine type 0, engine id: as v5 and v9 collectors read it
    f.last_ms = now_ms - rng.below(1000);  // exported within a second of its end
    f.first_ms = f.last_ms - static_cast<std::uint64_t>(duration_ms);
    f.in_if = static_cast<std::uint32_t>(1 + rng.below(48));
    f.out_if = static_cast<std::uint32_t>(1 + rng.below(48));
    f.src_mask = mask_for(f.src_addr);
    f.dst_mask = mask_for(f.dst_addr);
    f.src_as = as_for(f.src_addr);
    f.dst_as = as_for(f.dst_addr);
    f.fwd_status = 64;                                                                  // forwarded
    if (f.src_addr.is_v4()) f.next_hop = IpAddress::v4(0xac1f0001u + (exporter << 8));  // 172.31.<exporter>.1
  }

  void set_ports(FlowRecord& f, const App& app) {
    const bool is_icmp = app.proto == icmp;
    f.proto = is_icmp ? (f.src_addr.is_v4() ? icmp : icmpv6) : app.proto;
    if (is_icmp) {
      f.src_port = 0;
      f.dst_port = f.src_addr.is_v4() ? 0x0800 : 0x8000;  // echo request: type << 8 | code
    } else {
      f.src_port = static_cast<std::uint16_t>(rng.between(32768, 60999));
      f.dst_port = app.port != 0 ? app.port : static_cast<std::uint16_t>(rng.between(1024, 65535));
    }
  }

  FlowRecord nflow(std::uint64_t now_ms) {
    const App& app = pick(nflow_apps, rng);
    FlowRecord f;
    f.src_addr = IpAddress::v4(0x0a000000u | static_cast<std::uint32_t>(rng.below(1u << 24)));  // 10.0.0.0/8 clients
    f.dst_addr = IpAddress::v4(0xac100000u | static_cast<std::uint32_t>(rng.below(1u << 20)));  // 172.16.0.0/12 servers
    set_ports(f, app);
    f.packets = rng.between(1, app.max_packets);
    f.bytes = f.packets * rng.between(app.min_packet_size, app.max_packet_size);
    if (f.proto == tcp) f.tcp_flags = tcp_flags_for(f.packets, rng);
    fill_common(f, now_ms, f.packets == 1 ? 0.0 : static_cast<double>(rng.below(60'000)));
    return f;
  }

  FlowRecord realistic(std::uint64_t now_ms) {
    const bool ipv6 = !v6_subnets.empty() && (v4_subnets.empty() || rng.chance(config.ipv6_ratio));
    const App& app = pick(realistic_services, rng);
    FlowRecord f;
    const std::size_t client = host_popularity.draw(rng);
    std::size_t server = host_popularity.draw(rng);
    if (server == client) server = (server + 1) % popular_hosts;
    f.src_addr = popular_host(ipv6, client);
    f.dst_addr = popular_host(ipv6, server);
    set_ports(f, app);
    f.packets = static_cast<std::uint64_t>(std::min(rng.pareto(1.0, 1.1), 1e7));
    f.bytes = f.packets * rng.between(app.min_packet_size, app.max_packet_size);
    if (f.proto == tcp) f.tcp_flags = tcp_flags_for(f.packets, rng);
    const double duration = f.packets == 1 ? 0.0 : std::min(rng.pareto(20.0, 0.9), 1'800'000.0);
    fill_common(f, now_ms, duration);
    return f;
  }
};

FlowGenerator::FlowGenerator(GeneratorConfig config) : state_(std::make_unique<State>(std::move(config))) {
  auto& s = *state_;
  if (s.config.exporters < 1 || s.config.exporters > 256) throw std::invalid_argument("exporters must be 1 to 256");
  if (s.config.ipv6_ratio < 0 || s.config.ipv6_ratio > 1) throw std::invalid_argument("ipv6_ratio must be 0 to 1");
  if (s.config.subnets.empty())
    s.config.subnets = {netflow::parse_prefix("10.0.0.0/8"), netflow::parse_prefix("2001:db8::/32")};
  for (const auto& subnet : s.config.subnets) (subnet.base.is_v4() ? s.v4_subnets : s.v6_subnets).push_back(subnet);
  if (s.config.ipv6_ratio > 0 && s.v6_subnets.empty())
    throw std::invalid_argument("ipv6_ratio > 0 needs an IPv6 subnet");
  if (s.config.ipv6_ratio < 1 && s.v4_subnets.empty())
    throw std::invalid_argument("ipv6_ratio < 1 needs an IPv4 subnet");
}

FlowGenerator::~FlowGenerator() = default;
FlowGenerator::FlowGenerator(FlowGenerator&&) noexcept = default;
FlowGenerator& FlowGenerator::operator=(FlowGenerator&&) noexcept = default;

void FlowGenerator::generate(std::size_t count, std::uint64_t now_ms, std::vector<FlowRecord>& out) {
  out.reserve(out.size() + count);
  auto& s = *state_;
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(s.config.profile == Profile::nflow ? s.nflow(now_ms) : s.realistic(now_ms));
}

}  // namespace sluice::flowgen
