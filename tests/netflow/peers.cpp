#include "peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

namespace sluice::netflow::test {
namespace {

using sluice::testing::eventually;

// "2026-11-27T09:57:52.005" (UTC, as TZ=UTC makes nfdump print) to ms.
std::uint64_t parse_time_ms(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    throw std::runtime_error("nfdump time: " + s);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::uint64_t>(timegm(&tm)) * 1000 + static_cast<std::uint64_t>(ms);
}

IpAddress parse_address(const std::string& s) {
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return IpAddress::v4(ntohl(v4.s_addr));
  std::uint8_t v6[16];
  if (inet_pton(AF_INET6, s.c_str(), v6) == 1) return IpAddress::v6(v6);
  throw std::runtime_error("nfdump address: " + s);
}

// nfdump prints TCP flags as "CEUAPRSF" with '.' for a clear bit.
std::uint8_t parse_tcp_flags(const std::string& s) {
  std::uint8_t flags = 0;
  for (std::size_t i = 0; i < s.size() && i < 8; ++i)
    if (s[i] != '.') flags |= static_cast<std::uint8_t>(1u << (7 - i));
  return flags;
}

}  // namespace

std::vector<FlowRecord> parse_nfdump_json(const std::string& text) {
  // One "key" : value per line; a record ends at "}".
  std::vector<FlowRecord> flows;
  FlowRecord f;
  bool in_flow = false;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find('}') != std::string::npos) {
      if (in_flow) flows.push_back(f);
      f = {};
      in_flow = false;
      continue;
    }
    const auto colon = line.find("\" : ");
    const auto open = line.find('"');
    if (colon == std::string::npos || open == std::string::npos) continue;
    const std::string key = line.substr(open + 1, colon - open - 1);
    std::string value = line.substr(colon + 4);
    if (!value.empty() && value.back() == ',') value.pop_back();
    if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
    const auto number = [&] { return std::stoull(value); };
    if (key == "type")
      in_flow = value == "FLOW";
    else if (key == "first")
      f.first_ms = parse_time_ms(value);
    else if (key == "last")
      f.last_ms = parse_time_ms(value);
    else if (key == "in_packets")
      f.packets = number();
    else if (key == "in_bytes")
      f.bytes = number();
    else if (key == "out_packets")
      f.reverse_packets = number();
    else if (key == "out_bytes")
      f.reverse_bytes = number();
    else if (key == "proto")
      f.proto = static_cast<std::uint8_t>(number());
    else if (key == "tcp_flags")
      f.tcp_flags = parse_tcp_flags(value);
    else if (key == "src_port")
      f.src_port = static_cast<std::uint16_t>(number());
    else if (key == "dst_port")
      f.dst_port = static_cast<std::uint16_t>(number());
    else if (key == "icmp_type")
      f.dst_port = static_cast<std::uint16_t>(f.dst_port | number() << 8);
    else if (key == "icmp_code")
      f.dst_port = static_cast<std::uint16_t>(f.dst_port | number());
    else if (key == "src_tos")
      f.tos = static_cast<std::uint8_t>(number());
    else if (key == "dst_tos")
      f.dst_tos = static_cast<std::uint8_t>(number());
    else if (key == "src4_addr" || key == "src6_addr")
      f.src_addr = parse_address(value);
    else if (key == "dst4_addr" || key == "dst6_addr")
      f.dst_addr = parse_address(value);
    else if (key == "ip4_next_hop" || key == "ip6_next_hop")
      f.next_hop = parse_address(value);  // 0.0.0.0 as sent: our decoder keeps what the wire says
    else if (key == "ip4_router" || key == "ip6_router")
      f.exporter = parse_address(value);
    else if (key == "input_snmp")
      f.in_if = static_cast<std::uint32_t>(number());
    else if (key == "output_snmp")
      f.out_if = static_cast<std::uint32_t>(number());
    else if (key == "src_as")
      f.src_as = static_cast<std::uint32_t>(number());
    else if (key == "dst_as")
      f.dst_as = static_cast<std::uint32_t>(number());
    else if (key == "src_mask")
      f.src_mask = static_cast<std::uint8_t>(number());
    else if (key == "dst_mask")
      f.dst_mask = static_cast<std::uint8_t>(number());
    else if (key == "fwd_status")
      f.fwd_status = static_cast<std::uint8_t>(number());
    else if (key == "direction")
      f.direction = static_cast<std::uint8_t>(number());
  }
  return flows;
}

Nfcapd::Nfcapd(ReceiveBuffer buffer) : port_(sluice::testing::free_udp_port()) {
  std::vector<std::string> argv{"nfcapd", "-w",  dir_.path().string(), "-p", std::to_string(port_), "-b", "127.0.0.1",
                                "-t",     "3600"};
  if (buffer == ReceiveBuffer::large) argv.insert(argv.end(), {"-B", "8388608"});
  process_ = std::make_unique<sluice::testing::Process>(argv);
  if (!eventually([&] { return sluice::testing::udp_port_bound(port_) || !process_->running(); }) ||
      !process_->running())
    throw std::runtime_error("nfcapd did not start: " + process_->wait().err);
}

Nfcapd::~Nfcapd() {
  if (process_ && process_->running()) stop();
}

void Nfcapd::stop() {
  // Let nfcapd read everything sent before asking it to end.
  eventually([&] { return sluice::testing::udp_receive_queue_empty(port_); });
  process_->signal(SIGTERM);
  const auto result = process_->wait(std::chrono::seconds(20));
  if (result.exit_code != 0)
    throw std::runtime_error("nfcapd exit " + std::to_string(result.exit_code) + ": " + result.err);
}

std::vector<std::filesystem::path> Nfcapd::files() const {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    if (entry.path().filename().string().starts_with("nfcapd.2")) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<FlowRecord> Nfcapd::flows() const {
  std::vector<FlowRecord> all;
  for (const auto& file : files()) {
    const auto nfdump = [&](const std::string& format) {
      auto result = sluice::testing::run({"nfdump", "-q", "-r", file.string(), "-o", format},
                                         {.cwd = {}, .env = {{"TZ", "UTC"}}});
      if (result.exit_code != 0) throw std::runtime_error("nfdump: " + result.err);
      return result.out;
    };
    auto flows = parse_nfdump_json(nfdump("json"));
    // JSON leaves out the engine; the same records in the same order as
    // "type/id" lines fill it in.
    std::istringstream engines(nfdump("fmt:%eng"));
    for (auto& f : flows) {
      std::string line;
      unsigned type = 0, id = 0;
      if (!std::getline(engines, line) || std::sscanf(line.c_str(), " %u/%u", &type, &id) != 2)
        throw std::runtime_error("nfdump fmt:%eng: " + line);
      f.engine_type = static_cast<std::uint8_t>(type);
      f.engine_id = static_cast<std::uint8_t>(id);
    }
    all.insert(all.end(), flows.begin(), flows.end());
  }
  return all;
}

std::uint64_t Nfcapd::file_statistic(const std::string& name) const {
  std::uint64_t total = 0;
  const std::string label = "\n" + name + ": ";
  for (const auto& file : files()) {
    const auto result = sluice::testing::run({"nfdump", "-r", file.string(), "-I"});
    const auto at = ("\n" + result.out).find(label);
    if (at == std::string::npos) throw std::runtime_error("nfdump -I: no \"" + name + "\" line: " + result.out);
    total += std::stoull(result.out.substr(at + label.size() - 1));
  }
  return total;
}

FlowRecord as_nfdump_shows(FlowRecord f, int version) {
  f.received_ms = 0;
  f.observation_domain = 0;
  f.sampling_interval = 1;
  f.export_version = 0;  // its JSON does not say these
  f.end_reason = f.biflow_direction = 0;
  f.present = 0;  // nfdump's CSV prints an absent element as a zero one (its nffile keeps them apart)
  if (version == 5) f.src_mask = f.dst_mask = 0;
  // v1 and v5 records always carry a next hop; nfdump 1.7.1 stores none where
  // it is 0.0.0.0 (tshark shows the field, 0.0.0.0, in every record). Our
  // decoder keeps what was sent.
  if (version <= 5 && f.next_hop == IpAddress::v4(0)) f.next_hop = IpAddress{};
  if (version == 10) f.fwd_status = 0;
  return f;
}

}  // namespace sluice::netflow::test
