#include "udp.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace sluice::testing {
namespace {

sockaddr_in loopback(unsigned short port, std::uint32_t host = INADDR_LOOPBACK) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(host);
  a.sin_port = htons(port);
  return a;
}

}  // namespace

void send_udp(unsigned short port, const std::vector<Bytes>& datagrams, std::uint32_t from_host,
              std::uint32_t to_host) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in from = loopback(0, from_host);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0)
    throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  const sockaddr_in to = loopback(port, to_host);
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

}  // namespace sluice::testing
