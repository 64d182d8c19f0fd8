// UDP sockets for collectors and exporters: a receiver that takes datagrams
// in batches (recvmmsg) and knows what the kernel dropped (SO_RXQ_OVFL), and
// a sender that sends batches (sendmmsg) to one or more collectors.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <sluice/metrics.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/net/address.h"

namespace sluice::net {

struct ReceiverConfig {
  Endpoint listen;
  int receive_buffer = 0;  // bytes; 0: the system's default
  // Sockets sharing the address (a source's instances), in one SO_REUSEPORT
  // group: each datagram goes to the socket picked by a hash of its sender's
  // address alone, so every datagram of a sender (its templates, its
  // sequence numbers) reaches the same socket, whatever its source port.
  unsigned sockets = 1;
};

// A datagram as it arrived; its bytes stay valid until the next receive().
struct Datagram {
  IpAddress sender;
  std::span<const std::uint8_t> bytes;
};

class UdpReceiver {
 public:
  static constexpr std::size_t batch_size = 64;       // datagrams one receive() takes at most
  static constexpr std::size_t max_datagram = 65536;  // bytes

  // Opens and binds the socket; throws std::runtime_error naming the address.
  explicit UdpReceiver(const ReceiverConfig& config);
  ~UdpReceiver();
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  // Whether a datagram is waiting, after waiting up to `timeout` for one.
  bool wait(std::chrono::milliseconds timeout);
  // The datagrams one recvmmsg call takes from the queue, without waiting:
  // none when it is empty.
  std::span<const Datagram> receive();
  // The kernel's running count of datagrams it dropped for this socket
  // because its receive buffer was full.
  std::uint64_t kernel_drops() const noexcept { return kernel_drops_; }
  // The receive buffer the kernel granted, in bytes (its accounting, which
  // counts each datagram's bookkeeping too).
  std::size_t buffer_bytes() const noexcept { return buffer_bytes_; }

 private:
  using Control = std::array<char, CMSG_SPACE(sizeof(std::uint32_t))>;

  int fd_ = -1;
  std::vector<std::uint8_t> buffers_;  // batch_size slots of max_datagram bytes, slot_stride apart
  std::vector<mmsghdr> messages_;
  std::vector<iovec> parts_;
  std::vector<sockaddr_storage> senders_;
  std::vector<Control> controls_;
  std::vector<Datagram> datagrams_;
  std::uint64_t kernel_drops_ = 0;
  std::size_t buffer_bytes_ = 0;
};

// A collector to send to, and where to count what went and what did not.
struct Target {
  Endpoint endpoint;
  Counter datagrams;  // sent
  Counter errors;     // not sent: the collector is down (ICMP port unreachable), a full buffer
};

class UdpSender {
 public:
  // `source`: the local address every datagram leaves from (port 0), which
  // the collectors see as the exporter's; none: the kernel's choice.
  explicit UdpSender(std::vector<Target> targets, std::optional<IpAddress> source = std::nullopt);
  ~UdpSender();
  UdpSender(const UdpSender&) = delete;
  UdpSender& operator=(const UdpSender&) = delete;

  // Opens a connected socket per target (connected, so that an ICMP "port
  // unreachable" comes back as an error on a later send), bound to the
  // source when there is one; throws std::runtime_error naming the target
  // (or the source, when it is not an address of this host).
  void open();
  // Sends each datagram to every target, counting it as sent or as an error.
  void send(std::span<const std::span<const std::uint8_t>> datagrams);
  const std::vector<Target>& targets() const noexcept { return targets_; }

 private:
  std::vector<Target> targets_;
  std::optional<IpAddress> source_;
  std::vector<int> fds_;
  std::vector<mmsghdr> messages_;
  std::vector<iovec> parts_;
};

}  // namespace sluice::net
