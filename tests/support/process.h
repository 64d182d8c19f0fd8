// Test support: run programs (sluice, nfcapd, nfdump...) and temp folders.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + N when killed by signal N
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::filesystem::path cwd;               // empty: inherit
  std::map<std::string, std::string> env;  // added to (or replacing in) the inherited environment
};

// A child process whose stdout and stderr go to files, read when it ends.
class Process {
 public:
  Process(std::vector<std::string> argv, ProcessOptions options = {});
  ~Process();  // kills (SIGKILL) and reaps the child if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  void signal(int signo) const;
  // Waits for the child to end; kills it after `timeout` (exit_code then 128+9).
  ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  bool running();
  // What the child has written to stderr so far.
  std::string err_so_far() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::filesystem::path out_file_, err_file_;
};

// Runs to completion.
ProcessResult run(std::vector<std::string> argv, ProcessOptions options = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(120));

// The sluice binary of this build, and its run with the given arguments.
std::string sluice_exe();
ProcessResult run_sluice(std::vector<std::string> args, ProcessOptions options = {});

// An environment variable set for the lifetime of the object, then put back
// as it was (unset if it was unset). Setting TZ also re-reads the time zone.
class ScopedEnvironment {
 public:
  ScopedEnvironment(std::string name, const std::string& value);
  ~ScopedEnvironment();
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  void apply(const std::optional<std::string>& value) const;
  std::string name_;
  std::optional<std::string> previous_;
};

// A fresh folder removed (with its contents) at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Writes `text` to a file in the folder and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& file);

// A UDP / TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_udp_port();
unsigned short free_tcp_port();

// Whether something has bound 127.0.0.1:`port` / [::1]:`port` (UDP): a
// collector is ready.
bool udp_port_bound(unsigned short port);
bool udp6_port_bound(unsigned short port);

// Whether the socket bound to 127.0.0.1:`port` (UDP) has read every datagram
// sent to it: a collector has taken all a sender sent off the socket.
bool udp_receive_queue_empty(unsigned short port);

// Polls `condition` every 10 ms until true or `timeout`; returns its last value.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace sluice::testing

#include <thread>

template <class Condition>
bool sluice::testing::eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}
