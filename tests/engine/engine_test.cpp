// Engine pieces tested directly: text helpers, the queue, config checks.
#include "acknowledgements.h"
#include "bounded_queue.h"
#include "config.h"
#include "in_order.h"
#include "metrics_registry.h"
#include "node.h"
#include "options_binder.h"
#include "process.h"
#include "text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

using namespace sluice;
using namespace sluice::engine;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(Duration, ParsesUnitsAndCombinations) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_EQ(parse_duration("1m30s"), 90s);
  EXPECT_EQ(parse_duration("10"), std::nullopt);
  EXPECT_EQ(parse_duration("s"), std::nullopt);
  EXPECT_EQ(parse_duration("5 minutes"), std::nullopt);
  EXPECT_EQ(parse_duration(""), std::nullopt);
}

TEST(Nearest, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> names{"path", "layout", "fields", "header"};
  EXPECT_EQ(nearest("pth", names), "path");
  EXPECT_EQ(nearest("layuot", names), "layout");
  EXPECT_EQ(nearest("compression", names), std::nullopt);
}

TEST(Glob, MatchesLikeAShell) {
  EXPECT_TRUE(glob_match("gen*", "gen-1"));
  EXPECT_TRUE(glob_match("?en", "gen"));
  EXPECT_FALSE(glob_match("gen*", "collector"));
}

TEST(BoundedQueue, BlocksTheProducerWhenFull) {
  BoundedQueue<int> q(2);
  ASSERT_TRUE(q.push(1));
  ASSERT_TRUE(q.push(2));
  EXPECT_FALSE(q.try_push(3));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    q.push(3);
    pushed = true;
  });
  ASSERT_TRUE(sluice::testing::eventually([&] { return q.waiting_producers() == 1; }));
  EXPECT_FALSE(pushed);
  EXPECT_EQ(q.pop(), 1);
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(q.pop(), 2);
  EXPECT_EQ(q.pop(), 3);
}

TEST(BoundedQueue, DrainsAfterCloseAndRefusesNewItems) {
  BoundedQueue<int> q(4);
  q.push(1);
  q.close();
  EXPECT_FALSE(q.push(2));
  EXPECT_EQ(q.pop(), 1);
  EXPECT_EQ(q.pop(), std::nullopt);
}

TEST(BoundedQueue, AbandonReleasesABlockedProducer) {
  BoundedQueue<int> q(1);
  q.push(1);
  std::thread producer([&] { EXPECT_FALSE(q.push(2)); });
  ASSERT_TRUE(sluice::testing::eventually([&] { return q.waiting_producers() == 1; }));
  EXPECT_EQ(q.abandon(), std::vector<int>{1}) << "what was queued comes back, to be accounted for";
  producer.join();
  EXPECT_EQ(q.pop(), std::nullopt);
}

TEST(BoundedQueue, PopUntilReturnsEmptyAtTheDeadlineAndSaysWhetherItWasClosed) {
  BoundedQueue<int> q(4);
  const auto waited = q.pop_until(BoundedQueue<int>::Clock::now() + 20ms);
  EXPECT_FALSE(waited.item);
  EXPECT_FALSE(waited.closed);
  const auto before = BoundedQueue<int>::Clock::now();
  q.push(7);
  EXPECT_GE(*q.oldest(), before);
  const auto popped = q.pop_until(BoundedQueue<int>::Clock::now() + 10s);
  EXPECT_EQ(popped.item, 7);
  EXPECT_GE(popped.pushed_at, before);
  EXPECT_EQ(q.oldest(), std::nullopt);
  q.close();
  EXPECT_TRUE(q.pop_until(BoundedQueue<int>::Clock::now() + 10s).closed);
}

TEST(BoundedQueue, BoundsTheTotalWeightButAdmitsAnOversizedItemAlone) {
  BoundedQueue<int> q(100);
  EXPECT_TRUE(q.try_push(1, 60));
  EXPECT_FALSE(q.try_push(2, 60)) << "60 + 60 > 100";
  EXPECT_TRUE(q.try_push(3, 40));
  EXPECT_EQ(q.pop(), 1);
  EXPECT_EQ(q.pop(), 3);
  EXPECT_TRUE(q.try_push(4, 1000)) << "an empty queue takes any item";
  EXPECT_FALSE(q.try_push(5, 1));
}

TEST(BoundedQueue, UrgentPushIgnoresCapacity) {
  BoundedQueue<int> q(1);
  q.push(1);
  EXPECT_TRUE(q.push_urgent(2));
  EXPECT_EQ(q.pop(), 1);
  EXPECT_EQ(q.pop(), 2);
}

class Config : public ::testing::Test {
 protected:
  sluice::testing::TempDir dir;
  PipelineConfig load(const std::string& toml, std::vector<std::string> overrides = {}) {
    return load_pipeline(dir.write("p.toml", toml), overrides);
  }
  std::vector<ConfigProblem> problems(const std::string& toml, std::vector<std::string> overrides = {}) {
    try {
      load(toml, std::move(overrides));
    } catch (const ConfigError& e) {
      return e.problems();
    }
    return {};
  }
};

TEST_F(Config, OrdersComponentsSourcesTransformsSinksAndExpandsGlobs) {
  const auto c = load(R"(
[sinks.z]
plugin = "s"
inputs = ["t*"]
[transforms.t1]
plugin = "t"
inputs = ["a", "b"]
[transforms.t2]
plugin = "t"
inputs = ["a"]
[sources.a]
plugin = "g"
[sources.b]
plugin = "g"
)");
  ASSERT_EQ(c.components.size(), 5u);
  EXPECT_EQ(c.components[0].id, "a");
  EXPECT_EQ(c.components[2].id, "t1");
  EXPECT_EQ(c.components[4].id, "z");
  EXPECT_EQ(c.components[4].inputs, (std::vector<std::string>{"t1", "t2"}));
}

TEST_F(Config, LocatesProblemsByLineColumnAndKey) {
  const auto p = problems("[sources.a]\nplugin = \"g\"\n\n[sinks.b]\nplugin = \"s\"\ninputs = [\"a\", \"c\"]\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].line, 6);
  EXPECT_EQ(p[0].key, "sinks.b.inputs");
  EXPECT_THAT(p[0].to_string(), HasSubstr("p.toml:6:"));
}

TEST_F(Config, SetCreatesTablesAndParsesTomlValues) {
  const auto c = load("[sources.a]\nplugin = \"g\"\n",
                      {"sinks.b.plugin=s", "sinks.b.inputs=[\"a\"]", "sources.a.rate=5", "sources.a.name=plain text"});
  const auto* b = c.find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->inputs, std::vector<std::string>{"a"});
  EXPECT_EQ((*c.find("a")->table)["rate"].value<std::int64_t>(), 5);
  EXPECT_EQ((*c.find("a")->table)["name"].value<std::string>(), "plain text");
}

TEST_F(Config, ExpandsEnvironmentVariablesWithDefaults) {
  const sluice::testing::ScopedEnvironment data_dir("SLUICE_TEST_DIR", "/data");
  const auto c = load(
      "[sources.a]\nplugin = \"g\"\npath = \"${SLUICE_TEST_DIR}/x-${SLUICE_NOPE:-dflt}\"\n"
      "[sinks.b]\nplugin = \"s\"\ninputs = [\"a\"]\n");
  EXPECT_EQ((*c.find("a")->table)["path"].value<std::string>(), "/data/x-dflt");
}

TEST_F(Config, EngineKeysFollowThePluginsRules) {
  // An integer is seconds for the engine's durations as for a plugin's.
  const auto c = load(
      "[engine]\ndrain_timeout = 30\nstats_interval = \"2m\"\n[sources.a]\nplugin = \"g\"\ninstances = "
      "3\n[sinks.b]\nplugin = \"s\"\ninputs = [\"a\"]\nwhen_full = \"drop\"\n");
  EXPECT_EQ(c.engine.drain_timeout, 30s);
  EXPECT_EQ(c.engine.stats_interval, 120s);
  EXPECT_EQ(c.find("a")->instances, 3u);
  EXPECT_TRUE(c.find("b")->drop_when_full);
  const auto p = problems(
      "[engine]\nmetrics = 9464\n[sources.a]\nplugin = \"g\"\ninstances = 0\n[sinks.b]\nplugin = 5\n"
      "inputs = [\"a\"]\n");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].to_string(), dir.path().string() + "/p.toml:2:11: engine.metrics: must be a string, not an integer");
  EXPECT_EQ(p[1].key, "sources.a.instances");
  EXPECT_EQ(p[1].message, "must be 1 to 64");
  EXPECT_EQ(p[2].key, "sinks.b.plugin");
}

TEST(OptionRanges, BindChecksEveryBoundAsTheOptionsType) {
  constexpr OptionSpec specs[] = {
      {.name = "n", .type = OptionType::integer, .min = "1", .max = "64"},
      {.name = "x", .type = OptionType::number, .max = "1"},
      {.name = "d", .type = OptionType::duration, .min = "\"10ms\"", .max = "60"},
      {.name = "v", .type = OptionType::integer, .choices = "5|9|10"},
  };
  const auto bind = [&](const std::string& toml) {
    const toml::table table = toml::parse(toml);
    ProblemList problems("t.toml");
    bind_table(table, "x", {.owner = "plugin t", .specs = specs}, problems);
    try {
      problems.raise_if_any();
    } catch (const ConfigError& e) {
      return e.problems().front().message;
    }
    return std::string();
  };
  EXPECT_EQ(bind("n = 1\nx = 1.0\nd = \"10ms\"\nv = 10"), "");
  EXPECT_EQ(bind("n = 0"), "must be 1 to 64");
  EXPECT_EQ(bind("n = 65"), "must be 1 to 64");
  EXPECT_EQ(bind("x = 1.5"), "must be <= 1");
  EXPECT_EQ(bind("x = nan"), "must be a finite number");
  EXPECT_EQ(bind("d = \"5ms\""), "must be 10ms to 1m");
  EXPECT_EQ(bind("d = 61"), "must be 10ms to 1m");
  EXPECT_EQ(bind("v = 7"), "7 is not one of: 5,9,10");
  EXPECT_EQ(describe_range(specs[0]), "1 to 64");
  EXPECT_EQ(describe_range(specs[2]), "10ms to 1m");
}

TEST(OptionDefaults, ParseAsTheirType) {
  EXPECT_EQ(std::get<std::int64_t>(*parse_default({.name = "n", .type = OptionType::integer, .default_value = "1400"})),
            1400);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(
                *parse_default({.name = "d", .type = OptionType::duration, .default_value = "\"5m\""})),
            5min);
  EXPECT_EQ(std::get<std::string>(*parse_default({.name = "s", .type = OptionType::string, .default_value = "\"hi\""})),
            "hi");
  // Written as in TOML: a bare word is not a string, so every table reads alike.
  EXPECT_EQ(parse_default({.name = "s", .type = OptionType::string, .default_value = "hello"}), std::nullopt);
  EXPECT_EQ(parse_default({.name = "b", .type = OptionType::boolean, .default_value = "maybe"}), std::nullopt);
}

TEST(Metrics, RenderPrometheusTextWithEscapedLabelsSortedByName) {
  MetricsRegistry registry;
  const Label labels[] = {{"component_id", "a\"b\\c\nd"}};
  Counter c = registry.counter("sluice_test_total", "Things\ncounted", labels);
  c.add(3);
  EXPECT_EQ(registry.counter("sluice_test_total", "Things counted", labels).value(), 3u)
      << "the same name and labels: the same series";
  registry.gauge("sluice_a_gauge", "A level", {}).set(1.5);
  registry.computed_gauge("sluice_b_computed", "Read when scraped", {}, [] { return 42.0; });
  EXPECT_EQ(registry.render(),
            "# HELP sluice_a_gauge A level\n# TYPE sluice_a_gauge gauge\nsluice_a_gauge 1.5\n"
            "# HELP sluice_b_computed Read when scraped\n# TYPE sluice_b_computed gauge\nsluice_b_computed 42\n"
            "# HELP sluice_test_total Things\\ncounted\n# TYPE sluice_test_total counter\n"
            "sluice_test_total{component_id=\"a\\\"b\\\\c\\nd\"} 3\n");
}

TEST(Metrics, RemoveTakesTheSeriesWhoseLabelsBeginWithThoseGivenAndReusesTheirCells) {
  MetricsRegistry registry;
  const auto series = [&](std::string_view name, std::string_view exporter, std::string_view domain) {
    const Label labels[] = {{"component_id", "c"}, {"exporter", exporter}, {"domain", domain}};
    return registry.counter(name, "", labels);
  };
  series("sluice_p_datagrams_total", "10.0.0.1", "0").add(1);
  series("sluice_p_datagrams_total", "10.0.0.11", "0").add(2);  // not a match of 10.0.0.1
  series("sluice_p_datagrams_total", "10.0.0.1", "1").add(3);
  series("sluice_p_records_total", "10.0.0.1", "0").add(4);
  const Label with_reason[] = {{"component_id", "c"}, {"exporter", "10.0.0.1"}, {"domain", "0"}, {"reason", "x"}};
  registry.counter("sluice_p_malformed_total", "", with_reason).add(6);
  series("sluice_q_records_total", "10.0.0.1", "0").add(5);  // another plugin's family
  const Label forgotten[] = {{"component_id", "c"}, {"exporter", "10.0.0.1"}, {"domain", "0"}};
  registry.remove("sluice_p_", forgotten);
  EXPECT_EQ(registry.render(),
            "# HELP sluice_p_datagrams_total \n# TYPE sluice_p_datagrams_total counter\n"
            "sluice_p_datagrams_total{component_id=\"c\",exporter=\"10.0.0.1\",domain=\"1\"} 3\n"
            "sluice_p_datagrams_total{component_id=\"c\",exporter=\"10.0.0.11\",domain=\"0\"} 2\n"
            "# HELP sluice_q_records_total \n# TYPE sluice_q_records_total counter\n"
            "sluice_q_records_total{component_id=\"c\",exporter=\"10.0.0.1\",domain=\"0\"} 5\n");
  EXPECT_EQ(series("sluice_p_records_total", "10.0.0.2", "0").value(), 0u) << "a reused cell starts at 0";
}

TEST(Metrics, RefuseNamesPrometheusWouldRejectAndTypeClashes) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.counter("sluice_bad-name_total", "", {}), std::invalid_argument);
  EXPECT_THROW(registry.counter("sluice_no_suffix", "", {}), std::invalid_argument);
  const Label bad[] = {{"0label", "x"}};
  EXPECT_THROW(registry.gauge("sluice_ok", "", bad), std::invalid_argument);
  registry.gauge("sluice_level", "", {});
  EXPECT_THROW(registry.counter("sluice_level", "", {}), std::invalid_argument) << "not _total, and a gauge already";
  registry.counter("sluice_events_total", "", {});
  EXPECT_THROW(registry.gauge("sluice_events_total", "", {}), std::invalid_argument);
}

TEST(InOrder, HandsResultsOnInTicketOrderWhateverOrderTheyComplete) {
  InOrder<int> order(4);
  std::vector<int> handed_on;
  const auto collect = [&](int&& v) { handed_on.push_back(v); };
  for (int i = 0; i < 4; ++i) order.enter();
  order.complete(2, 20, 5, collect);
  order.complete(1, 10, 7, collect);
  EXPECT_TRUE(handed_on.empty()) << "ticket 0 is still out";
  EXPECT_EQ(order.parked_weight(), 12u);
  order.complete(0, 0, 1, collect);
  EXPECT_EQ(handed_on, (std::vector<int>{0, 10, 20}));
  EXPECT_EQ(order.parked_weight(), 0u);
  order.complete(3, 30, 1, collect);
  EXPECT_EQ(handed_on.back(), 30);
}

TEST(InOrder, AWorkerWaitsWhileTheWindowIsFull) {
  InOrder<int> order(2);
  order.enter();
  order.enter();
  std::atomic<bool> entered{false};
  std::thread third([&] {
    order.enter();
    entered = true;
  });
  order.complete(1, 1, 1, [](int&&) {});
  EXPECT_FALSE(entered) << "ticket 1 is parked behind ticket 0: the window is still full";
  order.complete(0, 0, 1, [](int&&) {});
  third.join();
  EXPECT_TRUE(entered);
}

TEST(AckLedger, AdvancesEachSourcesContiguousAcknowledgedPrefix) {
  AckLedger ledger;
  for (std::uint64_t s : {0, 1, 2, 5}) ledger.issue({.source = 1, .sequence = s});
  ledger.issue({.source = 2, .sequence = 0});
  EXPECT_EQ(ledger.acknowledged_through(1), std::nullopt);
  EXPECT_TRUE(ledger.acknowledge({.source = 1, .sequence = 1}));
  EXPECT_EQ(ledger.acknowledged_through(1), std::nullopt) << "0 is not acknowledged yet";
  EXPECT_TRUE(ledger.acknowledge({.source = 1, .sequence = 0}));
  EXPECT_EQ(ledger.acknowledged_through(1), 1u);
  EXPECT_TRUE(ledger.acknowledge({.source = 1, .sequence = 5}));
  EXPECT_EQ(ledger.acknowledged_through(1), 1u) << "2 is still out; 3 and 4 never came here";
  EXPECT_TRUE(ledger.acknowledge({.source = 1, .sequence = 2}));
  EXPECT_EQ(ledger.acknowledged_through(1), 5u);
  EXPECT_FALSE(ledger.acknowledge({.source = 1, .sequence = 2})) << "twice";
  EXPECT_FALSE(ledger.acknowledge({.source = 1, .sequence = 3})) << "never issued";
  EXPECT_EQ(ledger.acknowledged_through(2), std::nullopt);
  EXPECT_EQ(ledger.outstanding(), 1u);
}

TEST(Node, ServesEachWorkersBusySeconds) {
  Logger log;
  RunState run(log, 1s);
  ComponentConfig config;
  config.id = "csv";
  config.role = PluginKind::sink;
  config.plugin = "csv_writer";
  config.workers = 2;
  Node node(run, config, 0, 1, 1);
  node.busy(1, [] { return 0; });
  const std::string text = run.metrics.render();
  EXPECT_THAT(text, HasSubstr("# TYPE sluice_component_busy_seconds_total counter"));
  for (const char* worker : {"0", "1", "commit"})
    EXPECT_THAT(text, HasSubstr(fmt::format(
                          "sluice_component_busy_seconds_total{{component_id=\"csv\",worker=\"{}\"}} ", worker)));
}
