// The engine through the real CLI and the real loader, with test plugins.
#include "cli_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <regex>
#include <string>

#include "sluice/abi.h"

namespace fs = std::filesystem;
using namespace sluice::testing;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

TEST_F(Cli, RunsAPipelineToTheEndAndPrintsTheSummary) {
  const auto r = run(counting_to_tally);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      tally_text(),
      "records=10000 bytes=49995000 batches=100 rotates=0 flushes=0 ticks=0 routes=0 out_of_order=0 finished=1\n");
  EXPECT_EQ(summary_cell(r.err, "src", records_out), 10000u);
  EXPECT_EQ(summary_cell(r.err, "out", records_in), 10000u);
  EXPECT_EQ(summary_cell(r.err, "out", records_out), 10000u) << "delivered";
  const auto summary = parse_summary(r.err);
  ASSERT_TRUE(summary);
  EXPECT_FALSE(summary->failed);
  ASSERT_EQ(summary->paths.size(), 1u);
  EXPECT_EQ(summary->paths[0].sources, std::vector<std::string>{"src"});
  EXPECT_EQ(summary->paths[0].sinks, std::vector<std::string>{"out"});
  EXPECT_EQ(summary->paths[0].records, 10000u);
  EXPECT_EQ(summary->component("out").plugin, "collecting_sink");
}

// `limit = N` on a transform or a sink: it takes the first N records, the
// sources stop (here an endless one), what it is offered beyond is counted
// as dropped.
TEST_F(Cli, ALimitTakesTheFirstRecordsAndStopsTheRun) {
  for (const bool on_transform : {true, false}) {
    const std::string limited = on_transform ? "transforms.pass" : "sinks.out";
    SCOPED_TRACE(limited);
    const auto r = run(R"([sources.src]
plugin = "counting_source"
count = 0
[transforms.pass]
plugin = "passthrough"
inputs = ["src"]
[sinks.out]
plugin = "collecting_sink"
inputs = ["pass"]
output = "out.txt"
)",
                       {"--set", limited + ".limit=250"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(read_file(dir / "out.txt"), HasSubstr("records=250 bytes=" + std::to_string(249 * 250 / 2) + " "));
    const auto summary = parse_summary(r.err);
    ASSERT_TRUE(summary);
    const auto& limiting = summary->component(on_transform ? "pass" : "out");
    EXPECT_EQ(limiting.records_out, 250u);
    EXPECT_EQ(limiting.records_in, limiting.records_out + limiting.dropped);
    EXPECT_GE(summary->component("src").records_out, 250u);
  }
}

TEST_F(Cli, PrintsTheSummaryTableForPeople) {
  const auto r = run(counting_to_tally, {"--summary", "table"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, ContainsRegex("\nout +collecting_sink +sink +10,000 +10,000 +0 +0 +0\n"));
  EXPECT_THAT(r.err, HasSubstr("src -> out: 10,000 records from the source, "));
  EXPECT_THAT(r.err, HasSubstr("[out]\n  collected 10000 records"));
  EXPECT_EQ(parse_summary(r.err), std::nullopt);
}

TEST_F(Cli, FansOutOneBatchToEverySinkAndMergesFanIn) {
  const auto r = run(R"([sources.small]
plugin = "counting_source"
count = 1000
[sources.large]
plugin = "counting_source"
count = 2000
[transforms.both]
plugin = "passthrough"
inputs = ["small", "lar*"]
[sinks.a]
plugin = "collecting_sink"
inputs = ["both"]
output = "a.txt"
[sinks.b]
plugin = "collecting_sink"
inputs = ["both"]
output = "b.txt"
)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string expected = "records=3000 bytes=" + std::to_string(999 * 1000 / 2 + 1999 * 2000 / 2);
  EXPECT_THAT(read_file(dir / "a.txt"), HasSubstr(expected));
  EXPECT_THAT(read_file(dir / "b.txt"), HasSubstr(expected));
  EXPECT_EQ(summary_cell(r.err, "both", records_in), 3000u);
  EXPECT_EQ(summary_cell(r.err, "both", records_out), 3000u);
}

// Two sources of 20,000 counted records each (bytes 0 to 19,999), through a
// transform whose four workers finish batches out of order.
const std::string two_shuffled_sources = R"([sources.src]
plugin = "counting_source"
instances = 2
count = 20000
batch_size = 100
[transforms.shuffle]
plugin = "passthrough"
inputs = ["src"]
workers = 4
jitter = "1ms"
)";

// Those into a sink preparing on three workers: every record arrives, each
// source's in order.
TEST_F(Cli, WorkersKeepEachSourcesOrderThroughTransformsAndSinks) {
  const auto r = run(two_shuffled_sources + R"([sinks.out]
plugin = "collecting_sink"
inputs = ["shuffle"]
workers = 3
output = "${TALLY}"
)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(tally_text(), HasSubstr("records=40000 "));
  EXPECT_THAT(tally_text(), HasSubstr(" batches=400 "));
  EXPECT_THAT(tally_text(), HasSubstr(" out_of_order=0 "));
  EXPECT_EQ(summary_cell(r.err, "shuffle", records_out), 40000u);
  EXPECT_EQ(summary_cell(r.err, "out", records_out), 40000u);
}

// A keyed sink on three workers (as parquet_writer shares a row group's
// columns): each takes every batch and tick and sums its share; the joined
// parts hold every record once, in each source's order; on one worker the
// same sink takes whole batches.
TEST_F(Cli, AKeyedSinksWorkersEachTakeEveryBatchAndTheirSharesJoinInOrder) {
  const std::string pipeline = two_shuffled_sources + R"([sinks.out]
plugin = "sharing_sink"
inputs = ["shuffle"]
tick_period = "5ms"
output = "${TALLY}"
)";
  const std::string sums = "records=40000 bytes=399980000 batches=400 ";  // 2 x (0 + 1 + ... + 19,999)
  const auto shared = run(pipeline + "workers = 3\n");
  ASSERT_EQ(shared.exit_code, 0) << shared.err;
  EXPECT_THAT(tally_text(), HasSubstr(sums));
  EXPECT_THAT(tally_text(), HasSubstr(" parts=3 out_of_order=0 finished=1"));
  EXPECT_THAT(tally_text(), Not(HasSubstr(" tick_parts=0 ")));  // at least the end's
  const auto whole = run(pipeline);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_THAT(tally_text(), HasSubstr(sums + "tick_parts=0 parts=0 out_of_order=0 finished=1"));
}

// A keyed transform on three workers: each of the aggregate's partitions
// keeps a third of the keys; bins close on the ticks together and at the
// end: every record's bytes arrive, summed once.
TEST_F(Cli, KeyedWorkersSumEveryRecordOnce) {
  const auto r = run(R"([sources.src]
plugin = "counting_source"
count = 70000
batch_size = 500
[transforms.sum]
plugin = "aggregate"
inputs = ["src"]
key = ["src_port"]
interval = "1s"
workers = 3
[sinks.out]
plugin = "collecting_sink"
inputs = ["sum"]
output = "${TALLY}"
)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(tally_text(), HasSubstr(" bytes=2449965000 "));  // 0 + 1 + ... + 69,999
  const std::uint64_t keys = std::stoull(tally_text().substr(tally_text().find("records=") + 8));
  EXPECT_GE(keys, 65536u);  // src_port = i % 65536, in one bin or more
  EXPECT_THAT(r.err, HasSubstr("partition 3 of 3: "));
}

TEST_F(Cli, SetOverridesAndAddsValues) {
  const auto r = run(counting_to_tally, {"--set", "sources.src.count=77", "--set", "sinks.out.delay=1ms"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(tally_text(), HasSubstr("records=77 "));
}

TEST_F(Cli, FindsANamedPipelineInThePipelinesFolder) {
  dir.write("pipelines/demo.toml", counting_to_tally);
  const auto r =
      run_sluice({"run", "demo", "--plugin-dir", SLUICE_TEST_PLUGIN_DIR, "--stats-interval", "0"}, options());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(tally_text(), HasSubstr("records=10000 "));
}

TEST_F(Cli, SaysSoWhenNoPipelineHasTheName) {
  const auto r = run_sluice({"run", "no-such-pipeline"}, options());
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_THAT(r.err, HasSubstr("no pipeline \"no-such-pipeline\""));
  EXPECT_THAT(r.err, HasSubstr("known: ")) << "nothing is near that name: the list of names instead";
  const auto typo = run_sluice({"run", "gen-to-cvs"}, options());
  EXPECT_EQ(typo.exit_code, 66);
  EXPECT_THAT(typo.err, HasSubstr("did you mean \"gen-to-csv\"?"));
}

// --- a failing component stops the pipeline cleanly --------------------------

TEST_F(Cli, ASinkFailingOnItsThirdBatchStopsThePipelineAndTheOtherSinkCloses) {
  const auto r = run(R"([sources.src]
plugin = "counting_source"
count = 0
batch_size = 10
[sinks.bad]
plugin = "failing_sink"
inputs = ["src"]
reason = "disk on fire"
[sinks.good]
plugin = "collecting_sink"
inputs = ["src"]
output = "${TALLY}"
)");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("component \"bad\" (plugin failing_sink) failed: disk on fire at batch 3"));
  EXPECT_THAT(tally_text(), HasSubstr("finished=1"));
  EXPECT_EQ(summary_cell(r.err, "good", records_in), summary_cell(r.err, "src", records_out))
      << "the good sink got everything sent";
  EXPECT_EQ(summary_cell(r.err, "bad", errors), 1u);
  EXPECT_EQ(summary_cell(r.err, "bad", records_in),
            summary_cell(r.err, "bad", records_out) + summary_cell(r.err, "bad", lost))
      << "every record that reached the failed sink is delivered or counted lost";
  EXPECT_EQ(summary_cell(r.err, "bad", records_out), 20u) << "two batches of 10 before the failure";
  const auto summary = parse_summary(r.err);
  ASSERT_TRUE(summary);
  EXPECT_TRUE(summary->failed);
  EXPECT_EQ(summary->component("bad").lost_by_reason.at("sink failed"), summary_cell(r.err, "bad", lost));
}

TEST_F(Cli, AComponentFailingAtStartStartsNoSource) {
  const auto r = run(R"([sources.src]
plugin = "counting_source"
marker = "${MARKER}"
[sinks.bad]
plugin = "failing_sink"
inputs = ["src"]
reason = "no device"
fail_at_start = true
)");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("component \"bad\" (plugin failing_sink) failed: no device at start"));
  EXPECT_FALSE(fs::exists(marker));
}

// --- back-pressure -------------------------------------------------------------

TEST_F(Cli, AFullQueueBlocksTheProducerByDefault) {
  const auto r = run(counting_to_tally, {"--set", "sources.src.count=3000", "--set", "sinks.out.delay=2ms"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(tally_text(), HasSubstr("records=3000 "));
  EXPECT_EQ(summary_cell(r.err, "out", dropped), 0u);
}

TEST_F(Cli, WhenFullDropCountsEveryDroppedRecord) {
  const auto r = run(counting_to_tally, {"--set", "sources.src.count=100000", "--set", "sinks.out.delay=5ms", "--set",
                                         "sinks.out.when_full=drop"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto dropped_records = summary_cell(r.err, "out", dropped);
  const auto delivered = summary_cell(r.err, "out", records_out);
  EXPECT_GT(dropped_records, 0u);
  EXPECT_EQ(summary_cell(r.err, "out", records_in), 100000u);
  EXPECT_EQ(delivered + dropped_records, 100000u);
  EXPECT_THAT(tally_text(), HasSubstr("records=" + std::to_string(delivered) + " "));
}

// --- signals -------------------------------------------------------------------

const std::string endless = R"([sources.src]
plugin = "counting_source"
count = 0
batch_size = 10
pause = "1ms"
marker = "${MARKER}"
[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
output = "${TALLY}"
tick_period = "10ms"
)";

class CliSignal : public Cli, public ::testing::WithParamInterface<int> {};

TEST_P(CliSignal, StopsSourcesDrainsAndClosesThenExitsZero) {
  auto p = start(endless);
  ASSERT_TRUE(eventually([&] { return fs::exists(tally) && tally_text().find("records=0 ") == std::string::npos; }))
      << "records reach the sink before the signal";
  p->signal(GetParam());
  const auto r = p->wait(std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("stopping sources, draining"));
  EXPECT_THAT(tally_text(), HasSubstr("finished=1"));
  EXPECT_GT(summary_cell(r.err, "src", records_out), 0u);
  EXPECT_EQ(summary_cell(r.err, "out", records_in), summary_cell(r.err, "src", records_out))
      << "nothing lost in the drain";
}

INSTANTIATE_TEST_SUITE_P(IntAndTerm, CliSignal, ::testing::Values(SIGINT, SIGTERM));

// --for: the run ends as a signal ends it, once the time is up.
TEST_F(Cli, RunForADurationStopsSourcesDrainsAndCloses) {
  const auto r = run(endless, {"--for", "200ms"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("ran for 200ms: stopping sources, draining"));
  EXPECT_THAT(tally_text(), HasSubstr("finished=1"));
  EXPECT_GT(summary_cell(r.err, "src", records_out), 0u);
  EXPECT_EQ(summary_cell(r.err, "out", records_in), summary_cell(r.err, "src", records_out));
  const auto wrong = run(endless, {"--for", "0s"});
  EXPECT_EQ(wrong.exit_code, 64);
  EXPECT_THAT(wrong.err, HasSubstr("--for takes a duration"));
}

TEST_F(Cli, ASecondSignalExitsAtOnce) {
  auto p = start(R"([sources.src]
plugin = "counting_source"
count = 0
marker = "${MARKER}"
[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
output = "${TALLY}"
delay = "10s"
busy_marker = "${MARKER}.busy"
)");
  // The sink is in its 10 s batch: a drain would take that long.
  ASSERT_TRUE(eventually([&] { return fs::exists(marker.string() + ".busy"); }));
  p->signal(SIGINT);
  ASSERT_TRUE(eventually([&] { return p->err_so_far().find("stopping sources") != std::string::npos; }));
  p->signal(SIGINT);
  const auto r = p->wait(std::chrono::seconds(5));
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.err;
  EXPECT_THAT(r.err, HasSubstr("second signal"));
  EXPECT_FALSE(fs::exists(tally)) << "exited without draining the slow sink";
}

TEST_F(Cli, SighupSendsRotateToEverySink) {
  auto p = start(endless);
  ASSERT_TRUE(eventually([&] { return fs::exists(marker); }));
  const auto rotations = [&] {
    const std::string err = p->err_so_far();
    std::size_t n = 0;
    for (auto at = err.find("SIGHUP: rotating"); at != std::string::npos; at = err.find("SIGHUP: rotating", at + 1))
      ++n;
    return n;
  };
  for (std::size_t i = 1; i <= 2; ++i) {
    p->signal(SIGHUP);
    ASSERT_TRUE(eventually([&] { return rotations() == i; }));
  }
  p->signal(SIGTERM);
  const auto r = p->wait(std::chrono::seconds(20));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(tally_text(), HasSubstr("rotates=2 "));
}

// --- rejected configurations: exit 78, file:line:column and key, nothing started

struct BadConfig {
  std::string name;
  std::string toml;
  std::string location;  // "pipeline.toml:LINE:"
  std::string key;
  std::string message;
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class CliRejects : public Cli, public ::testing::WithParamInterface<BadConfig> {};

TEST_P(CliRejects, BeforeAnyPluginStarts) {
  const BadConfig& c = GetParam();
  for (const char* verb : {"run", "validate"}) {
    const auto r = run_sluice(args(verb, c.toml), options());
    EXPECT_EQ(r.exit_code, 78) << verb << "\n" << r.err;
    EXPECT_THAT(r.err, AllOf(HasSubstr(c.location), HasSubstr(c.key), HasSubstr(c.message))) << verb;
    EXPECT_THAT(r.err, HasSubstr("nothing was started"));
    EXPECT_FALSE(fs::exists(marker)) << verb << ": a plugin started";
  }
}

// The versions the refusals name: this build's, and the wrong_abi test
// plugin's (this one's + 40).
const std::string this_abi = std::to_string(sluice::abi_version);
const std::string wrong_abi = std::to_string(sluice::abi_version + 40);

const std::string sink_block = R"(
[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
marker = "${MARKER}"
)";

INSTANTIATE_TEST_SUITE_P(
    EveryClass, CliRejects,
    ::testing::Values(
        BadConfig{"UnknownPlugin", "[sources.src]\nplugin = \"countin_source\"\n" + sink_block, "pipeline.toml:2:",
                  "sources.src.plugin", "unknown plugin \"countin_source\"; did you mean \"counting_source\"?"},
        BadConfig{"UnknownPluginListsKnown", "[sources.src]\nplugin = \"zzz\"\n" + sink_block,
                  "pipeline.toml:2:", "sources.src.plugin", "; known plugins: "},
        BadConfig{"UnknownOption", "[sources.src]\nplugin = \"counting_source\"\ncountt = 5\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.countt", "did you mean \"count\"?"},
        BadConfig{"WrongType", "[sources.src]\nplugin = \"counting_source\"\ncount = \"ten\"\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.count", "must be an integer, not a string"},
        BadConfig{"BadChoice", "[sources.src]\nplugin = \"counting_source\"\n" + sink_block + "level = \"loud\"\n",
                  "pipeline.toml:8:", "sinks.out.level", "\"loud\" is not one of: info,debug"},
        BadConfig{"BadDuration", "[sources.src]\nplugin = \"counting_source\"\npause = \"5 minutes\"\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.pause", "is not a duration"},
        BadConfig{"MissingRequired",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.bad]\nplugin = \"failing_sink\"\ninputs = [\"src\"]\n",
                  "pipeline.toml:8:", "sinks.bad.reason", "missing required option"},
        BadConfig{"OutOfRange", "[sources.src]\nplugin = \"counting_source\"\ncount = -5\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.count", "must be >= 0"},
        BadConfig{"OutOfBothEnds", "[sources.src]\nplugin = \"counting_source\"\nbatch_size = 0\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.batch_size", "must be 1 to 1000000"},
        BadConfig{"ValueThePluginRejects", "[sources.src]\nplugin = \"counting_source\"\n" + sink_block + "ratio = 0\n",
                  "pipeline.toml:8:", "sinks.out.ratio", "plugin collecting_sink: must be > 0"},
        BadConfig{"EngineKeyOutOfRange", "[sources.src]\nplugin = \"counting_source\"\ninstances = 65\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.instances", "must be 1 to 64"},
        BadConfig{"EngineKeyOfAnotherRole",
                  "[sources.src]\nplugin = \"counting_source\"\nwhen_full = \"drop\"\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.when_full", "applies to sinks only"},
        BadConfig{"EngineKeyBadChoice",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block + "when_full = \"wait\"\n",
                  "pipeline.toml:8:", "sinks.out.when_full", "\"wait\" is not one of: block,drop"},
        BadConfig{"EngineKeyTypo",
                  "[engine]\ndrian_timeout = 5\n[sources.src]\nplugin = \"counting_source\"\n" + sink_block,
                  "pipeline.toml:2:", "engine.drian_timeout",
                  "unknown option \"drian_timeout\" of [engine]; did you mean \"drain_timeout\"?"},
        BadConfig{"EngineDuration",
                  "[engine]\ndrain_timeout = \"soon\"\n[sources.src]\nplugin = \"counting_source\"\n" + sink_block,
                  "pipeline.toml:2:", "engine.drain_timeout", "\"soon\" is not a duration"},
        BadConfig{"PluginKeyTypoOfAnEngineKey",
                  "[sources.src]\nplugin = \"counting_source\"\ninstnces = 2\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.instnces", "did you mean \"instances\"?"},
        BadConfig{"InputNamesNothing",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.b]\nplugin = "
                      "\"collecting_sink\"\ninputs = [\"scr\"]\n",
                  "pipeline.toml:10:", "sinks.b.inputs", "\"scr\" names no source or transform; did you mean \"src\"?"},
        BadConfig{"GlobMatchesNothing",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.b]\nplugin = "
                      "\"collecting_sink\"\ninputs = [\"x*\"]\n",
                  "pipeline.toml:10:", "sinks.b.inputs", "\"x*\" matches no source or transform"},
        BadConfig{"Cycle",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[transforms.a]\nplugin = \"passthrough\"\ninputs = [\"b\"]\n"
                      "[transforms.b]\nplugin = \"passthrough\"\ninputs = [\"a\"]\n"
                      "[sinks.c]\nplugin = \"collecting_sink\"\ninputs = [\"a\"]\n",
                  "pipeline.toml:", "transforms.", "cycle: a <- b <- a"},
        BadConfig{"TransformWithoutInputs",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[transforms.t]\nplugin = \"passthrough\"\n"
                      "[sinks.c]\nplugin = \"collecting_sink\"\ninputs = [\"t\"]\n",
                  "pipeline.toml:8:", "transforms.t.inputs", "a transform needs inputs"},
        BadConfig{
            "SinkWithoutInputs",
            "[sources.src]\nplugin = \"counting_source\"\n" + sink_block + "[sinks.c]\nplugin = \"collecting_sink\"\n",
            "pipeline.toml:8:", "sinks.c.inputs", "a sink needs inputs"},
        BadConfig{"SourceNobodyConsumes",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sources.lonely]\nplugin = \"counting_source\"\n",
                  "pipeline.toml:8:", "sources.lonely", "source \"lonely\" is no one's input"},
        BadConfig{"DuplicateId",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.src]\nplugin = \"collecting_sink\"\ninputs = [\"src\"]\n",
                  "pipeline.toml:8:", "sinks.src", "duplicate id \"src\": already used by [sources.src]"},
        BadConfig{"WrongKind", "[sources.src]\nplugin = \"collecting_sink\"\n" + sink_block, "pipeline.toml:2:",
                  "sources.src.plugin", "plugin collecting_sink is a sink; [sources.src] needs a source"},
        BadConfig{"UnknownSection", "[source.src]\nplugin = \"counting_source\"\n" + sink_block,
                  "pipeline.toml:1:", "source", "unknown section"},
        BadConfig{"UnsetVariable",
                  "[sources.src]\nplugin = \"counting_source\"\nmarker = \"${SLUICE_UNSET_VARIABLE}\"\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.marker", "environment variable SLUICE_UNSET_VARIABLE is not set"},
        BadConfig{"TomlSyntax", "[sources.src]\nplugin = \"counting_source\nx = 1\n", "pipeline.toml:2:", "", "string"},
        BadConfig{
            "WrongAbiVersion",
            "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                "[sinks.old]\nplugin = \"wrong_abi\"\ninputs = [\"src\"]\n",
            "pipeline.toml:9:", "sluice_wrong_abi.so",
            "was built for sluice plugin ABI version " + wrong_abi + ", but this sluice has ABI version " + this_abi},
        BadConfig{"RecordVersionTwoPlugin",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.old]\nplugin = \"abi_v2\"\ninputs = [\"src\"]\n",
                  "pipeline.toml:9:", "sluice_abi_v2.so",
                  "was built for sluice plugin ABI version 2, but this sluice has ABI version " + this_abi +
                      ": rebuild the plugin"},
        BadConfig{"VersionOnePlugin",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.old]\nplugin = \"abi_v1\"\ninputs = [\"src\"]\n",
                  "pipeline.toml:9:", "sluice_abi_v1.so",
                  "was built for sluice plugin ABI version 1, but this sluice has ABI version " + this_abi +
                      ": rebuild the plugin"},
        BadConfig{"WrongRecordSize",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.old]\nplugin = \"wrong_record_size\"\ninputs = [\"src\"]\n",
                  "pipeline.toml:9:", "sluice_wrong_record_size.so", "FlowRecord 328"},
        BadConfig{"WorkersOnASerialPlugin",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.bad]\nplugin = \"failing_sink\"\ninputs = [\"src\"]\nreason = \"x\"\nworkers = 2\n",
                  "pipeline.toml:12:", "sinks.bad.workers",
                  "plugin failing_sink runs on one worker only (its sink keeps state across batches)"},
        BadConfig{"WorkersAutoOnASerialPlugin",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.bad]\nplugin = \"failing_sink\"\ninputs = [\"src\"]\nreason = \"x\"\n"
                      "workers = \"auto\"\n",
                  "pipeline.toml:12:", "sinks.bad.workers", "plugin failing_sink runs on one worker only"},
        BadConfig{"WorkersOnASource", "[sources.src]\nplugin = \"counting_source\"\nworkers = 2\n" + sink_block,
                  "pipeline.toml:3:", "sources.src.workers", "applies to transforms and sinks only"},
        BadConfig{"WorkersZero", "[sources.src]\nplugin = \"counting_source\"\n" + sink_block + "workers = 0\n",
                  "pipeline.toml:8:", "sinks.out.workers", "must be 1 to 256"},
        BadConfig{"NoEntrySymbol",
                  "[sources.src]\nplugin = \"counting_source\"\n" + sink_block +
                      "[sinks.old]\nplugin = \"no_entry\"\ninputs = [\"src\"]\n",
                  "pipeline.toml:9:", "sluice_no_entry.so", "does not export the entry symbol \"sluice_plugin\""}),
    [](const auto& info) { return info.param.name; });

TEST_F(Cli, ListsOfTablesAreCheckedKeyByKeyWithTheirPlace) {
  const std::string routes = counting_to_tally + R"(weights = [1, 2.5]
[[sinks.out.routes]]
name = "first"
[[sinks.out.routes]]
name = "second"
weight = 3
)";
  const auto ok = run(routes);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(tally_text(), HasSubstr("routes=2 "));

  const auto bad = run(counting_to_tally + R"([[sinks.out.routes]]
weight = "heavy"
[[sinks.out.routes]]
name = "b"
wieght = 2
)");
  EXPECT_EQ(bad.exit_code, 78);
  EXPECT_THAT(bad.err, HasSubstr("pipeline.toml:12:10: sinks.out.routes[0].weight: must be an integer, not a string"));
  EXPECT_THAT(bad.err, HasSubstr("pipeline.toml:11:1: sinks.out.routes[0].name: missing required option"));
  EXPECT_THAT(bad.err, HasSubstr("pipeline.toml:15:10: sinks.out.routes[1].wieght: unknown option \"wieght\" of plugin "
                                 "collecting_sink; did you mean \"weight\"?"));

  const auto rejected = run(counting_to_tally +
                            "[[sinks.out.routes]]\nname = \"a\"\n[[sinks.out.routes]]\n"
                            "name = \"b\"\nweight = 0\n");
  EXPECT_EQ(rejected.exit_code, 78);
  EXPECT_THAT(rejected.err,
              HasSubstr("pipeline.toml:15:10: sinks.out.routes[1].weight: plugin collecting_sink: must be "
                        ">= 1"));

  const auto not_tables = run(counting_to_tally + "routes = [1, 2]\nweights = [\"x\"]\n");
  EXPECT_EQ(not_tables.exit_code, 78);
  EXPECT_THAT(not_tables.err, HasSubstr("sinks.out.routes: must be an array of tables"));
  EXPECT_THAT(not_tables.err, HasSubstr("sinks.out.weights: must be an array of numbers"));

  const auto listed = run_sluice({"plugins", "collecting_sink", "--plugin-dir", SLUICE_TEST_PLUGIN_DIR});
  EXPECT_THAT(listed.out, ::testing::ContainsRegex("routes\\[\\]\\.weight +integer +1 +- +its share"));
}

// The engine knows no plugin: neither the binary nor the engine's library
// holds code of a plugin library (sluice::<lib>::...); a plugin's commands
// come from its .so.
TEST(Engine, LinksNoPluginLibrary) {
  std::vector<std::string> namespaces;
  for (const auto& entry : fs::directory_iterator(SLUICE_SOURCE_DIR "/plugins/lib"))
    if (entry.is_directory()) namespaces.push_back("sluice::" + entry.path().filename().string() + "::");
  ASSERT_GT(namespaces.size(), 5u);
  for (const std::string& file : {sluice_exe(), std::string(SLUICE_BINARY_DIR "/engine/libsluice_engine.a")}) {
    const auto symbols = run({"nm", "--demangle", "--defined-only", file});
    ASSERT_EQ(symbols.exit_code, 0) << file << ": " << symbols.err;
    ASSERT_THAT(symbols.out, HasSubstr("sluice::engine::")) << "nm read " << file;
    for (const auto& ns : namespaces) EXPECT_THAT(symbols.out, Not(HasSubstr(ns))) << file;
  }
}

TEST_F(Cli, APluginsCommandRunsFromItsLibraryAndIsListed) {
  const auto schema = run_sluice({"schema", "clickhouse", "--table", "t", "--server-version", "18.16"});
  ASSERT_EQ(schema.exit_code, 0) << schema.err;
  EXPECT_THAT(schema.out, HasSubstr("CREATE TABLE IF NOT EXISTS `default`.`t`"));
  EXPECT_THAT(run_sluice({"plugins", "clickhouse"}).out, HasSubstr("sluice schema clickhouse ...: prints the CREATE"));
  EXPECT_EQ(run_sluice({"schema", "nosuchplugin"}).exit_code, 64);
}

TEST_F(Cli, SetValuesAreCheckedAndNamedAsSuch) {
  const auto r = run(counting_to_tally, {"--set", "sources.src.count=lots"});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_THAT(r.err, HasSubstr("--set: sources.src.count: must be an integer, not a string"));
}

TEST_F(Cli, ReportsEveryProblemAtOnce) {
  const auto r = run(counting_to_tally + "countt = 1\n", {"--set", "sources.src.batch_size=\"x\""});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("sinks.out.countt"), HasSubstr("sources.src.batch_size"), HasSubstr("2 problems")));
}

// --- the other verbs -------------------------------------------------------------

TEST_F(Cli, ValidateChecksEverythingAndStartsNothing) {
  const auto r = run_sluice(args("validate", counting_to_tally), options());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("valid (2 components)"));
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_FALSE(fs::exists(tally));
}

TEST_F(Cli, PluginsListsWhatIsFoundAndRefused) {
  const auto r = run_sluice({"plugins", "--plugin-dir", SLUICE_TEST_PLUGIN_DIR});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("counting_source  source           test: counts up"));
  EXPECT_THAT(r.out, HasSubstr("passthrough      transform        test: forwards"));
  EXPECT_THAT(r.out, HasSubstr("wrong_abi"));
  EXPECT_THAT(r.out, HasSubstr("refused"));
}

TEST_F(Cli, PluginsNameShowsEachOptionWithTypeDefaultAndHelp) {
  const auto r = run_sluice({"plugins", "failing_sink", "--plugin-dir", SLUICE_TEST_PLUGIN_DIR});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("failing_sink (sink): test: fails on its Nth batch"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("reason +string +required +- +what the failure says"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("fail_on_batch +integer +3 +- +batch that fails"));
}

TEST_F(Cli, GraphPrintsDot) {
  const auto r = run_sluice(args("graph", counting_to_tally), options());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("digraph \"pipeline\""));
  EXPECT_THAT(r.out, HasSubstr("\"src\" -> \"out\";"));
  EXPECT_THAT(r.out, HasSubstr("\"out\" [label=\"out\\n(collecting_sink)\""));
}

TEST_F(Cli, EveryVerbHasHelpAndThereIsAVersion) {
  for (const char* verb : {"run", "validate", "plugins", "graph"}) {
    const auto r = run_sluice({verb, "--help"});
    EXPECT_EQ(r.exit_code, 0) << verb;
    EXPECT_THAT(r.out, HasSubstr(std::string("usage: sluice ") + verb)) << verb;
  }
  const auto version = run_sluice({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, ::testing::MatchesRegex("sluice [0-9]+\\.[0-9]+\\.[0-9]+ \\(plugin ABI [0-9]+\\)\n"));
  const auto bare = run_sluice({});
  EXPECT_EQ(bare.exit_code, 64);
  EXPECT_THAT(bare.err, HasSubstr("commands:"));
  EXPECT_EQ(run_sluice({"frobnicate"}).exit_code, 64);
}

TEST_F(Cli, UnknownFlagIsAUsageError) {
  const auto r = run_sluice({"run", "x", "--frobnicate"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_THAT(r.err, HasSubstr("frobnicate"));
}

}  // namespace

namespace {

// Run 1 of the disk buffer tests: 5,000 records into a sink that fails on
// its third batch and never recovers (transient: the engine retries until
// drain_timeout); returns the records the buffer kept: all but the two
// batches delivered.
std::uint64_t fail_with_a_buffer(const std::function<ProcessResult(const std::string&)>& run) {
  const auto r = run(R"([engine]
drain_timeout = "1s"

[sources.src]
plugin = "counting_source"
count = 5000
batch_size = 100

[sinks.out]
plugin = "failing_sink"
inputs = ["src"]
reason = "the server went away"
transient = true
failures = 0
buffer = "disk"
buffer_path = "buffer"
)");
  EXPECT_EQ(summary_cell(r.err, "out", lost), 0u) << "the buffer keeps what the sink did not deliver: " << r.err;
  std::smatch kept;
  const std::regex pattern(R"((\d+) records \(\d+ bytes\) kept for the next run)");
  EXPECT_TRUE(std::regex_search(r.err, kept, pattern)) << r.err;
  return kept.empty() ? 0 : std::stoull(kept[1]);
}

const std::string one_more_to_tally = R"([sources.src]
plugin = "counting_source"
count = 1
batch_size = 1

[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
output = "${TALLY}"
buffer = "disk"
buffer_path = "buffer"
)";

}  // namespace

TEST_F(Cli, ADiskBufferKeepsWhatAFailedSinkDidNotDeliverAndTheNextRunDeliversItFirst) {
  const std::uint64_t kept = fail_with_a_buffer([&](const std::string& toml) { return run(toml); });
  ASSERT_EQ(kept, 4800u);
  const auto r = run(one_more_to_tally);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr(std::to_string(kept) + " records from the last run went first"));
  EXPECT_THAT(r.err, HasSubstr("went first; empty at the end"));
  EXPECT_THAT(tally_text(), HasSubstr("records=" + std::to_string(kept + 1) + " "));
}

TEST_F(Cli, ACorruptEntryInADiskBufferIsSkippedAndCountedAndTheRestDelivered) {
  const std::uint64_t kept = fail_with_a_buffer([&](const std::string& toml) { return run(toml); });
  ASSERT_EQ(kept, 4800u);
  std::vector<fs::path> segments;
  for (const auto& entry : fs::directory_iterator(dir / "buffer"))
    if (entry.path().extension() == ".segment") segments.push_back(entry.path());
  ASSERT_FALSE(segments.empty());
  {  // a few bytes flipped in the middle of the first segment's records
    std::fstream segment(segments.front(), std::ios::in | std::ios::out | std::ios::binary);
    segment.seekp(static_cast<std::streamoff>(fs::file_size(segments.front()) / 2));
    segment.write("\xde\xad\xbe\xef", 4);
  }
  const auto r = run(one_more_to_tally);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("1 corrupt entries skipped"));
  const std::regex delivered(R"(records=(\d+) )");
  std::smatch tally;
  const std::string text = tally_text();
  ASSERT_TRUE(std::regex_search(text, tally, delivered)) << text;
  const std::uint64_t records = std::stoull(tally[1]);
  EXPECT_LT(records, kept + 1) << "the corrupt entry's records are not delivered";
  EXPECT_GE(records, kept + 1 - 100) << "only one entry (a batch of 100) is lost";
}

TEST_F(Cli, DiskBufferKeysAreCheckedAndABufferInUseIsRefused) {
  const auto without = run(counting_to_tally + "buffer_path = \"b\"\n");
  EXPECT_EQ(without.exit_code, 78);
  EXPECT_THAT(without.err, HasSubstr("sinks.out.buffer_path: applies with buffer = \"disk\" only"));
  const auto bad = run(counting_to_tally + "buffer = \"disk\"\nbuffer_sync = \"soon\"\n");
  EXPECT_EQ(bad.exit_code, 78);
  EXPECT_THAT(bad.err, HasSubstr("sinks.out.buffer_sync: \"soon\" is not a duration"));
  const auto both = run(counting_to_tally + "buffer = \"disk\"\nbuffer_path = \"b\"\n" + R"(
[sinks.again]
plugin = "collecting_sink"
inputs = ["src"]
buffer = "disk"
buffer_path = "b"
)");
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_THAT(both.err, HasSubstr(R"(disk buffer "b" is in use (another sink or process holds)"));
}

// End-to-end acknowledgements (issue 21): a source that can read again what
// it emitted is told which batches every sink delivered, and commits the
// contiguous prefix ("committed=R": R records).
namespace {

const std::string redelivering = R"([sources.src]
plugin = "redelivering_source"
count = 1000
batch_size = 100
output = "${TALLY}"
)";

}  // namespace

TEST_F(Cli, EveryBatchDeliveredThroughWorkersIsCommittedByItsSource) {
  const auto r = run(redelivering + R"(
[transforms.copy]
plugin = "passthrough"
inputs = ["src"]
workers = 3

[sinks.out]
plugin = "collecting_sink"
inputs = ["copy"]
workers = 2

[sinks.other]
plugin = "collecting_sink"
inputs = ["src"]
)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("committed=1000 delivered=10"));
}

TEST_F(Cli, WhatAFailedSinkDidNotDeliverIsNeverCommitted) {
  const auto r = run(redelivering + R"(
[sinks.out]
plugin = "failing_sink"
inputs = ["src"]
reason = "the server went away"
fail_on_batch = 5

[sinks.fine]
plugin = "collecting_sink"
inputs = ["src"]
)");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("committed=400 ")) << "batches 1 to 4 only: the 5th failed";
}

TEST_F(Cli, WhatADiskBufferHoldsIsCommittedThoughTheSinkHasNotDeliveredIt) {
  const auto r = run(redelivering + R"(
[engine]
drain_timeout = "1s"

[sinks.out]
plugin = "failing_sink"
inputs = ["src"]
reason = "the server went away"
transient = true
failures = 0
fail_on_batch = 1
buffer = "disk"
buffer_path = "buffer"
)");
  EXPECT_THAT(r.err, HasSubstr("1000 records (")) << "kept for the next run";
  EXPECT_THAT(r.err, HasSubstr("committed=1000 "));
}

TEST_F(Cli, AHoldingTransformsInputsAreCommittedOnceItsOutputIsDelivered) {
  // Everything held until finish, then one batch, which the sink refuses:
  // nothing is committed (a passthrough would have let the first batches be).
  const auto held = run(redelivering + R"(
[transforms.bin]
plugin = "holding_transform"
inputs = ["src"]

[sinks.out]
plugin = "failing_sink"
inputs = ["bin"]
reason = "the server went away"
fail_on_batch = 1
)");
  EXPECT_EQ(held.exit_code, 1);
  EXPECT_THAT(held.err, HasSubstr("committed=0 "));
  // Passed on at each tick: the inputs of the first two outputs are
  // committed, those of the third (refused) and later are not.
  const auto ticking = run(R"([sources.src]
plugin = "redelivering_source"
count = 1000
batch_size = 100
pause = "100ms"

[transforms.bin]
plugin = "holding_transform"
inputs = ["src"]
tick_period = "100ms"

[sinks.out]
plugin = "failing_sink"
inputs = ["bin"]
reason = "the server went away"
fail_on_batch = 3
)");
  EXPECT_EQ(ticking.exit_code, 1);
  std::smatch committed;
  ASSERT_TRUE(std::regex_search(ticking.err, committed, std::regex(R"(committed=(\d+) )"))) << ticking.err;
  const std::uint64_t records = std::stoull(committed[1]);
  EXPECT_GT(records, 0u) << ticking.err;
  EXPECT_LT(records, 1000u) << ticking.err;
  EXPECT_EQ(records % 100, 0u) << "whole batches";
}

TEST_F(Cli, AKeyedAggregatesInputsAreCommittedOnlyWithItsDeliveredOutput) {
  // One bin for the run on 2 partitions: the inputs wait in the partitions'
  // bins, not in a queue.
  const std::string summed = redelivering + R"(
[transforms.sum]
plugin = "aggregate"
inputs = ["src"]
key = ["proto"]
interval = "0s"
workers = 2
)";
  // Its output refused: nothing is committed.
  const auto r = run(summed + R"(
[sinks.out]
plugin = "failing_sink"
inputs = ["sum"]
reason = "the server went away"
fail_on_batch = 1
)");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("committed=0 "));
  // Delivered, all of it is.
  const auto fine = run(summed + R"(
[sinks.out]
plugin = "collecting_sink"
inputs = ["sum"]
)");
  ASSERT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_THAT(fine.err, HasSubstr("committed=1000 "));
}
