#include "snmpd.h"

#include <gtest/gtest.h>

#include <csignal>
#include <utility>

namespace sluice::enrichment::test {

Snmpd::Snmpd(std::string sys_name, const std::vector<AgentInterface>& interfaces)
    : sys_name_(std::move(sys_name)), port_(testing::free_udp_port()) {
  const std::string ifx = "override .1.3.6.1.2.1.31.1.1.1.";
  std::string conf = "agentAddress udp:" + address() + "\nrocommunity public default\n" +
                     "override .1.3.6.1.2.1.1.5.0 octet_str \"" + sys_name_ + "\"\n";
  for (const auto& i : interfaces) {
    const std::string index = std::to_string(i.index);
    conf += ifx + "1." + index + " octet_str \"" + i.name + "\"\n";
    conf += ifx + "18." + index + " octet_str \"" + i.alias + "\"\n";
    if (i.speed != 0) conf += ifx + "15." + index + " uinteger " + std::to_string(i.speed) + "\n";
  }
  dir_.write("snmpd.conf", conf);
  start();
}

void Snmpd::start() {
  process_ = std::make_unique<testing::Process>(
      std::vector<std::string>{"/usr/sbin/snmpd", "-f", "-Le", "-C", "-c", (dir_ / "snmpd.conf").string(), "-p",
                               (dir_ / "snmpd.pid").string()},
      testing::ProcessOptions{.cwd = {}, .env = {{"SNMP_PERSISTENT_DIR", (dir_ / "state").string()}, {"MIBS", ""}}});
  ASSERT_TRUE(testing::eventually(
      [&] {
        return testing::run({"snmpget", "-v2c", "-cpublic", "-t", "0.3", "-r", "0", address(), ".1.3.6.1.2.1.1.5.0"})
                   .out.find(sys_name_) != std::string::npos;
      },
      std::chrono::seconds(30)))
      << process_->err_so_far();
}

void Snmpd::stop() {
  process_->signal(SIGTERM);
  process_->wait(std::chrono::seconds(20));
}

}  // namespace sluice::enrichment::test
