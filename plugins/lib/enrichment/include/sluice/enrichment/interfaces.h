// Exporters' and interfaces' names, descriptions and speeds: static tables
// first, SNMP polling behind a cache for the rest. A flow never waits: it
// gets what is known now, and what it asked for arrives for later flows.
#pragma once

#include <sluice/enrichment/networks.h>
#include <sluice/enrichment/snmp.h>
#include <sluice/flow_record.h>
#include <sluice/texts.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::enrichment {

struct InterfaceInfo {
  TextId name = 0;
  TextId description = 0;
  TextId connectivity = 0;
  std::uint32_t speed = 0;  // Mbit/s; 0: unknown
  Boundary boundary = Boundary::undefined;
};

// `match` (an ECMAScript regular expression) searched in an interface's
// description; the first rule that matches gives the value.
struct Rule {
  std::string match;
  std::string value;
};

// Boundary ("external" | "internal") and connectivity by rules on the description.
class Classifier {
 public:
  Classifier() = default;
  // Throws std::invalid_argument naming the bad rule (list and position).
  Classifier(const std::vector<Rule>& boundary, const std::vector<Rule>& connectivity, TextTable& texts);
  void classify(std::string_view description, InterfaceInfo& info) const;

 private:
  std::vector<std::pair<std::regex, Boundary>> boundary_;
  std::vector<std::pair<std::regex, TextId>> connectivity_;
};

// An interface, or a range of them, of one exporter, from the pipeline.
struct StaticInterface {
  IpAddress exporter;
  std::uint32_t first_index = 0, last_index = 0;
  std::string name, description;
  std::uint32_t speed = 0;  // Mbit/s; 0: not given
};

// An exporter named in the pipeline: its name, and whether and where to poll it.
struct ExporterSettings {
  IpAddress address;
  std::string name;       // "": from SNMP (sysName), if polled
  std::string community;  // "": the default community
  std::string agent;      // "host:port"; "": the exporter's address, port 161
};

struct InterfaceSettings {
  std::vector<StaticInterface> interfaces;
  std::vector<ExporterSettings> exporters;
  std::string community;  // for exporters the table does not give one; "": poll only those it does
  std::vector<Rule> boundary, connectivity;
  std::chrono::milliseconds refresh{std::chrono::minutes(30)};  // re-poll a known interface after this
  std::chrono::milliseconds expiry{std::chrono::hours(2)};      // forget SNMP answers not refreshed for this long
  std::chrono::milliseconds timeout{std::chrono::seconds(1)};   // an SNMP request's time to answer
  std::chrono::milliseconds backoff{std::chrono::seconds(30)};  // an exporter's breaker stays open this long
  unsigned failures_to_open = 3;                                // consecutive timeouts that open an exporter's breaker
  std::size_t max_in_flight = 32;                               // requests outstanding per exporter
};

struct InterfaceStats {
  std::uint64_t polls = 0;     // requests sent
  std::uint64_t failures = 0;  // requests unanswered or refused
  std::uint64_t unknown = 0;   // answers saying the agent has no such interface (cached as such)
};

class InterfaceDirectory {
 public:
  // Checks everything; opens nothing until the first poll. Throws
  // std::invalid_argument for bad rules.
  InterfaceDirectory(InterfaceSettings settings, TextTable& texts);
  ~InterfaceDirectory();
  InterfaceDirectory(const InterfaceDirectory&) = delete;
  InterfaceDirectory& operator=(const InterfaceDirectory&) = delete;

  struct Exporter;
  // The exporter with this address (made on first sight). The flow path:
  // look up the exporter once per run of its flows.
  Exporter& exporter(const IpAddress& address);
  TextId name_of(const Exporter& exporter) const noexcept;
  // What is known of an interface now; an unknown one is queued for polling.
  InterfaceInfo interface(Exporter& exporter, std::uint32_t index);

  // Sends the polls that are due, reads answers, expires what is stale.
  // `now` is steady time. Never blocks.
  void poll(std::chrono::steady_clock::time_point now);

  const InterfaceStats& stats() const noexcept { return stats_; }
  // The exporters whose breaker is open now (polls suspended).
  std::vector<IpAddress> open_breakers() const;
  bool polls_any() const noexcept;

  // Where a warning goes (an exporter's breaker opening or closing).
  std::function<void(const std::string&)> warn = [](const std::string&) {};

 private:
  void poll_exporter(Exporter& e, std::chrono::steady_clock::time_point now);
  void take_answer(Exporter& e, std::uint32_t index, const SnmpAnswer& answer,
                   std::chrono::steady_clock::time_point now);
  Exporter& make_exporter(const IpAddress& address);

  InterfaceSettings settings_;
  TextTable& texts_;
  Classifier classifier_;
  std::unordered_map<std::string, std::unique_ptr<Exporter>> exporters_;  // by the address's 16 bytes
  Exporter* last_ = nullptr;
  InterfaceStats stats_;
};

}  // namespace sluice::enrichment
