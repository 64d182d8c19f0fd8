#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace sluice::testing {

namespace fs = std::filesystem;

namespace {

fs::path unique_temp_path(const std::string& stem) {
  static std::mt19937_64 random{std::random_device{}()};
  return fs::temp_directory_path() / (stem + std::to_string(getpid()) + "-" + std::to_string(random()));
}

}  // namespace

Process::Process(std::vector<std::string> argv, ProcessOptions options) {
  out_file_ = unique_temp_path("sluice-test-out-");
  err_file_ = unique_temp_path("sluice-test-err-");
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_entries;
  for (auto& [k, v] : env) env_entries.push_back(k + "=" + v);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    setpgid(0, 0);  // its own group: a stray signal to the test runner's group misses it
    const int out = open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(126);
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : env_entries) envp.push_back(e.data());
    envp.push_back(nullptr);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Process::~Process() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  fs::remove(out_file_, ec);
  fs::remove(err_file_, ec);
}

void Process::signal(int signo) const { ::kill(pid_, signo); }

bool Process::running() {
  if (reaped_) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

ProcessResult Process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      reaped_ = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ProcessResult result;
  result.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  result.out = read_file(out_file_);
  result.err = read_file(err_file_);
  return result;
}

ProcessResult run(std::vector<std::string> argv, ProcessOptions options, std::chrono::milliseconds timeout) {
  Process p(std::move(argv), std::move(options));
  return p.wait(timeout);
}

std::string sluice_exe() {
#ifdef SLUICE_EXE
  return SLUICE_EXE;
#else
  return std::string(SLUICE_BINARY_DIR) + "/bin/sluice";
#endif
}

ProcessResult run_sluice(std::vector<std::string> args, ProcessOptions options) {
  args.insert(args.begin(), sluice_exe());
  return run(std::move(args), std::move(options));
}

ScopedEnvironment::ScopedEnvironment(std::string name, const std::string& value) : name_(std::move(name)) {
  if (const char* previous = std::getenv(name_.c_str())) previous_ = previous;
  apply(value);
}

ScopedEnvironment::~ScopedEnvironment() { apply(previous_); }

void ScopedEnvironment::apply(const std::optional<std::string>& value) const {
  if (value)
    ::setenv(name_.c_str(), value->c_str(), 1);
  else
    ::unsetenv(name_.c_str());
  if (name_ == "TZ") ::tzset();
}

TempDir::TempDir() : path_(unique_temp_path("sluice-test-")) { fs::create_directories(path_); }

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(const std::string& name, const std::string& text) const {
  const fs::path file = path_ / name;
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
  return file;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

// The receive queue (bytes) of the socket /proc/net/udp (or udp6) lists as
// bound to `port` on one of `addresses` (as the kernel prints them); nullopt
// when none is. Reading the table, unlike binding the port to see whether it
// is taken, never takes it from the collector that is about to bind it.
std::optional<std::uint64_t> udp_table_queue(const char* table, unsigned short port,
                                             std::initializer_list<std::string_view> addresses) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  char port_hex[5];
  std::snprintf(port_hex, sizeof port_hex, "%04X", port);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;  // queues: tx_queue:rx_queue, in hex
    const auto colon = local.find(':');
    if (colon == std::string::npos || local.substr(colon + 1) != port_hex) continue;
    for (std::string_view address : addresses)
      if (local.compare(0, colon, address) == 0) return std::stoull(queues.substr(queues.find(':') + 1), nullptr, 16);
  }
  return std::nullopt;
}

// How /proc/net/udp prints 127.0.0.1 and 0.0.0.0.
const std::initializer_list<std::string_view> v4_loopback_or_any = {"0100007F", "00000000"};

// The port the kernel picks for a socket of `type` bound to 127.0.0.1:0.
unsigned short free_port(int type) {
  const int fd = socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t length = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

bool udp_port_bound(unsigned short port) {
  return udp_table_queue("/proc/net/udp", port, v4_loopback_or_any).has_value();
}

bool udp6_port_bound(unsigned short port) {
  return udp_table_queue("/proc/net/udp6", port,
                         {"00000000000000000000000001000000", "00000000000000000000000000000000"})
      .has_value();
}

bool udp_receive_queue_empty(unsigned short port) {
  return udp_table_queue("/proc/net/udp", port, v4_loopback_or_any) == std::optional<std::uint64_t>(0);
}

std::string Process::err_so_far() const { return read_file(err_file_); }

unsigned short free_udp_port() { return free_port(SOCK_DGRAM); }
unsigned short free_tcp_port() { return free_port(SOCK_STREAM); }

}  // namespace sluice::testing
