#include "sluice/shell_command/runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace sluice::shell_command {
namespace {

// posix_spawn's attribute and file action objects, released on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;

  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
    // sluice blocks or handles signals on its threads: the command starts
    // with none blocked and every one at its default.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    // Sockets and files of the pipeline stay with it: a command that outlives
    // sluice must not hold its listening port.
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

std::optional<std::string> run_and_wait(const std::string& command) {
  SpawnSetup setup;
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  if (const int error = posix_spawn(&pid, "/bin/sh", &setup.actions, &setup.attr, const_cast<char**>(argv), environ);
      error != 0)
    return std::string("could not start /bin/sh: ") + std::strerror(error);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::string("could not wait for it: ") + std::strerror(errno);
  }
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == 0) return std::nullopt;
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "ended with wait status " + std::to_string(status);
}

Runner::Runner(std::size_t max_running, Hooks hooks) : max_running_(max_running), hooks_(std::move(hooks)) {
  if (max_running_ == 0) throw std::invalid_argument("a command runner needs room for one command at least");
}

Runner::~Runner() {
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;  // workers run what is queued, then end
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void Runner::run(std::string command) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(command));
    if (idle_ == 0 && workers_.size() < max_running_) {
      workers_.emplace_back([this] { work(); });
      return;
    }
  }
  wake_.notify_one();
}

void Runner::wait() {
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

std::size_t Runner::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + running_;
}

void Runner::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    ++idle_;
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (queue_.empty()) return;  // stopping, and nothing left to run
    const std::string command = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    hooks_.started.add();
    if (const auto failure = run_and_wait(command)) {
      hooks_.failed.add();
      if (hooks_.report_failure) hooks_.report_failure(command, *failure);
    }
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) all_done_.notify_all();
  }
}

}  // namespace sluice::shell_command
