// The Debian package as a user meets it: `cpack -G DEB` from this build,
// `dpkg -i`, the installed binary run from any folder, the unit checked by
// systemd-analyze, then `dpkg -r` and `dpkg -P`. dpkg works on a private copy
// of this machine: the test process's own mount namespace, where /usr, /etc
// and /var are overlays whose changes go to a tmpfs that vanishes with it.
// The machine itself is never touched. Like dpkg -i, it needs root.
#include "process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sched.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace fs = std::filesystem;
using namespace sluice::testing;
using ::testing::HasSubstr;

namespace {

class PrivateSystem {
 public:
  explicit PrivateSystem(const fs::path& scratch) : scratch_(scratch) {
    if (::unshare(CLONE_NEWNS) != 0) fail("unshare(CLONE_NEWNS) (the package test needs root)");
    // Nothing mounted from here on may reach the machine's namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("making / private");
    if (::mount("tmpfs", scratch_.c_str(), "tmpfs", 0, nullptr) != 0) fail("mounting a tmpfs on " + scratch_.string());
    for (const fs::path dir : {"/usr", "/etc", "/var"}) {
      const fs::path upper = scratch_ / dir.filename() / "upper", work = scratch_ / dir.filename() / "work";
      fs::create_directories(upper);
      fs::create_directories(work);
      const std::string options =
          "lowerdir=" + dir.string() + ",upperdir=" + upper.string() + ",workdir=" + work.string();
      if (::mount("overlay", dir.c_str(), "overlay", 0, options.c_str()) != 0) fail("overlaying " + dir.string());
      overlays_.push_back(dir);
    }
  }

  ~PrivateSystem() {
    for (const auto& dir : overlays_) ::umount2(dir.c_str(), MNT_DETACH);
    ::umount2(scratch_.c_str(), MNT_DETACH);
  }
  PrivateSystem(const PrivateSystem&) = delete;
  PrivateSystem& operator=(const PrivateSystem&) = delete;

 private:
  [[noreturn]] static void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
  }

  fs::path scratch_;
  std::vector<fs::path> overlays_;
};

TEST(DebianPackage, InstallsRunsFromAnyFolderAndRemovesCleanly) {
  TempDir dir;
  const auto built = run({"cpack", "-G", "DEB", "--config", std::string(SLUICE_BINARY_DIR) + "/CPackConfig.cmake", "-B",
                          (dir / "cpack").string()},
                         {}, std::chrono::minutes(10));
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  fs::path deb;
  for (const auto& entry : fs::directory_iterator(dir / "cpack"))
    if (entry.path().extension() == ".deb") deb = entry.path();
  ASSERT_FALSE(deb.empty()) << "cpack made no .deb: " << built.out;

  // What dpkg-shlibdeps found the binaries need, and what goes where.
  const auto depends = run({"dpkg-deb", "--field", deb.string(), "Depends"});
  EXPECT_THAT(depends.out, HasSubstr("liblzo2-2"));
  EXPECT_THAT(depends.out, HasSubstr("libsystemd0"));
  const auto listing = run({"dpkg-deb", "--contents", deb.string()});
  for (const char* file :
       {"./usr/bin/sluice", "./usr/lib/sluice/plugins/sluice_csv_writer.so",
        "./usr/share/sluice/pipelines/collector.toml", "./etc/sluice/gen-to-csv.toml", "./etc/sluice/collector.toml",
        "./usr/lib/systemd/system/sluice@.service", "./usr/lib/sysusers.d/sluice.conf", "./usr/include/sluice/plugin.h",
        "./usr/lib/cmake/sluice/sluiceConfig.cmake", "./usr/share/doc/sluice/operations.md"})
    EXPECT_THAT(listing.out, HasSubstr(std::string(" ") + file + "\n")) << "not in the package";

  TempDir scratch;
  PrivateSystem system(scratch.path());
  ASSERT_NE(run({"dpkg", "--status", "sluice"}).exit_code, 0) << "sluice is installed already";
  const auto installed = run({"dpkg", "--install", deb.string()});
  ASSERT_EQ(installed.exit_code, 0) << installed.out << installed.err;

  const auto user = run({"getent", "passwd", "sluice"});
  EXPECT_EQ(user.exit_code, 0) << "postinst made no sluice user";
  EXPECT_THAT(user.out, HasSubstr(":/var/lib/sluice:"));
  const auto unit = read_file("/usr/lib/systemd/system/sluice@.service");
  EXPECT_THAT(unit, HasSubstr("ExecStart=/usr/bin/sluice run /etc/sluice/%i.toml\n"));
  const auto verified = run({"systemd-analyze", "verify", "sluice@gen-to-csv.service"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(verified.err, "") << "systemd-analyze has remarks";
  // Hardened: "OK" (3.0 or less) in systemd's own exposure score.
  const auto security = run(
      {"systemd-analyze", "security", "--offline=yes", "--threshold=30", "/usr/lib/systemd/system/sluice@.service"});
  EXPECT_EQ(security.exit_code, 0) << security.out << security.err;
  EXPECT_THAT(security.out, HasSubstr(" OK "));

  // A user in a folder of their own: the pipeline is found in /etc/sluice.
  TempDir elsewhere;
  const ProcessOptions there{.cwd = elsewhere.path(), .env = {}};
  const auto validated = run({"/usr/bin/sluice", "validate", "gen-to-csv"}, there);
  EXPECT_EQ(validated.exit_code, 0) << validated.err;
  EXPECT_THAT(validated.out, HasSubstr("/etc/sluice/gen-to-csv.toml: valid"));
  const auto ran = run({"/usr/bin/sluice", "run", "gen-to-csv", "--set", "sources.gen.count=2000", "--set",
                        "sinks.csv.path=flows.csv", "--stats-interval", "0"},
                       there);
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  const auto csv = read_file(elsewhere / "flows.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2001) << "a header and 2000 flows";

  const auto removed = run({"dpkg", "--remove", "sluice"});
  ASSERT_EQ(removed.exit_code, 0) << removed.out << removed.err;
  for (const char* gone : {"/usr/bin/sluice", "/usr/lib/sluice", "/usr/share/sluice", "/usr/include/sluice",
                           "/usr/lib/cmake/sluice", "/usr/lib/systemd/system/sluice@.service"})
    EXPECT_FALSE(fs::exists(gone)) << gone << " is left after dpkg -r";
  EXPECT_TRUE(fs::exists("/etc/sluice/gen-to-csv.toml")) << "dpkg -r keeps the configuration";
  const auto purged = run({"dpkg", "--purge", "sluice"});
  ASSERT_EQ(purged.exit_code, 0) << purged.out << purged.err;
  EXPECT_FALSE(fs::exists("/etc/sluice")) << "dpkg -P removes the configuration";
  EXPECT_NE(run({"dpkg", "--status", "sluice"}).exit_code, 0);
}

}  // namespace
