#include "support.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <sstream>
#include <thread>

namespace sluice::test {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> files_below(const std::filesystem::path& base) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(base)) {
    if (entry.is_regular_file()) names.push_back(entry.path().lexically_relative(base).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> nfdump_csv_lines(const std::filesystem::path& file) {
  const auto result =
      testing::run({"nfdump", "-r", file.string(), "-o", "csv", "-q"}, {.cwd = {}, .env = {{"TZ", "UTC"}}});
  EXPECT_EQ(result.exit_code, 0) << "nfdump -r " << file << ": " << result.err;
  return split_lines(result.out);
}

void from_one_exporter(std::span<FlowRecord> flows) {
  for (FlowRecord& f : flows) {
    f.exporter = flows[0].exporter;
    f.observation_domain = flows[0].observation_domain;
    f.sampling_interval = flows[0].sampling_interval;
  }
}

std::string nfcapd_without_creation_time(const std::filesystem::path& file) {
  std::string bytes = testing::read_file(file);
  bytes.replace(8, 8, 8, '\0');  // the file header's `created`, seconds since the epoch
  return bytes;
}

std::vector<FlowRecord> sample_flows(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&rng](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  const IpAddress exporters[] = {IpAddress::v4(0x7f000001), IpAddress::v4(0xc0000201),
                                 IpAddress::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99, 0x01})};
  const std::uint8_t protos[] = {6, 6, 6, 17, 17, 1, 58, 47, 200};
  std::vector<FlowRecord> flows(count);
  std::uint64_t clock = 1'700'000'000'000;
  for (auto& f : flows) {
    clock += pick(50);
    f.first_ms = clock;
    f.last_ms = clock + pick(120'000);
    f.received_ms = f.last_ms + 1000 + pick(1000);
    f.set_present(Element::received);
    f.packets = 1 + pick(1000);
    f.bytes = f.packets * (40 + pick(1460));
    if (pick(5) == 0) {
      f.reverse_packets = pick(500);
      f.reverse_bytes = f.reverse_packets * 60;
      f.set_present(Element::reverse_counters);
    }
    f.proto = protos[pick(std::size(protos))];
    const bool v6 = pick(4) == 0 || f.proto == 58;
    if (v6) {
      std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
      std::uint8_t b[16] = {0x2a, 0x00, 0x14, 0x50};
      for (int i = 8; i < 16; ++i)
        a[i] = static_cast<std::uint8_t>(pick(256)), b[i] = static_cast<std::uint8_t>(pick(256));
      f.src_addr = IpAddress::v6(a);
      f.dst_addr = IpAddress::v6(b);
    } else {
      f.src_addr = IpAddress::v4(0x0a000000 | pick(1 << 24));
      f.dst_addr = IpAddress::v4(0xc0a80000 | pick(1 << 16));
    }
    if (f.proto == 6 || f.proto == 17) {
      f.src_port = static_cast<std::uint16_t>(1024 + pick(60000));
      f.dst_port = static_cast<std::uint16_t>(pick(2) ? 443 : pick(65536));
    } else if (f.proto == 1 || f.proto == 58) {
      f.dst_port = static_cast<std::uint16_t>(pick(2) ? 8 << 8 : 3 << 8 | pick(16));
    }
    f.tcp_flags = f.proto == 6 ? static_cast<std::uint8_t>(pick(256)) : 0;
    f.tos = static_cast<std::uint8_t>(pick(4) == 0 ? pick(256) : 0);
    f.dst_tos = static_cast<std::uint8_t>(pick(8) == 0 ? pick(256) : 0);
    f.fwd_status = static_cast<std::uint8_t>(pick(8) == 0 ? 64 : 0);
    if (pick(6) != 0) {  // else an exporter that sends no interfaces, masks or direction
      f.in_if = pick(64);
      f.out_if = pick(64);
      f.src_mask = static_cast<std::uint8_t>(v6 ? pick(129) : pick(33));
      f.dst_mask = static_cast<std::uint8_t>(v6 ? pick(129) : pick(33));
      f.direction = static_cast<std::uint8_t>(pick(2));
      for (const Element e : {Element::in_if, Element::out_if, Element::src_mask, Element::dst_mask, Element::direction,
                              Element::dst_tos})
        f.set_present(e);
    } else {
      f.dst_tos = 0;
    }
    if (pick(2)) {
      f.src_as = pick(70000);
      f.dst_as = pick(4) == 0 ? 4200000000u + pick(1000) : pick(65536);
      f.set_present(Element::src_as);
      f.set_present(Element::dst_as);
    }
    if (pick(3) == 0) {
      f.set_present(Element::next_hop);
      if (v6) {
        std::uint8_t nh[16] = {0xfe, 0x80};
        nh[15] = static_cast<std::uint8_t>(1 + pick(200));
        f.next_hop = IpAddress::v6(nh);
      } else {
        f.next_hop = IpAddress::v4(0xac100000 | pick(1 << 16));
      }
      if (pick(4) == 0) f.next_hop = v6 ? IpAddress{} : IpAddress::v4(0);  // the exporter's "none": :: or 0.0.0.0
    }
    if (pick(8) == 0) {
      f.bgp_next_hop = v6 ? IpAddress::v6({0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
                          : IpAddress::v4(0xc6336400 | pick(256));
      f.set_present(Element::bgp_next_hop);
    }
    const std::uint32_t e = pick(std::size(exporters));
    f.exporter = exporters[e];
    f.observation_domain = e;
    f.sampling_interval = e == 1 ? 100 : 1;  // one sampled exporter
    f.engine_type = static_cast<std::uint8_t>(e);
    f.engine_id = static_cast<std::uint8_t>(pick(3));
    for (const Element e : {Element::exporter, Element::observation_domain, Element::engine}) f.set_present(e);
    if (e == 1) f.set_present(Element::sampling);
  }
  return flows;
}

std::filesystem::path capture_with_nfcapd(const std::filesystem::path& dir, std::vector<std::string> nfcapd_options) {
  const auto pcap = dir / "traffic.pcap";
  const auto flows = dir / "nfcapd";
  std::filesystem::create_directories(flows);
  const auto made =
      testing::run({"/usr/bin/python3", SLUICE_SOURCE_DIR "/tests/support/make_traffic.py", pcap.string()});
  EXPECT_EQ(made.exit_code, 0) << "scapy could not make the capture: " << made.err;

  const std::uint16_t port = testing::free_udp_port();
  std::vector<std::string> command{"nfcapd", "-w",        flows.string(), "-p",  std::to_string(port),
                                   "-b",     "127.0.0.1", "-t",           "3600"};
  command.insert(command.end(), nfcapd_options.begin(), nfcapd_options.end());
  testing::Process nfcapd(command);
  EXPECT_TRUE(testing::eventually([&] { return testing::udp_port_bound(port); }))
      << "nfcapd did not bind 127.0.0.1:" << port;
  const auto softflowd =
      testing::run({"softflowd", "-d", "-r", pcap.string(), "-n", "127.0.0.1:" + std::to_string(port), "-v", "9"});
  EXPECT_EQ(softflowd.exit_code, 0) << "softflowd: " << softflowd.err;
  EXPECT_TRUE(testing::eventually([&] { return testing::udp_receive_queue_empty(port); }))
      << "nfcapd took the last datagrams off the socket";
  nfcapd.signal(SIGTERM);  // nfcapd flushes and closes its file on TERM
  const auto stopped = nfcapd.wait();
  EXPECT_EQ(stopped.exit_code, 0) << "nfcapd: " << stopped.err;

  for (const auto& entry : std::filesystem::directory_iterator(flows)) {
    if (entry.path().filename().string().rfind("nfcapd.2", 0) == 0) return entry.path();
  }
  ADD_FAILURE() << "nfcapd wrote no file in " << flows;
  return {};
}

}  // namespace sluice::test
