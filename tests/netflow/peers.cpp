#include "peers.h"

#include "test_flows.h"  // PrintTo(FlowRecord)

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

sockaddr_in loopback(unsigned short port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

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
    else if (key == "ip4_next_hop" || key == "ip6_next_hop") {
      // A zero next hop is no next hop, as our decoder reads it.
      const IpAddress a = parse_address(value);
      if (!(a.is_v4() && a.v4_value() == 0) && !a.is_unspecified()) f.next_hop = a;
    } else if (key == "ip4_router" || key == "ip6_router")
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

Nfcapd::Nfcapd() : port_(sluice::testing::free_udp_port()) {
  process_ = std::make_unique<sluice::testing::Process>(
      std::vector<std::string>{"nfcapd", "-w", dir_.path().string(), "-p", std::to_string(port_), "-b", "127.0.0.1",
                               "-t", "3600", "-B", "8388608"});
  if (!eventually([&] { return sluice::testing::udp_port_bound(port_) || !process_->running(); }) ||
      !process_->running())
    throw std::runtime_error("nfcapd did not start: " + process_->wait().err);
}

Nfcapd::~Nfcapd() {
  if (process_ && process_->running()) stop();
}

// Bytes waiting in the receive queue of the UDP socket bound to `port`, from
// /proc/net/udp ("local_address" hex ip:port, "tx_queue:rx_queue" hex).
std::size_t udp_receive_queue(unsigned short port) {
  std::ifstream table("/proc/net/udp");
  std::string line;
  std::getline(table, line);  // header
  char local[64], queues[64];
  while (std::getline(table, line)) {
    unsigned slot = 0;
    if (std::sscanf(line.c_str(), " %u: %63s %*s %*s %63s", &slot, local, queues) != 3) continue;
    const std::string address(local);
    if (std::stoul(address.substr(address.find(':') + 1), nullptr, 16) != port) continue;
    const std::string q(queues);
    return std::stoul(q.substr(q.find(':') + 1), nullptr, 16);
  }
  return 0;
}

void Nfcapd::stop() {
  // Let nfcapd read everything sent before asking it to end.
  eventually([&] { return udp_receive_queue(port_) == 0; });
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

std::uint64_t Nfcapd::sequence_failures() const {
  std::uint64_t failures = 0;
  for (const auto& file : files()) {
    const auto result = sluice::testing::run({"nfdump", "-r", file.string(), "-I"});
    const auto at = result.out.find("Sequence failures: ");
    if (at == std::string::npos) throw std::runtime_error("nfdump -I: no sequence failures line: " + result.out);
    failures += std::stoull(result.out.substr(at + 19));
  }
  return failures;
}

void send_udp(unsigned short port, const std::vector<Bytes>& datagrams) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in to = loopback(port);
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    const auto& d = datagrams[i];
    if (sendto(fd, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
      throw std::runtime_error(std::string("sendto: ") + std::strerror(errno));
    // A pause every few datagrams keeps the receiver's socket buffer from
    // overflowing: these tests are about content, not speed.
    if (i % 2 == 1) usleep(1000);
  }
  close(fd);
}

UdpReceiver::UdpReceiver() : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
  sockaddr_in a = loopback(0);
  int buffer = 8 << 20;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind");
  socklen_t length = sizeof a;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length);
  port_ = ntohs(a.sin_port);
}

UdpReceiver::~UdpReceiver() { close(fd_); }

std::vector<Bytes> UdpReceiver::receive_until_quiet(int quiet_ms) {
  std::vector<Bytes> datagrams;
  pollfd p{fd_, POLLIN, 0};
  while (poll(&p, 1, quiet_ms) > 0) {
    Bytes d(65536);
    const ssize_t n = recv(fd_, d.data(), d.size(), 0);
    if (n < 0) break;
    d.resize(static_cast<std::size_t>(n));
    datagrams.push_back(std::move(d));
  }
  return datagrams;
}

void write_pcap(const std::filesystem::path& file, unsigned short port, const std::vector<Bytes>& datagrams) {
  std::ofstream out(file, std::ios::binary);
  const auto put = [&](auto v) { out.write(reinterpret_cast<const char*>(&v), sizeof v); };
  // Global header (host byte order, as pcap readers expect): magic, version
  // 2.4, zone, sigfigs, snaplen, link type 101 (raw IP).
  put(std::uint32_t{0xa1b2c3d4});
  put(std::uint16_t{2});
  put(std::uint16_t{4});
  put(std::int32_t{0});
  put(std::uint32_t{0});
  put(std::uint32_t{65535});
  put(std::uint32_t{101});
  std::uint32_t seconds = 1'795'000'000;
  for (const auto& d : datagrams) {
    const std::size_t length = 20 + 8 + d.size();
    put(seconds++);
    put(std::uint32_t{0});
    put(static_cast<std::uint32_t>(length));
    put(static_cast<std::uint32_t>(length));
    std::uint8_t ip[20] = {0x45,
                           0,
                           static_cast<std::uint8_t>(length >> 8),
                           static_cast<std::uint8_t>(length),
                           0,
                           0,
                           0x40,
                           0,
                           64,
                           17,
                           0,
                           0,
                           127,
                           0,
                           0,
                           1,
                           127,
                           0,
                           0,
                           1};
    std::uint32_t sum = 0;  // the IPv4 header checksum, so no checker complains
    for (int i = 0; i < 20; i += 2) sum += static_cast<std::uint32_t>(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = static_cast<std::uint8_t>(~sum >> 8);
    ip[11] = static_cast<std::uint8_t>(~sum);
    const std::size_t udp_length = 8 + d.size();
    const std::uint8_t udp[8] = {0x9c,
                                 0x40,
                                 static_cast<std::uint8_t>(port >> 8),
                                 static_cast<std::uint8_t>(port),
                                 static_cast<std::uint8_t>(udp_length >> 8),
                                 static_cast<std::uint8_t>(udp_length),
                                 0,
                                 0};
    out.write(reinterpret_cast<const char*>(ip), 20);
    out.write(reinterpret_cast<const char*>(udp), 8);
    out.write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size()));
  }
}

FlowRecord as_nfdump_shows(FlowRecord f, int version) {
  f.received_ms = 0;
  f.observation_domain = 0;
  f.sampling_interval = 1;
  if (version == 5) f.src_mask = f.dst_mask = 0;
  if (version == 10) f.fwd_status = 0;
  return f;
}

::testing::AssertionResult same_flows(std::vector<FlowRecord> got, std::vector<FlowRecord> want) {
  // Any total order will do: the records' bytes (their padding is zero).
  const auto by_key = [](const FlowRecord& a, const FlowRecord& b) { return std::memcmp(&a, &b, sizeof a) < 0; };
  std::sort(got.begin(), got.end(), by_key);
  std::sort(want.begin(), want.end(), by_key);
  if (got.size() != want.size()) {
    auto failure = ::testing::AssertionFailure() << got.size() << " flows where " << want.size() << " were expected";
    int shown = 0;
    for (const auto& w : want)
      if (std::find(got.begin(), got.end(), w) == got.end() && shown++ < 5)
        failure << "\n  missing or different: " << ::testing::PrintToString(w);
    return failure;
  }
  for (std::size_t i = 0; i < want.size(); ++i)
    if (!(got[i] == want[i]))
      return ::testing::AssertionFailure() << "flow " << i << " differs:\n  got  " << ::testing::PrintToString(got[i])
                                           << "\n  want " << ::testing::PrintToString(want[i]);
  return ::testing::AssertionSuccess();
}

}  // namespace sluice::netflow::test
