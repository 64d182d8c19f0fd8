#include "sluice/flowgen/scenario_options.h"

#include <charconv>
#include <string>

namespace sluice::flowgen {
namespace {

constexpr OptionSpec specs[] = {
    {.name = "kind",
     .type = OptionType::string,
     .help = "what happens",
     .required = true,
     .choices = "port_scan|syn_flood|udp_amplification|ddos|brute_force|exfiltration|beaconing"},
    {.name = "start", .type = OptionType::duration, .help = "offset into the run's simulated time (0s)"},
    {.name = "duration", .type = OptionType::duration, .help = "how long it lasts (1m)", .min = "\"1ms\""},
    {.name = "intensity", .type = OptionType::number, .help = "flows per second it adds (a number per kind)"},
    {.name = "label",
     .type = OptionType::integer,
     .help = "the label its flows carry (a number per kind)",
     .min = "1",
     .max = "65535"},
    {.name = "attacker", .type = OptionType::string, .help = "port_scan, brute_force, syn_flood: the source"},
    {.name = "victim", .type = OptionType::string, .help = "syn_flood, udp_amplification, ddos, brute_force"},
    {.name = "source", .type = OptionType::string, .help = "exfiltration: our host that uploads"},
    {.name = "server", .type = OptionType::string, .help = "exfiltration's destination, beaconing's server"},
    {.name = "port",
     .type = OptionType::integer,
     .help = "syn_flood (80), ddos (0: random), exfiltration, beaconing",
     .min = "0",
     .max = "65535"},
    {.name = "scan", .type = OptionType::string, .help = "port_scan (vertical)", .choices = "vertical|horizontal"},
    {.name = "target", .type = OptionType::string, .help = "port_scan: a host or a prefix"},
    {.name = "ports", .type = OptionType::string, .help = "port_scan: \"1-1024\", \"22,80,443\""},
    {.name = "spoofed", .type = OptionType::boolean, .help = "syn_flood: a random source a SYN (true)"},
    {.name = "protocol", .type = OptionType::string, .help = "udp_amplification (dns)", .choices = "dns|ntp|memcached"},
    {.name = "reflectors",
     .type = OptionType::integer,
     .help = "udp_amplification (200)",
     .min = "1",
     .max = "1000000"},
    {.name = "sources", .type = OptionType::integer, .help = "ddos: bots (1000)", .min = "1", .max = "10000000"},
    {.name = "service", .type = OptionType::string, .help = "brute_force (ssh)", .choices = "ssh|rdp"},
    {.name = "attempts",
     .type = OptionType::integer,
     .help = "brute_force: tries a connection (3)",
     .min = "1",
     .max = "100"},
    {.name = "bytes", .type = OptionType::integer, .help = "exfiltration: uploaded in all (2000000000)", .min = "1"},
    {.name = "period", .type = OptionType::duration, .help = "beaconing (60s)", .min = "\"1ms\""},
    {.name = "jitter",
     .type = OptionType::number,
     .help = "beaconing: each gap is period x (1 +- jitter), below 1 (0.1)",
     .min = "0"},
};

// Which kinds take a key; the common keys every kind.
bool belongs(std::string_view key, ScenarioKind kind) {
  using enum ScenarioKind;
  if (key == "attacker") return kind == port_scan || kind == brute_force || kind == syn_flood;
  if (key == "victim") return kind == syn_flood || kind == udp_amplification || kind == ddos || kind == brute_force;
  if (key == "source") return kind == exfiltration;
  if (key == "server" || key == "port")
    return kind == exfiltration || kind == beaconing || (key == "port" && (kind == syn_flood || kind == ddos));
  if (key == "scan" || key == "target" || key == "ports") return kind == port_scan;
  if (key == "spoofed") return kind == syn_flood;
  if (key == "protocol" || key == "reflectors") return kind == udp_amplification;
  if (key == "sources") return kind == ddos;
  if (key == "service" || key == "attempts") return kind == brute_force;
  if (key == "bytes") return kind == exfiltration;
  if (key == "period" || key == "jitter") return kind == beaconing;
  return true;
}

IpAddress address(const Options& t, std::string_view key) {
  try {
    const auto prefix = net::parse_prefix(t.string(key));
    if (prefix.length != (prefix.base.is_v4() ? 32 : 128)) throw std::invalid_argument("an address, not a prefix");
    return prefix.base;
  } catch (const std::invalid_argument& e) {
    throw OptionError(std::string(key), e.what());
  }
}

// "1-1024", "22,80,443", "20-25,80".
std::vector<std::uint16_t> port_list(const std::string& text) {
  std::vector<std::uint16_t> ports;
  const auto number = [&](std::string_view s) {
    unsigned v = 0;
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (error != std::errc{} || end != s.data() + s.size() || v < 1 || v > 65535)
      throw OptionError("ports", "\"" + std::string(s) + "\" is not a port 1-65535: write \"1-1024\" or \"22,80\"");
    return static_cast<std::uint16_t>(v);
  };
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t comma = std::min(rest.find(','), rest.size());
    const std::string_view item = rest.substr(0, comma);
    const std::size_t dash = item.find('-');
    const std::uint16_t first = number(item.substr(0, dash));
    const std::uint16_t last = dash == std::string_view::npos ? first : number(item.substr(dash + 1));
    if (last < first) throw OptionError("ports", "\"" + std::string(item) + "\" runs backwards");
    for (unsigned p = first; p <= last; ++p) ports.push_back(static_cast<std::uint16_t>(p));
    rest = rest.substr(std::min(comma + 1, rest.size()));
  }
  if (ports.empty()) throw OptionError("ports", "names no port");
  return ports;
}

}  // namespace

std::span<const OptionSpec> scenario_options() noexcept { return specs; }

ScenarioConfig scenario_from(const Options& t) {
  ScenarioConfig c;
  const auto kind = parse_scenario_kind(t.string("kind"));
  if (!kind) throw OptionError("kind", "\"" + t.string("kind") + "\" is none of " + std::string(scenario_kinds()));
  c.kind = *kind;
  for (const auto& spec : specs)
    if (t.has(spec.name) && !belongs(spec.name, c.kind))
      throw OptionError(std::string(spec.name), "is not a key of " + std::string(to_string(c.kind)));
  if (t.has("start")) c.start_ms = static_cast<std::uint64_t>(t.duration("start").count());
  if (t.has("duration")) c.duration_ms = static_cast<std::uint64_t>(t.duration("duration").count());
  if (t.has("intensity")) {
    c.intensity = t.number("intensity");
    if (!(c.intensity > 0)) throw OptionError("intensity", "must be > 0");
  }
  if (t.has("label")) c.label = static_cast<std::uint16_t>(t.integer("label"));
  if (t.has("attacker")) c.attacker = address(t, "attacker");
  if (t.has("victim")) c.victim = address(t, "victim");
  if (t.has("source")) c.source = address(t, "source");
  if (t.has("server")) c.server = address(t, "server");
  if (t.has("port")) c.port = static_cast<std::uint16_t>(t.integer("port"));
  if (t.has("scan")) c.scan = t.string("scan") == "horizontal" ? ScanDirection::horizontal : ScanDirection::vertical;
  if (t.has("target")) {
    try {
      c.target = net::parse_prefix(t.string("target"));
    } catch (const std::invalid_argument& e) {
      throw OptionError("target", e.what());
    }
  }
  if (t.has("ports")) c.ports = port_list(t.string("ports"));
  if (t.has("spoofed")) c.spoofed = t.boolean("spoofed");
  if (t.has("protocol"))
    c.amplifier = t.string("protocol") == "ntp"         ? Amplifier::ntp
                  : t.string("protocol") == "memcached" ? Amplifier::memcached
                                                        : Amplifier::dns;
  if (t.has("reflectors")) c.reflectors = static_cast<std::uint32_t>(t.integer("reflectors"));
  if (t.has("sources")) c.sources = static_cast<std::uint32_t>(t.integer("sources"));
  if (t.has("service")) c.service = t.string("service") == "rdp" ? LoginService::rdp : LoginService::ssh;
  if (t.has("attempts")) c.attempts = static_cast<std::uint32_t>(t.integer("attempts"));
  if (t.has("bytes")) c.bytes = static_cast<std::uint64_t>(t.integer("bytes"));
  if (t.has("period")) c.period_ms = static_cast<std::uint64_t>(t.duration("period").count());
  if (t.has("jitter")) {
    c.jitter = t.number("jitter");
    if (!(c.jitter < 1)) throw OptionError("jitter", "must be below 1");
  }
  return c;
}

}  // namespace sluice::flowgen
