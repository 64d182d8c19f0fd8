// sluice as a systemd Type=notify service: READY, STATUS, WATCHDOG and
// STOPPING reach $NOTIFY_SOCKET as the service manager expects them.
#include "cli_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

namespace fs = std::filesystem;
using namespace sluice::testing;
using namespace std::chrono_literals;

namespace {

// What systemd listens on: a datagram socket, one message per datagram.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool bound() const { return bound_; }
  const fs::path& path() const { return path_; }

  // Every message received so far.
  const std::vector<std::string>& messages() {
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd_, buffer, sizeof buffer, 0)) > 0;) messages_.emplace_back(buffer, n);
    return messages_;
  }
  std::size_t count(const std::string& message) {
    const auto& all = messages();
    return static_cast<std::size_t>(std::count(all.begin(), all.end(), message));
  }
  bool any_starting_with(const std::string& prefix) {
    const auto& all = messages();
    return std::any_of(all.begin(), all.end(), [&](const std::string& m) { return m.starts_with(prefix); });
  }

 private:
  fs::path path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> messages_;
};

TEST_F(Cli, TellsSystemdWhenItIsReadyAliveAndStopping) {
  NotifySocket notify(dir / "notify");
  ASSERT_TRUE(notify.bound()) << std::strerror(errno);
  const fs::path pipeline = dir.write("service.toml", R"([sources.src]
plugin = "counting_source"
count = 0
batch_size = 1
pause = "50ms"
marker = "${MARKER}"
[sinks.out]
plugin = "collecting_sink"
inputs = ["src"]
output = "${TALLY}"
)");
  ProcessOptions env = options();
  env.env["NOTIFY_SOCKET"] = notify.path().string();
  env.env["WATCHDOG_USEC"] = "200000";  // WatchdogSec=200ms: a ping every 100 ms
  Process sluice(
      {sluice_exe(), "run", pipeline.string(), "--plugin-dir", SLUICE_TEST_PLUGIN_DIR, "--stats-interval", "1"}, env);

  ASSERT_TRUE(eventually([&] { return notify.count("READY=1") == 1; })) << "no READY=1";
  EXPECT_TRUE(fs::exists(marker)) << "READY=1 comes once the sources have started";
  EXPECT_TRUE(eventually([&] { return notify.count("WATCHDOG=1") >= 5; })) << "no watchdog pings";
  EXPECT_TRUE(eventually([&] { return notify.any_starting_with("STATUS="); }, 5s)) << "no status line";
  EXPECT_EQ(notify.count("STOPPING=1"), 0u);

  sluice.signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return notify.count("STOPPING=1") == 1; })) << "no STOPPING=1 on SIGTERM";
  const auto stopped = sluice.wait(20s);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(notify.count("READY=1"), 1u);
}

}  // namespace
