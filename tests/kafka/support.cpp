#include "support.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <sstream>

#include "../files/support.h"
#include "process.h"
#include "sluice/fields.h"

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

std::string present_address_bytes(const IpAddress& a);

std::string address_bytes(const IpAddress& a) {
  if (a.is_unspecified()) return "";
  return present_address_bytes(a);
}

// An address with a presence bit goes whenever present, :: too.
std::string present_address_bytes(const IpAddress& a) {
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

// Whether the field holds other than a new record's value.
bool differs_from_default(const FlowRecord& f, const FieldInfo& field) {
  static const FlowRecord fresh;
  return std::memcmp(reinterpret_cast<const char*>(&f) + field.offset,
                     reinterpret_cast<const char*>(&fresh) + field.offset, field.width) != 0;
}

void add_enrichment(FlowRecord& f, std::size_t i, TextTable& texts) {
  static constexpr const char* countries[] = {"DE", "US", "FR"};
  if (i % 3 != 2) {
    std::memcpy(f.src_country.data(), countries[i % 3], 2);
    std::memcpy(f.dst_country.data(), countries[(i + 1) % 3], 2);
  }
  if (i % 7 == 0) f.flows = 2 + i % 5;
  if (i % 3 == 0) f.bgp_next_hop = IpAddress::v4(0xc6336400 | static_cast<std::uint32_t>(i % 256));
  if (i % 2 == 0) {
    // Quotes, a backslash, a control character and UTF-8 for the text formats' escapes.
    f.src_as_name = texts.intern(i % 4 ? "Example \"Net\" GmbH\\ \x01 Zürich" : "AS-TRANSIT");
    f.dst_city = texts.intern("Paris");
    f.in_if_name = texts.intern("xe-0/0/" + std::to_string(i % 8));
    f.exporter_name = texts.intern("edge1");
    f.out_if_connectivity = texts.intern("transit");
    f.in_if_speed = 10000;
    f.in_if_boundary = i % 4 ? Boundary::external : Boundary::internal;
  }
}

}  // namespace

void mark_present_what_is_set(FlowRecord& f, bool zeros_too) {
  for (const FieldInfo& field : fields()) {
    if (field.presence == always_present || !(zeros_too || differs_from_default(f, field))) continue;
    // An undefined boundary is no value: the text formats write it as absent.
    if (field.kind == FieldKind::boundary && unsigned_value(f, field) == 0) continue;
    f.set_present(static_cast<Element>(field.presence));
  }
}

std::vector<FlowRecord> kafka_sample_flows(std::size_t count, TextTable& texts, std::uint32_t seed) {
  auto flows = sample_flows(count, seed);
  for (std::size_t i = 0; i < flows.size(); ++i) {
    FlowRecord& f = flows[i];
    add_enrichment(f, i, texts);
    f.label = static_cast<std::uint16_t>(i % 5 == 0 ? i % 3 + 1 : 0);
    if (i % 2) {
      f.src_mac.bytes = {0x00, 0x1b, 0x21, static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8), 0x5e};
      f.dst_mac.bytes = {0xf0, 0x9f, 0xc2, 0x00, static_cast<std::uint8_t>(i >> 4), 0x01};
    }
    if (i % 3) {
      f.src_vlan = static_cast<std::uint16_t>(1 + i % 4094);
      f.dst_vlan = static_cast<std::uint16_t>(i % 7 * 100);
    }
    // Unknown, NetFlow v1, v5, v9, IPFIX, sFlow 5.
    static constexpr std::uint8_t export_versions[] = {0, 1, 5, 9, 10, sflow_5_export_version};
    f.export_version = export_versions[i % std::size(export_versions)];
    f.end_reason = static_cast<std::uint8_t>(i % 7 % 6);
    f.biflow_direction = static_cast<std::uint8_t>(i % 4);
    f.present = 0;
    mark_present_what_is_set(f, i % 4 == 0);
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

void expect_flow_message(const ProtocFields& m, const FlowRecord& f, const TextTable& texts) {
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
  EXPECT_EQ(number("time_received_ns"), f.has(Element::received) ? f.received_ms * 1'000'000 : 0);
  EXPECT_EQ(number("sampling_rate"), f.has(Element::sampling) ? f.sampling_interval : 0);
  EXPECT_EQ(bytes("sampler_address"), f.has(Element::exporter) ? present_address_bytes(f.exporter) : "");
  EXPECT_EQ(bytes("src_addr"), address_bytes(f.src_addr));
  EXPECT_EQ(bytes("dst_addr"), address_bytes(f.dst_addr));
  EXPECT_EQ(bytes("next_hop"), f.has(Element::next_hop) ? present_address_bytes(f.next_hop) : "");
  EXPECT_EQ(bytes("bgp_next_hop"), f.has(Element::bgp_next_hop) ? present_address_bytes(f.bgp_next_hop) : "");
  // GoFlow2's enricher's countries, and ours from 1002 on (docs/kafka.md).
  EXPECT_EQ(bytes("1000"), std::string(country_value(f, info(Field::src_country))));
  EXPECT_EQ(bytes("1001"), std::string(country_value(f, info(Field::dst_country))));
  EXPECT_EQ(number("1002"), f.has(Element::flows) ? f.flows : 0);
  EXPECT_EQ(number("1003"), f.in_if_speed);
  EXPECT_EQ(number("1005"), static_cast<unsigned>(f.in_if_boundary));
  EXPECT_EQ(bytes("1007"), texts.text(f.src_as_name));
  EXPECT_EQ(bytes("1010"), texts.text(f.dst_city));
  EXPECT_EQ(bytes("1024"), texts.text(f.in_if_name));
  EXPECT_EQ(bytes("1029"), texts.text(f.out_if_connectivity));
  EXPECT_EQ(number("1030"), f.end_reason);
  EXPECT_EQ(number("1031"), f.biflow_direction);
  // GoFlow2's FlowType, by the name protoc gives it; absent when unknown.
  const std::map<std::uint8_t, std::string> flow_types = {
      {sflow_5_export_version, "SFLOW_5"}, {5, "NETFLOW_V5"}, {9, "NETFLOW_V9"}, {10, "IPFIX"}};
  const auto type = flow_types.find(f.export_version);
  EXPECT_EQ(bytes("type"), type == flow_types.end() ? "" : type->second);
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
