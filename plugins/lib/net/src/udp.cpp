#include "sluice/net/udp.h"

#include <linux/filter.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <string>

#include "sluice/net/sockaddr.h"

namespace sluice::net {
namespace {

[[noreturn]] void fail(const std::string& what, const Endpoint& endpoint) {
  throw std::runtime_error(what + " " + to_string(endpoint) + ": " + std::strerror(errno));
}

// The kernel runs a reuseport program with the data at the UDP payload: the
// sender's address is read relative to the IP header.
constexpr std::uint32_t ip_header(int offset) { return static_cast<std::uint32_t>(SKF_NET_OFF + offset); }

// Receive slots lie max_datagram bytes apart plus 25 cache lines: exactly
// 64 KB apart, the datagrams of one receive would all start in the same
// cache sets and, more than a set's ways, evict one another before the
// decoder reads them; shifted so, MTU-sized datagrams fill distinct sets.
constexpr std::size_t slot_stride = UdpReceiver::max_datagram + std::size_t{25} * 64;

// Picks the socket of the group for each datagram from a hash of the
// sender's address (IPv6: its four words xored). Attached after bind: a
// program attached before gives the socket a group of its own, and the next
// socket's bind fails (address in use).
bool steer_by_sender(int fd, unsigned sockets) {
  constexpr std::uint32_t golden = 2654435761U;  // Knuth's multiplicative hash
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ip_header(0)),  // the IP version
      BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 11),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_header(8)),  // IPv6: the source's four words
      BPF_STMT(BPF_MISC | BPF_TAX, 0),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_header(12)),
      BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
      BPF_STMT(BPF_MISC | BPF_TAX, 0),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_header(16)),
      BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
      BPF_STMT(BPF_MISC | BPF_TAX, 0),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_header(20)),
      BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
      BPF_STMT(BPF_JMP | BPF_JA, 1),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_header(12)),  // IPv4: the source address
      BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, golden),
      BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
      BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, sockets),
      BPF_STMT(BPF_RET | BPF_A, 0),
  };
  const sock_fprog program{static_cast<unsigned short>(std::size(code)), code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program) == 0;
}

}  // namespace

UdpReceiver::UdpReceiver(const ReceiverConfig& config)
    : buffers_(batch_size * slot_stride),
      messages_(batch_size),
      parts_(batch_size),
      senders_(batch_size),
      controls_(batch_size),
      datagrams_(batch_size) {
  sockaddr_storage address;
  const socklen_t length = to_sockaddr(config.listen, address);
  fd_ = socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail("cannot open a UDP socket for", config.listen);
  if (config.receive_buffer > 0) {
    // Beyond net.core.rmem_max only with privileges: try, then settle.
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &config.receive_buffer, sizeof config.receive_buffer) != 0)
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &config.receive_buffer, sizeof config.receive_buffer);
  }
  int granted = 0;
  socklen_t granted_size = sizeof granted;
  if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &granted, &granted_size) == 0)
    buffer_bytes_ = static_cast<std::size_t>(granted);
  const int on = 1;
  setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
  const bool shared = config.sockets > 1;
  if (shared && setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
    fail("cannot share (SO_REUSEPORT)", config.listen);
  if (bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      (shared && !steer_by_sender(fd_, config.sockets))) {
    const int error = errno;
    close(fd_);
    errno = error;
    fail(shared ? "cannot listen (SO_REUSEPORT, steered by sender) on" : "cannot listen on", config.listen);
  }
  for (std::size_t i = 0; i < batch_size; ++i) {
    parts_[i] = {buffers_.data() + i * slot_stride, max_datagram};
    messages_[i].msg_hdr.msg_iov = &parts_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
    messages_[i].msg_hdr.msg_name = &senders_[i];
    messages_[i].msg_hdr.msg_control = controls_[i].data();
  }
}

UdpReceiver::~UdpReceiver() {
  if (fd_ >= 0) close(fd_);
}

bool UdpReceiver::wait(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

std::span<const Datagram> UdpReceiver::receive() {
  for (std::size_t i = 0; i < batch_size; ++i) {
    messages_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    messages_[i].msg_hdr.msg_controllen = controls_[i].size();
  }
  const int n = recvmmsg(fd_, messages_.data(), batch_size, MSG_DONTWAIT, nullptr);
  if (n <= 0) return {};
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    msghdr& h = messages_[i].msg_hdr;
    // SO_RXQ_OVFL: the running count of drops, on every datagram.
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        std::uint32_t dropped = 0;
        std::memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
        if (dropped > kernel_drops_) kernel_drops_ = dropped;
      }
    }
    datagrams_[i] = {address_of(senders_[i]), {buffers_.data() + i * slot_stride, messages_[i].msg_len}};
  }
  return {datagrams_.data(), static_cast<std::size_t>(n)};
}

UdpSender::UdpSender(std::vector<Target> targets, std::optional<IpAddress> source)
    : targets_(std::move(targets)), source_(source), fds_(targets_.size(), -1) {}

UdpSender::~UdpSender() {
  for (int fd : fds_)
    if (fd >= 0) close(fd);
}

void UdpSender::open() {
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    sockaddr_storage to;
    const socklen_t length = to_sockaddr(targets_[i].endpoint, to);
    fds_[i] = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fds_[i] < 0) fail("cannot open a UDP socket to", targets_[i].endpoint);
    if (source_) {
      sockaddr_storage from;
      const socklen_t from_length = to_sockaddr({*source_, 0}, from);
      if (from.ss_family != to.ss_family) errno = EAFNOSUPPORT;  // an IPv4 source for an IPv6 collector
      if (from.ss_family != to.ss_family || bind(fds_[i], reinterpret_cast<const sockaddr*>(&from), from_length) != 0)
        throw std::runtime_error("cannot send from " + to_string(*source_) + " to " + to_string(targets_[i].endpoint) +
                                 ": " + std::strerror(errno));
    }
    if (connect(fds_[i], reinterpret_cast<const sockaddr*>(&to), length) != 0)
      fail("cannot open a UDP socket to", targets_[i].endpoint);
  }
}

void UdpSender::send(std::span<const std::span<const std::uint8_t>> datagrams) {
  messages_.assign(datagrams.size(), mmsghdr{});
  parts_.resize(datagrams.size());
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    parts_[i] = {const_cast<std::uint8_t*>(datagrams[i].data()), datagrams[i].size()};
    messages_[i].msg_hdr.msg_iov = &parts_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    std::size_t sent = 0;
    while (sent < messages_.size()) {
      const int n = sendmmsg(fds_[t], messages_.data() + sent, static_cast<unsigned>(messages_.size() - sent), 0);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        targets_[t].datagrams.add(static_cast<std::uint64_t>(n));
      } else if (errno != EINTR) {
        // The collector is down (ECONNREFUSED from an earlier ICMP) or the
        // buffer is full: count this datagram as not sent, go on with the next.
        targets_[t].errors.add();
        ++sent;
      }
    }
  }
}

}  // namespace sluice::net
