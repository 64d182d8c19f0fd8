// The plugin reference in docs/config.md is what `sluice plugins --markdown`
// prints for this build: documentation that cannot drift from the code.
#include "process.h"

#include <gtest/gtest.h>

using namespace sluice::testing;

TEST(Docs, ConfigReferenceMatchesThePluginsOfThisBuild) {
  const auto generated = run_sluice({"plugins", "--markdown"}, {.cwd = {}, .env = {{"SLUICE_PLUGIN_PATH", ""}}});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const std::string doc = read_file(SLUICE_SOURCE_DIR "/docs/config.md");
  const std::string begin = "<!-- BEGIN PLUGIN REFERENCE -->\n", end = "<!-- END PLUGIN REFERENCE -->";
  const auto from = doc.find(begin), to = doc.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(doc.substr(from + begin.size(), to - from - begin.size()), generated.out)
      << "docs/config.md is out of date: run tests/docs/update-config-md.sh BUILD_DIR";
}
