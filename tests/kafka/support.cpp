#include "support.h"

#include <gtest/gtest.h>

#include <sstream>

#include "../files/support.h"
#include "process.h"

namespace sluice::test {
namespace {

const std::string proto_dir = SLUICE_SOURCE_DIR "/tests/kafka";

// protoc's C-style escapes in a bytes value: \n, \", \\, octal \ooo ...
std::string unescape(std::string_view quoted) {
  std::string out;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] != '\\') {
      out += quoted[i];
      continue;
    }
    const char e = quoted[++i];
    if (e >= '0' && e <= '7') {
      int value = 0;
      for (int n = 0; n < 3 && quoted[i] >= '0' && quoted[i] <= '7'; ++n, ++i) value = value * 8 + (quoted[i] - '0');
      --i;
      out += static_cast<char>(value);
    } else {
      out += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
    }
  }
  return out;
}

std::string address_bytes(const IpAddress& a) {
  if (a.is_unspecified()) return "";
  const std::size_t size = a.is_v4() ? 4 : 16;
  return std::string(reinterpret_cast<const char*>(a.bytes.data()) + 16 - size, size);
}

std::uint64_t mac_number(const MacAddress& mac) {
  std::uint64_t n = 0;
  for (auto b : mac.bytes) n = n << 8 | b;
  return n;
}

std::string run_protoc(const std::vector<std::string>& mode, const std::string& input) {
  testing::TempDir dir;
  const auto in = dir.write("in", input);
  std::string command = "protoc";
  for (const auto& m : mode) command += " " + m;
  command += " --proto_path=" + proto_dir + " " + proto_dir + "/flow.proto < " + in.string();
  const auto result = testing::run({"sh", "-c", command});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

}  // namespace

std::vector<FlowRecord> kafka_sample_flows(std::size_t count, std::uint32_t seed) {
  auto flows = sample_flows(count, seed);
  for (std::size_t i = 0; i < flows.size(); ++i) {
    FlowRecord& f = flows[i];
    // What the bus formats carry of record v3 today: no presence (JSON's
    // null for an absent element is still to come), no BGP next hop, and a
    // next hop of 0.0.0.0 as none.
    f.present = 0;
    f.bgp_next_hop = {};
    if (f.next_hop.is_v4() && f.next_hop.v4_value() == 0) f.next_hop = {};
    f.label = static_cast<std::uint16_t>(i % 5 == 0 ? i % 3 + 1 : 0);
    if (i % 2) {
      f.src_mac.bytes = {0x00, 0x1b, 0x21, static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8), 0x5e};
      f.dst_mac.bytes = {0xf0, 0x9f, 0xc2, 0x00, static_cast<std::uint8_t>(i >> 4), 0x01};
    }
    if (i % 3) {
      f.src_vlan = static_cast<std::uint16_t>(1 + i % 4094);
      f.dst_vlan = static_cast<std::uint16_t>(i % 7 * 100);
    }
  }
  return flows;
}

std::string delimited(const std::string& message) {
  std::string out;
  for (std::uint64_t v = message.size();; v >>= 7) {
    if (v < 0x80) {
      out += static_cast<char>(v);
      break;
    }
    out += static_cast<char>(v | 0x80);
  }
  return out + message;
}

std::vector<ProtocFields> protoc_decode(const std::string& delimited_messages) {
  // Each delimited FlowMessage becomes one `flows` entry of FlowMessages:
  // field 1, length-delimited, the same bytes after the tag.
  std::string wrapper;
  std::size_t at = 0;
  while (at < delimited_messages.size()) {
    std::uint64_t size = 0;
    std::size_t start = at;
    for (unsigned shift = 0;; shift += 7) {
      const auto byte = static_cast<std::uint8_t>(delimited_messages.at(at++));
      size |= std::uint64_t{byte & 0x7fu} << shift;
      if (byte < 0x80) break;
    }
    wrapper += '\x0a';
    wrapper += delimited_messages.substr(start, at - start + size);
    at += size;
  }
  std::istringstream text(run_protoc({"--decode=flowpb.FlowMessages"}, wrapper));
  std::vector<ProtocFields> messages;
  for (std::string line; std::getline(text, line);) {
    const auto begin = line.find_first_not_of(' ');
    if (begin == std::string::npos) continue;
    line = line.substr(begin);
    if (line == "flows {") {
      messages.emplace_back();
    } else if (const auto colon = line.find(": "); colon != std::string::npos && !messages.empty()) {
      const std::string value = line.substr(colon + 2);
      messages.back()[line.substr(0, colon)] = value.front() == '"' ? unescape(value) : value;
    }
  }
  return messages;
}

std::string protoc_encode(const std::string& text) { return run_protoc({"--encode=flowpb.FlowMessage"}, text); }

void expect_flow_message(const ProtocFields& m, const FlowRecord& f) {
  const auto number = [&](const char* name) -> std::uint64_t {
    const auto it = m.find(name);
    return it == m.end() ? 0 : std::stoull(it->second);
  };
  const auto bytes = [&](const char* name) {
    const auto it = m.find(name);
    return it == m.end() ? std::string() : it->second;
  };
  EXPECT_EQ(number("time_flow_start_ns"), f.first_ms * 1'000'000);
  EXPECT_EQ(number("time_flow_end_ns"), f.last_ms * 1'000'000);
  EXPECT_EQ(number("time_received_ns"), f.received_ms * 1'000'000);
  EXPECT_EQ(number("sampling_rate"), f.sampling_interval);
  EXPECT_EQ(bytes("sampler_address"), address_bytes(f.exporter));
  EXPECT_EQ(bytes("src_addr"), address_bytes(f.src_addr));
  EXPECT_EQ(bytes("dst_addr"), address_bytes(f.dst_addr));
  EXPECT_EQ(bytes("next_hop"), address_bytes(f.next_hop));
  EXPECT_EQ(number("etype"), f.src_addr.is_v4() ? 0x800u : 0x86ddu);
  EXPECT_EQ(number("bytes"), f.bytes);
  EXPECT_EQ(number("packets"), f.packets);
  EXPECT_EQ(number("proto"), f.proto);
  EXPECT_EQ(number("src_port"), f.src_port);
  EXPECT_EQ(number("dst_port"), f.dst_port);
  if (f.proto == 1 || f.proto == 58) {
    EXPECT_EQ(number("icmp_type"), f.dst_port >> 8u);
    EXPECT_EQ(number("icmp_code"), f.dst_port & 0xffu);
  }
  EXPECT_EQ(number("in_if"), f.in_if);
  EXPECT_EQ(number("out_if"), f.out_if);
  EXPECT_EQ(number("src_as"), f.src_as);
  EXPECT_EQ(number("dst_as"), f.dst_as);
  EXPECT_EQ(number("src_net"), f.src_mask);
  EXPECT_EQ(number("dst_net"), f.dst_mask);
  EXPECT_EQ(number("ip_tos"), f.tos);
  EXPECT_EQ(number("tcp_flags"), f.tcp_flags);
  EXPECT_EQ(number("forwarding_status"), f.fwd_status);
  EXPECT_EQ(number("src_mac"), mac_number(f.src_mac));
  EXPECT_EQ(number("dst_mac"), mac_number(f.dst_mac));
  EXPECT_EQ(number("src_vlan"), f.src_vlan);
  EXPECT_EQ(number("dst_vlan"), f.dst_vlan);
  EXPECT_EQ(number("observation_domain_id"), f.observation_domain);
}

}  // namespace sluice::test
