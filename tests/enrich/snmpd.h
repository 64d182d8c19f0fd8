// Test support: Debian's snmpd as the SNMP v2c agent of the tests, on
// 127.0.0.2 and a port of the test's choosing (community "public"), its
// sysName and interfaces given by `override` lines (numeric OIDs: Debian
// ships no MIBs).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "process.h"

namespace sluice::enrichment::test {

struct AgentInterface {
  std::uint32_t index = 0;
  std::string name, alias;  // ifName, ifAlias
  std::uint32_t speed = 0;  // ifHighSpeed in Mbit/s; 0: not served
};

class Snmpd {
 public:
  // Starts it; returns once an independent client (snmpget) hears its sysName.
  Snmpd(std::string sys_name, const std::vector<AgentInterface>& interfaces);
  std::string address() const { return "127.0.0.2:" + std::to_string(port_); }

  void start();  // again, after stop()
  void stop();

 private:
  std::string sys_name_;
  testing::TempDir dir_;  // its state goes there: on exit it saves a file named snmpd.conf
  unsigned short port_;
  std::unique_ptr<testing::Process> process_;
};

}  // namespace sluice::enrichment::test
