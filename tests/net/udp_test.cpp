// The UDP receiver and sender on loopback: what one sends the other gets,
// with its sender; kernel drops and refused sends are counted; sockets
// share a port only when asked to.
#include <gtest/gtest.h>

#include <atomic>
#include <numeric>

#include "process.h"
#include "sluice/net/udp.h"

namespace sluice::net {
namespace {

using namespace std::chrono_literals;
using sluice::testing::free_udp_port;

const IpAddress loopback = IpAddress::v4(0x7f000001);

std::vector<std::vector<std::uint8_t>> numbered(std::size_t count, std::size_t size) {
  std::vector<std::vector<std::uint8_t>> datagrams(count, std::vector<std::uint8_t>(size));
  for (std::size_t i = 0; i < count; ++i)
    std::iota(datagrams[i].begin(), datagrams[i].end(), static_cast<std::uint8_t>(i));
  return datagrams;
}

// A target whose counters count into cells of its own (a default Counter
// counts into one cell all unregistered counters share).
struct Counted {
  std::atomic<std::uint64_t> sent{0}, errors{0};
  Target target(unsigned short port) { return {{loopback, port}, Counter(sent), Counter(errors)}; }
};

std::vector<std::span<const std::uint8_t>> spans(const std::vector<std::vector<std::uint8_t>>& datagrams) {
  return {datagrams.begin(), datagrams.end()};
}

TEST(Udp, WhatTheSenderSendsTheReceiverGets) {
  const unsigned short port = free_udp_port();
  UdpReceiver receiver({.listen = {loopback, port}, .receive_buffer = 4 << 20});
  Counted counted;
  UdpSender sender({counted.target(port)});
  sender.open();
  const auto datagrams = numbered(200, 1000);
  sender.send(spans(datagrams));
  EXPECT_EQ(counted.sent, 200u);
  EXPECT_EQ(counted.errors, 0u);

  std::vector<std::vector<std::uint8_t>> got;
  while (got.size() < datagrams.size() && receiver.wait(2s)) {
    for (const auto& d : receiver.receive()) {
      EXPECT_EQ(d.sender, loopback);
      got.emplace_back(d.bytes.begin(), d.bytes.end());
    }
  }
  EXPECT_EQ(got, datagrams);
  EXPECT_EQ(receiver.kernel_drops(), 0u);
  EXPECT_TRUE(receiver.receive().empty());
}

// A sender bound to another loopback address: collectors tell exporters
// apart by it. One not of this host, or of the other family, is refused by name.
TEST(Udp, DatagramsLeaveFromTheSourceAddress) {
  const unsigned short port = free_udp_port();
  UdpReceiver receiver({.listen = {loopback, port}});
  Counted counted;
  const IpAddress source = IpAddress::v4(0x7f00000b);  // 127.0.0.11
  UdpSender sender({counted.target(port)}, source);
  sender.open();
  sender.send(spans(numbered(3, 100)));
  std::size_t received = 0;
  while (received < 3 && receiver.wait(2s)) {
    for (const auto& d : receiver.receive()) {
      EXPECT_EQ(d.sender, source);
      ++received;
    }
  }
  EXPECT_EQ(received, 3u);

  Counted elsewhere;
  UdpSender foreign({elsewhere.target(port)}, parse_address("192.0.2.1"));
  EXPECT_THROW(foreign.open(), std::runtime_error);
  UdpSender v6({elsewhere.target(port)}, parse_address("::1"));
  try {
    v6.open();
    FAIL() << "an IPv6 source for an IPv4 collector";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).find("cannot send from ::1 to 127.0.0.1:"), 0u) << e.what();
  }
}

TEST(Udp, TheReceiverCountsWhatTheKernelDropped) {
  const unsigned short port = free_udp_port();
  UdpReceiver receiver({.listen = {loopback, port}, .receive_buffer = 8192});
  Counted counted;
  UdpSender sender({counted.target(port)});
  sender.open();
  sender.send(spans(numbered(300, 1200)));  // far beyond the buffer, nobody reading
  std::size_t received = 0;
  while (receiver.wait(200ms)) received += receiver.receive().size();
  // The kernel tells the count with each datagram it queues: the ones
  // queued before the drops say none, the next one says them all.
  sender.send(spans(numbered(1, 100)));
  while (receiver.wait(200ms)) received += receiver.receive().size();
  EXPECT_GT(received, 1u);
  EXPECT_GT(receiver.kernel_drops(), 0u);
  EXPECT_EQ(received + receiver.kernel_drops(), 301u);
}

TEST(Udp, ASendToNobodyIsCountedAsAnError) {
  const unsigned short nobody = free_udp_port();
  const unsigned short port = free_udp_port();
  UdpReceiver receiver({.listen = {loopback, port}});
  Counted down, up;
  UdpSender sender({down.target(nobody), up.target(port)});
  sender.open();
  // The first send to a closed port is accepted; the ICMP "port
  // unreachable" it draws fails a later one.
  for (int i = 0; i < 20; ++i) sender.send(spans(numbered(2, 100)));
  EXPECT_GT(down.errors, 0u);
  EXPECT_EQ(down.errors + down.sent, 40u);
  EXPECT_EQ(up.sent, 40u);  // the other collector gets everything
  EXPECT_EQ(up.errors, 0u);
}

TEST(Udp, SocketsShareAPortOnlyWhenAsked) {
  const unsigned short port = free_udp_port();
  UdpReceiver first({.listen = {loopback, port}, .sockets = 2});
  EXPECT_NO_THROW(UdpReceiver({.listen = {loopback, port}, .sockets = 2}));
  UdpReceiver alone({.listen = {loopback, free_udp_port()}});
  try {
    const UdpReceiver taken({.listen = {loopback, port}});
    FAIL() << "bound a port in use";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
  }
  EXPECT_THROW(UdpReceiver({.listen = {parse_endpoint("192.0.2.1:1").address, 1}}), std::runtime_error);
}

}  // namespace
}  // namespace sluice::net
