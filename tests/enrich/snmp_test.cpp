// Interface and exporter names from Debian's snmpd (its answers set by
// `override` lines), static tables, and what happens while the agent is away.
#include <gtest/gtest.h>

#include "process.h"
#include "sluice/enrichment/enricher.h"
#include "snmpd.h"

namespace sluice::enrichment {
namespace {

using testing::eventually;

// snmpd with interfaces 37, 38 and 39 and sysName "edge1".
test::Snmpd agent() {
  return test::Snmpd("edge1", {{37, "xe-0/0/1", "transit: Cogent", 10000},
                               {38, "xe-0/0/2", "ix: DE-CIX", 100000},
                               {39, "ge-0/0/3", "customer: Example", 0}});
}

FlowRecord flow(const char* exporter, std::uint32_t in, std::uint32_t out) {
  FlowRecord f;
  f.exporter = parse_address(exporter);
  f.set_present(Element::exporter);
  f.in_if = in;
  f.out_if = out;
  f.set_present(Element::in_if);
  f.set_present(Element::out_if);
  return f;
}

TEST(SnmpTest, NamesFromTheAgentAndTablesWhileFlowsNeverWait) {
  test::Snmpd snmpd = agent();
  InternedTexts texts;
  EnrichSettings settings;
  settings.interfaces_wanted = true;
  InterfaceSettings& s = settings.interfaces;
  s.exporters = {{parse_address("127.0.0.3"), "", "public", snmpd.address()},
                 {parse_address("127.0.0.4"), "core2", "public", snmpd.address()},
                 {parse_address("127.0.0.5"), "lab", "", ""}};
  s.interfaces = {{parse_address("127.0.0.5"), 1, 4, "ge-0/0/x", "transit: lab uplink", 1000},
                  {parse_address("127.0.0.3"), 38, 38, "static-38", "", 0}};
  s.boundary = {{"^(transit|ix):", "external"}, {"^customer:", "internal"}};
  s.connectivity = {{"^transit:", "transit"}, {"^ix:", "ix"}};
  s.timeout = std::chrono::milliseconds(200);
  s.backoff = std::chrono::milliseconds(300);
  s.refresh = std::chrono::hours(1);
  Enricher enricher(std::move(settings), texts);
  const std::vector<FlowRecord> batch{flow("127.0.0.3", 37, 38), flow("127.0.0.4", 37, 0), flow("127.0.0.5", 2, 9)};
  std::vector<FlowRecord> out;
  auto pass = [&] {
    out.clear();
    enricher.enrich(batch, out);
    enricher.tick(std::chrono::steady_clock::now());
    return out.size() == batch.size();
  };

  // The first flows pass without SNMP's names; they arrive within one poll.
  ASSERT_TRUE(pass());
  EXPECT_EQ(out[0].in_if_name, 0U);
  EXPECT_EQ(enricher.stats().flows_without_interface_names, 3U);  // 127.0.0.5's 9 has no table entry
  ASSERT_TRUE(eventually([&] { return pass() && out[0].in_if_name != 0 && out[1].in_if_name != 0; }));
  EXPECT_EQ(enricher.interface_stats()->polls, 2U);  // 127.0.0.3/37, 127.0.0.4/37; 38 is static
  EXPECT_EQ(enricher.interface_stats()->failures, 0U);
  EXPECT_EQ(texts.text(out[0].exporter_name), "edge1");
  EXPECT_EQ(texts.text(out[0].in_if_name), "xe-0/0/1");
  EXPECT_EQ(texts.text(out[0].in_if_description), "transit: Cogent");
  EXPECT_EQ(out[0].in_if_speed, 10000U);
  EXPECT_TRUE(out[0].has(Element::in_if_speed));
  EXPECT_EQ(out[0].in_if_boundary, Boundary::external);
  EXPECT_EQ(texts.text(out[0].in_if_connectivity), "transit");
  EXPECT_EQ(texts.text(out[0].out_if_name), "static-38");  // the table wins over SNMP
  EXPECT_EQ(texts.text(out[1].exporter_name), "core2");    // and over sysName
  EXPECT_EQ(texts.text(out[1].in_if_name), "xe-0/0/1");
  EXPECT_EQ(out[1].out_if_name, 0U);  // ifIndex 0: no interface
  EXPECT_EQ(texts.text(out[2].exporter_name), "lab");
  EXPECT_EQ(texts.text(out[2].in_if_name), "ge-0/0/x");  // a range of the table
  EXPECT_EQ(out[2].in_if_speed, 1000U);
  EXPECT_EQ(out[2].out_if_name, 0U);  // no SNMP for 127.0.0.5: static names only
  EXPECT_EQ(enricher.interface_stats()->polls, 2U);

  // The agent goes away: flows keep passing with what is cached, polls of a
  // new interface fail and are counted, the breaker opens.
  snmpd.stop();
  const std::vector<FlowRecord> newcomer{flow("127.0.0.3", 39, 37)};
  auto pass_newcomer = [&] {
    out.clear();
    enricher.enrich(newcomer, out);
    enricher.tick(std::chrono::steady_clock::now());
    return out.size() == 1;
  };
  ASSERT_TRUE(eventually([&] { return pass_newcomer() && enricher.open_breakers().size() == 1; }));
  EXPECT_GE(enricher.interface_stats()->failures, 3U);
  EXPECT_EQ(out[0].in_if_name, 0U);
  EXPECT_EQ(texts.text(out[0].out_if_name), "xe-0/0/1");  // cached through the outage

  // Back: the breaker closes on the next half-open try, the name arrives.
  snmpd.start();
  ASSERT_TRUE(eventually([&] { return pass_newcomer() && out[0].in_if_name != 0; }, std::chrono::seconds(20)));
  EXPECT_EQ(texts.text(out[0].in_if_name), "ge-0/0/3");
  EXPECT_EQ(out[0].in_if_boundary, Boundary::internal);
  EXPECT_TRUE(enricher.open_breakers().empty());
}

TEST(SnmpTest, AnInterfaceTheAgentDoesNotKnowIsCachedAsUnknown) {
  test::Snmpd snmpd = agent();
  InternedTexts texts;
  EnrichSettings settings;
  settings.interfaces_wanted = true;
  settings.interfaces.exporters = {{parse_address("127.0.0.6"), "", "public", snmpd.address()}};
  Enricher enricher(std::move(settings), texts);
  const std::vector<FlowRecord> batch{flow("127.0.0.6", 4242, 0)};
  std::vector<FlowRecord> out;
  ASSERT_TRUE(eventually([&] {
    enricher.enrich(batch, out);
    enricher.tick(std::chrono::steady_clock::now());
    return enricher.interface_stats()->unknown == 1;
  }));
  for (int i = 0; i < 5; ++i) {
    enricher.enrich(batch, out);
    enricher.tick(std::chrono::steady_clock::now());
  }
  EXPECT_EQ(texts.text(out.back().exporter_name), "edge1");  // the agent answered sysName
  EXPECT_EQ(enricher.interface_stats()->polls, 1U);          // not asked again before snmp_refresh
}

}  // namespace
}  // namespace sluice::enrichment
