#include "peers.h"

#include <signal.h>

#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sluice/net/address.h"

namespace sluice::sflow::test {

using sluice::testing::eventually;
using sluice::testing::Process;
using sluice::testing::run;
using sluice::testing::TempDir;

Sfacctd::Sfacctd() : port_(sluice::testing::free_udp_port()) {
  const auto log = dir_ / "sfacctd.log";
  const auto config = dir_.write(
      "sfacctd.conf", "daemonize: false\nsfacctd_ip: " + sluice::net::to_string(IpAddress::v4(host())) +
                          "\nsfacctd_port: " + std::to_string(port_) + "\nlogfile: " + log.string() +
                          "\nplugins: print\nprint_output: csv\nprint_output_file: " + (dir_ / "samples.csv").string() +
                          "\nprint_output_file_append: true\nprint_refresh_time: 1\n"
                          "aggregate: src_host, dst_host, proto\n");
  process_ = std::make_unique<Process>(std::vector<std::string>{"sfacctd", "-f", config.string()});
  // The core accounts nothing it receives before its plugin is under way
  // (sfacctd 1.7.7 drops those datagrams): wait for the plugin's first
  // purge of its cache, a second after it started.
  const bool ready = eventually(
      [&] {
        return sluice::testing::read_file(log).find("Purging cache - END") != std::string::npos || !process_->running();
      },
      std::chrono::seconds(10));
  if (!ready || !process_->running())
    throw std::runtime_error("sfacctd did not start: " + sluice::testing::read_file(log) + process_->wait().err);
}

Sfacctd::~Sfacctd() {
  // SIGINT: the core stops its plugin and reaps it (SIGTERM it ignores).
  // Whatever is left of the process group it leads goes by force.
  process_->signal(SIGINT);
  process_->wait(std::chrono::seconds(10));
  ::kill(-process_->pid(), SIGKILL);
}

std::uint64_t Sfacctd::samples() const {
  // SRC_IP,DST_IP,PROTOCOL,PACKETS,BYTES; a header line before each interval's rows.
  std::istringstream lines(sluice::testing::read_file(dir_ / "samples.csv"));
  std::uint64_t total = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("SRC_IP")) continue;
    std::vector<std::string> fields;
    std::istringstream columns(line);
    for (std::string field; std::getline(columns, field, ',');) fields.push_back(field);
    if (fields.size() == 5) total += std::stoull(fields[3]);
  }
  return total;
}

sluice::testing::ProcessResult run_sfprobe(const std::filesystem::path& capture, const std::string& agent,
                                           unsigned sampling_rate, unsigned short port) {
  TempDir dir;
  const auto config = dir.write("pmacctd.conf", "daemonize: false\npcap_savefile: " + capture.string() +
                                                    "\npcap_savefile_wait: false\nplugins: sfprobe\n"
                                                    "sfprobe_receiver: 127.0.0.1:" +
                                                    std::to_string(port) + "\nsfprobe_agentip: " + agent +
                                                    "\nsampling_rate: " + std::to_string(sampling_rate) + "\n");
  return run({"pmacctd", "-f", config.string()}, {}, std::chrono::seconds(30));
}

namespace {

// "02:00:00:00:00:01"
MacAddress parse_mac(const std::string& text) {
  MacAddress mac;
  unsigned b[6];
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    throw std::runtime_error("tshark_samples.py: MAC " + text);
  for (int i = 0; i < 6; ++i) mac.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(b[i]);
  return mac;
}

}  // namespace

std::vector<FlowRecord> tshark_samples(const std::vector<sluice::testing::Bytes>& datagrams) {
  TempDir dir;
  constexpr unsigned short port = 6343;
  sluice::testing::write_pcap(dir / "sflow.pcap", port, datagrams);
  const auto result = run({"/usr/bin/python3", SLUICE_SOURCE_DIR "/tests/sflow/tshark_samples.py",
                           (dir / "sflow.pcap").string(), std::to_string(port)});
  if (result.exit_code != 0) throw std::runtime_error("tshark_samples.py: " + result.err);
  std::vector<FlowRecord> samples;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string agent, src, dst, src_mac, dst_mac;
    unsigned proto, src_port, dst_port, flags, tos, sampling;
    FlowRecord f;
    if (!(fields >> agent >> src >> dst >> proto >> src_port >> dst_port >> flags >> tos >> f.bytes >> sampling >>
          src_mac >> dst_mac >> f.src_vlan >> f.dst_vlan))
      throw std::runtime_error("tshark_samples.py: " + line);
    f.src_mac = parse_mac(src_mac);
    f.dst_mac = parse_mac(dst_mac);
    f.exporter = net::parse_prefix(agent).base;
    f.src_addr = net::parse_prefix(src).base;
    f.dst_addr = net::parse_prefix(dst).base;
    f.proto = static_cast<std::uint8_t>(proto);
    f.src_port = static_cast<std::uint16_t>(src_port);
    f.dst_port = static_cast<std::uint16_t>(dst_port);
    f.tcp_flags = static_cast<std::uint8_t>(flags);
    f.tos = static_cast<std::uint8_t>(tos);
    f.sampling_interval = sampling;
    samples.push_back(f);
  }
  return samples;
}

FlowRecord as_tshark_shows(const FlowRecord& f) {
  FlowRecord t;
  t.exporter = f.exporter;
  t.src_addr = f.src_addr;
  t.dst_addr = f.dst_addr;
  t.proto = f.proto;
  t.src_port = f.src_port;
  t.dst_port = f.dst_port;
  t.tcp_flags = f.tcp_flags;
  t.tos = f.tos;
  t.bytes = f.bytes;
  t.sampling_interval = f.sampling_interval;
  t.src_mac = f.src_mac;
  t.dst_mac = f.dst_mac;
  t.src_vlan = f.src_vlan;
  t.dst_vlan = f.dst_vlan;
  return t;
}

}  // namespace sluice::sflow::test
