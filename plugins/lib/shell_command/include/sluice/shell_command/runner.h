// Shell commands run in the background, for plugins, which know no threads
// or child processes: a writer's on_close hook is one.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sluice/metrics.h"

namespace sluice::shell_command {

// Runs `command` with /bin/sh -c and waits for it. The command gets
// /dev/null as input, the caller's output and environment, no other open
// file, default signal handling, and a process group of its own (a Ctrl-C
// meant for sluice does not cut it short). Returns why it failed (could not
// start, exited with a status other than 0, was killed), or nothing.
std::optional<std::string> run_and_wait(const std::string& command);

// Runs commands one after another in the background, at most `max_running`
// at once; the others wait their turn in order. run() never blocks, so a
// pipeline thread hands a command over and goes on. Every command given is
// run and waited for before the destructor returns.
class Runner {
 public:
  struct Hooks {
    Counter started;  // commands started
    Counter failed;   // commands that failed (see run_and_wait)
    // Told of each failure, on a thread of the runner.
    std::function<void(const std::string& command, const std::string& failure)> report_failure;
  };

  Runner(std::size_t max_running, Hooks hooks);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  void run(std::string command);
  // Returns once every command given so far has ended.
  void wait();
  // Commands given that have not ended yet.
  std::size_t pending() const;

 private:
  void work();

  const std::size_t max_running_;
  Hooks hooks_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;      // a command to run, or the end
  std::condition_variable all_done_;  // nothing queued or running
  std::deque<std::string> queue_;
  std::size_t running_ = 0;
  std::size_t idle_ = 0;  // workers waiting for a command
  bool stopping_ = false;
  std::vector<std::thread> workers_;  // started as needed, up to max_running_
};

}  // namespace sluice::shell_command
