// The installed SDK: `cmake --install`, an out-of-tree plugin built with
// find_package(sluice), run by the installed binary.
#include "process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fs = std::filesystem;
using namespace sluice::testing;
using ::testing::HasSubstr;

TEST(InstalledSdk, BuildsAnOutOfTreePluginThatTheInstalledBinaryRuns) {
  TempDir dir;
  const fs::path prefix = dir / "prefix";
  auto install = run({"cmake", "--install", SLUICE_BINARY_DIR, "--prefix", prefix.string()});
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  const fs::path sluice = prefix / "bin/sluice";
  ASSERT_TRUE(fs::exists(sluice));
  ASSERT_TRUE(fs::exists(prefix / "include/sluice/plugin.h"));
  ASSERT_TRUE(fs::exists(prefix / "lib/cmake/sluice/sluiceConfig.cmake"));

  // The installed binary finds the installed plugins without flags.
  const auto plugins = run({sluice.string(), "plugins"});
  ASSERT_EQ(plugins.exit_code, 0) << plugins.err;
  for (const fs::path& file : fs::directory_iterator(prefix / "lib/sluice/plugins")) {
    std::string name = file.stem().string().substr(std::string("sluice_").size());
    EXPECT_THAT(plugins.out, HasSubstr(name + " ")) << "installed but not listed";
  }

  const fs::path build = dir / "build";
  auto configure = run({"cmake", "-S", SLUICE_SOURCE_DIR "/docs/example-plugin", "-B", build.string(),
                        "-DCMAKE_PREFIX_PATH=" + prefix.string()});
  ASSERT_EQ(configure.exit_code, 0) << configure.out << configure.err;
  auto compile = run({"cmake", "--build", build.string()});
  ASSERT_EQ(compile.exit_code, 0) << compile.out << compile.err;
  ASSERT_TRUE(fs::exists(build / "sluice_byte_filter.so"));

  const fs::path pipeline = dir.write("filter.toml", R"([sources.count]
plugin = "counting_source"
count = 1000
[transforms.big]
plugin = "byte_filter"
inputs = ["count"]
min_bytes = 500
[sinks.tally]
plugin = "collecting_sink"
inputs = ["big"]
output = "tally.txt"
)");
  const ProcessOptions env{.cwd = dir.path(), .env = {{"SLUICE_PLUGIN_PATH", build.string()}}};
  const auto described = run({sluice.string(), "plugins", "byte_filter"}, env);
  EXPECT_THAT(described.out, HasSubstr("min_bytes"));
  const auto r = run({sluice.string(), "run", pipeline.string(), "--plugin-dir", SLUICE_TEST_PLUGIN_DIR}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // bytes of record i are i: the filter keeps 500..999.
  EXPECT_THAT(read_file(dir / "tally.txt"), HasSubstr("records=500 bytes=374750 "));
}
