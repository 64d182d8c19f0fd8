// What every UDP exporter sink does around its encoder: send each datagram
// to one or more collectors, count per collector what went and what did
// not, and warn (at most every 10 s) while datagrams are not delivered.
#pragma once

#include <sluice/clock.h>
#include <sluice/host.h>
#include <sluice/options.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/net/udp.h"

namespace sluice::net {

inline constexpr OptionSpec target_option{
    .name = "target", .type = OptionType::string, .help = "collector \"host:port\" (IPv6: \"[addr]:port\")"};
inline constexpr OptionSpec targets_option{
    .name = "targets", .type = OptionType::string_list, .help = "several collectors, each gets every datagram"};

// The collectors of `target` and `targets`; throws OptionError naming the
// key of a bad one, or `target` when there is none.
std::vector<Endpoint> exporter_targets(const Options& options);

class UdpExporter {
 public:
  // Registers each collector's metrics; opens nothing yet.
  UdpExporter(const std::vector<Endpoint>& targets, Host& host);

  // Opens a socket per collector; throws std::runtime_error naming one that fails.
  void open() { sender_.open(); }
  void send(std::span<const std::span<const std::uint8_t>> datagrams) { sender_.send(datagrams); }
  // Warns about datagrams not delivered since the last warning (and counts
  // them as the component's errors), at most every 10 s.
  void log_errors();
  // A line per collector that missed datagrams, for the summary.
  std::string report() const;

 private:
  Host& host_;
  UdpSender sender_;
  std::vector<std::uint64_t> errors_logged_;  // per collector
  RateLimit error_log_;
};

}  // namespace sluice::net
