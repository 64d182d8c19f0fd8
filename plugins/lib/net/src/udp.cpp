#include "sluice/net/udp.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "sluice/net/sockaddr.h"

namespace sluice::net {
namespace {

[[noreturn]] void fail(const std::string& what, const Endpoint& endpoint) {
  throw std::runtime_error(what + " " + to_string(endpoint) + ": " + std::strerror(errno));
}

}  // namespace

UdpReceiver::UdpReceiver(const ReceiverConfig& config)
    : buffers_(batch_size * max_datagram),
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
  const int on = 1;
  setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
  if (config.reuse_port && setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
    fail("cannot share (SO_REUSEPORT)", config.listen);
  if (bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    const int error = errno;
    close(fd_);
    errno = error;
    fail("cannot listen on", config.listen);
  }
  for (std::size_t i = 0; i < batch_size; ++i) {
    parts_[i] = {buffers_.data() + i * max_datagram, max_datagram};
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
    datagrams_[i] = {address_of(senders_[i]), {buffers_.data() + i * max_datagram, messages_[i].msg_len}};
  }
  return {datagrams_.data(), static_cast<std::size_t>(n)};
}

UdpSender::UdpSender(std::vector<Target> targets) : targets_(std::move(targets)), fds_(targets_.size(), -1) {}

UdpSender::~UdpSender() {
  for (int fd : fds_)
    if (fd >= 0) close(fd);
}

void UdpSender::open() {
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    sockaddr_storage to;
    const socklen_t length = to_sockaddr(targets_[i].endpoint, to);
    fds_[i] = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fds_[i] < 0 || connect(fds_[i], reinterpret_cast<const sockaddr*>(&to), length) != 0)
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
