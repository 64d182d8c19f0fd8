// Test support: UDP datagrams to and from 127.0.0.1, and pcap files of them
// for tshark.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace sluice::testing {

using Bytes = std::vector<std::uint8_t>;

// Sends the datagrams to to_host:port, pausing now and then so that the
// receiver's socket buffer keeps up: these tests are about content, not speed.
// From `from_host` (hosts in host byte order, on 127.0.0.0/8: a sender or a
// receiver of its own).
void send_udp(unsigned short port, const std::vector<Bytes>& datagrams, std::uint32_t from_host = 0x7f000001,
              std::uint32_t to_host = 0x7f000001);

// A UDP socket on 127.0.0.1 that collects what arrives.
class UdpReceiver {
 public:
  UdpReceiver();
  ~UdpReceiver();
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;
  unsigned short port() const noexcept { return port_; }
  // Datagrams received until none arrived for `quiet_ms`.
  std::vector<Bytes> receive_until_quiet(int quiet_ms = 500);

 private:
  int fd_ = -1;
  unsigned short port_ = 0;
};

// A pcap (raw IPv4 link type) with one UDP packet per datagram, to `port`.
void write_pcap(const std::filesystem::path& file, unsigned short port, const std::vector<Bytes>& datagrams);

}  // namespace sluice::testing
