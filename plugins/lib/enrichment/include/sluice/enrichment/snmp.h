// Asking an SNMP v2c agent for an interface's names and speed without
// waiting for its answer (net-snmp's single-session API, driven by pump()).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

struct snmp_session;  // net-snmp's
struct snmp_pdu;

namespace sluice::enrichment {

struct SnmpAnswer {
  bool answered = false;               // false: the agent did not answer in time (or refused the request)
  std::string sys_name;                // sysName.0
  std::string if_name;                 // ifName.N, else ifDescr.N
  std::string if_alias;                // ifAlias.N
  std::optional<std::uint32_t> speed;  // ifHighSpeed.N, Mbit/s
  // Whether the agent knows the interface at all (any of its objects answered).
  bool knows_interface() const noexcept { return !if_name.empty() || !if_alias.empty() || speed.has_value(); }
};

class SnmpAgent {
 public:
  // `peer` is "host:port" (an IPv6 host in brackets); throws
  // std::runtime_error when net-snmp cannot open a socket for it.
  SnmpAgent(const std::string& peer, const std::string& community, std::chrono::milliseconds timeout, int retries);
  ~SnmpAgent();
  SnmpAgent(const SnmpAgent&) = delete;
  SnmpAgent& operator=(const SnmpAgent&) = delete;

  // Sends a GET for sysName and interface `index`'s names, alias and speed.
  // False when the request could not be sent.
  bool ask(std::uint32_t index);
  // Reads the answers that have arrived and expires requests past their
  // timeout; `on_answer(index, answer)` for each. Never blocks.
  void pump(const std::function<void(std::uint32_t, const SnmpAnswer&)>& on_answer);
  std::size_t in_flight() const noexcept { return waiting_.size(); }

 private:
  static int on_response(int operation, ::snmp_session* session, int request, ::snmp_pdu* pdu, void* self);

  void* session_ = nullptr;
  std::unordered_map<int, std::uint32_t> waiting_;  // request id -> ifIndex
  std::vector<std::pair<std::uint32_t, SnmpAnswer>> arrived_;
};

}  // namespace sluice::enrichment
