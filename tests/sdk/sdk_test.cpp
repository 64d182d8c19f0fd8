// The installed SDK: `cmake --install`, an out-of-tree plugin built with
// find_package(sluice), run by the installed binary.
#include "http.h"
#include "process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

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
  ASSERT_TRUE(fs::exists(build / "sluice_tcp_lines.so"));

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
  EXPECT_THAT(r.err, HasSubstr("big        byte_filter"));

  // tcp_lines before its server listens: connection refused is transient, the
  // engine retries, and every line arrives once the server is up.
  const unsigned short port = free_tcp_port();
  const fs::path received = dir / "received.txt";
  const unsigned short metrics_port = free_tcp_port();
  const fs::path lines = dir.write("lines.toml", R"([engine]
metrics = "127.0.0.1:)" + std::to_string(metrics_port) +
                                                     R"("
[sources.count]
plugin = "counting_source"
count = 1000
[sinks.server]
plugin = "tcp_lines"
inputs = ["count"]
port = )" + std::to_string(port) + "\n");
  Process sluice_run({sluice.string(), "run", lines.string(), "--plugin-dir", SLUICE_TEST_PLUGIN_DIR}, env);
  ASSERT_TRUE(eventually([&] {
    const auto scrape = http_get(metrics_port, "/metrics");
    return scrape &&
           scrape->body.find(
               "sluice_sink_retries_total{component_id=\"server\",component_kind=\"sink\","
               "plugin=\"tcp_lines\"} 0") == std::string::npos &&
           scrape->body.find("sluice_sink_retries_total") != std::string::npos;
  })) << "the sink retries while no server listens";
  Process server({"python3", "-c",
                  "import socket,sys\n"
                  "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                  "s.bind(('127.0.0.1'," +
                      std::to_string(port) +
                      ")); s.listen()\n"
                      "c,_=s.accept(); data=b''\n"
                      "while True:\n"
                      "  b=c.recv(65536)\n"
                      "  if not b: break\n"
                      "  data+=b\n"
                      "open(sys.argv[1],'wb').write(data)\n",
                  received.string()});
  const auto sent = sluice_run.wait(std::chrono::seconds(60));
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_THAT(sent.err, HasSubstr("will retry (transient"));
  EXPECT_EQ(server.wait(std::chrono::seconds(10)).exit_code, 0);
  const std::string text = read_file(received);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1000);
  EXPECT_THAT(text, HasSubstr(":: :: 999\n"));
}
