// The sampler plugin through the real CLI: bad options are configuration errors.
#include "process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace sluice::testing;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

struct BadOption {
  std::string name, lines, key, message;
};
void PrintTo(const BadOption& c, std::ostream* os) { *os << c.name; }

class SamplerOptions : public ::testing::TestWithParam<BadOption> {};

std::string pipeline(const std::string& sampler_lines) {
  return "[sources.src]\nplugin = \"counting_source\"\n"
         "[transforms.sample]\nplugin = \"sampler\"\ninputs = [\"src\"]\n" +
         sampler_lines + "\n[sinks.out]\nplugin = \"collecting_sink\"\ninputs = [\"sample\"]\noutput = \"tally.txt\"\n";
}

std::vector<std::string> args(const TempDir& dir, const std::string& toml) {
  return {"validate",       dir.write("p.toml", toml).string(), "--plugin-dir", SLUICE_TEST_PLUGIN_DIR, "--plugin-dir",
          SLUICE_PLUGIN_DIR};
}

TEST_P(SamplerOptions, AreRejectedWithFileLineAndKey) {
  TempDir dir;
  const auto r = run_sluice(args(dir, pipeline(GetParam().lines)));
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("p.toml:"), HasSubstr(GetParam().key), HasSubstr(GetParam().message)));
}

INSTANTIATE_TEST_SUITE_P(
    EveryClass, SamplerOptions,
    ::testing::Values(BadOption{"ZeroRate", "rate = 0", "transforms.sample.rate", "must be 1 to 4294967295"},
                      BadOption{"RatioAboveOne", "ratio = 1.5", "transforms.sample.ratio", "must be <= 1"},
                      BadOption{"RatioZero", "ratio = 0", "transforms.sample.ratio", "must be > 0"},
                      BadOption{"Both", "rate = 10\nratio = 0.1", "transforms.sample.ratio", "not both"},
                      BadOption{"Neither", "mode = \"random\"", "transforms.sample.rate", "give rate = N"},
                      BadOption{"UnknownMode", "rate = 2\nmode = \"stratified\"", "transforms.sample.mode",
                                "\"stratified\" is not one of: systematic,random,hash"},
                      BadOption{"UnknownKeyField", "rate = 2\nmode = \"hash\"\nkey = [\"src_addr\", \"sport\"]",
                                "transforms.sample.key", "unknown field \"sport\""}),
    [](const auto& info) { return info.param.name; });

TEST(SamplerPlugin, KeepsOneInNAndPassesEverythingDownstream) {
  TempDir dir;
  auto a = args(dir, pipeline("rate = 10"));
  a[0] = "run";
  const auto r = run_sluice(a, {.cwd = dir.path(), .env = {}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // counting_source: 1000 records, bytes = i. Systematic keeps i = 0, 10, 20...
  EXPECT_THAT(read_file(dir / "tally.txt"), HasSubstr("records=100 bytes=49500 "));
}

}  // namespace
