// Attacks and misbehaviour laid over the background, each flow labelled:
// what a data scientist needs ground truth for.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/net/address.h"

namespace sluice::flowgen {

enum class ScenarioKind : std::uint8_t {
  port_scan,          // one scanner, SYN probes to many ports (vertical) or hosts (horizontal)
  syn_flood,          // SYN-only flows to one victim port, usually from spoofed sources
  udp_amplification,  // small requests "from" the victim, large answers from many reflectors
  ddos,               // a botnet's UDP flood: many sources, one victim
  brute_force,        // one attacker, many short SSH or RDP logins to one victim
  exfiltration,       // one of our hosts uploads much data to one Internet host
  beaconing,          // infected hosts call their command server every period, with jitter
};

std::string_view to_string(ScenarioKind kind) noexcept;
std::optional<ScenarioKind> parse_scenario_kind(std::string_view name) noexcept;
// "port_scan|syn_flood|...": every kind, for help texts and errors.
std::string_view scenario_kinds() noexcept;
// The label a kind's flows carry unless configured: 1 to 7, in the order above.
std::uint16_t default_label(ScenarioKind kind) noexcept;
// Flows per second a kind adds unless configured.
double default_intensity(ScenarioKind kind) noexcept;

enum class ScanDirection : std::uint8_t { vertical, horizontal };
enum class Amplifier : std::uint8_t { dns, ntp, memcached };
enum class LoginService : std::uint8_t { ssh, rdp };

struct ScenarioConfig {
  ScenarioKind kind = ScenarioKind::port_scan;
  std::uint64_t start_ms = 0;  // offset into the simulated time
  std::uint64_t duration_ms = 60'000;
  double intensity = 0;     // flows per second it adds; 0: default_intensity(kind)
  std::uint16_t label = 0;  // 0: default_label(kind)

  // Who: unset addresses are chosen from the seed (ours inside the subnets,
  // theirs on the Internet), so the same seed attacks the same hosts.
  std::optional<IpAddress> attacker = {};  // port_scan's scanner, brute_force's and a non-spoofed syn_flood's source
  std::optional<IpAddress> victim = {};    // syn_flood, udp_amplification, ddos, brute_force
  std::optional<IpAddress> source = {};    // exfiltration: our host that leaks
  std::optional<IpAddress> server = {};    // exfiltration's destination, beaconing's command server
  std::uint16_t port = 0;                  // victim port (syn_flood 80, ddos 0: random) or server port (443)

  // port_scan
  ScanDirection scan = ScanDirection::vertical;
  std::optional<net::Prefix> target = {};  // unset: one of our hosts (vertical), its /24 or /120 (horizontal)
  std::vector<std::uint16_t> ports = {};   // empty: 1-1024 (vertical), 22 80 443 445 3389 (horizontal)
  // syn_flood
  bool spoofed = true;  // a fresh random source address a SYN
  // udp_amplification
  Amplifier amplifier = Amplifier::dns;
  std::uint32_t reflectors = 200;
  // ddos
  std::uint32_t sources = 1000;
  // brute_force
  LoginService service = LoginService::ssh;
  std::uint32_t attempts = 3;  // password tries a connection
  // exfiltration
  std::uint64_t bytes = 2'000'000'000;  // uploaded over the scenario's duration
  // beaconing
  std::uint64_t period_ms = 60'000;
  double jitter = 0.1;  // each interval is period x (1 +- jitter), uniformly
};

}  // namespace sluice::flowgen
