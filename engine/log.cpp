#include "log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace sluice::engine {

namespace {

constexpr std::string_view level_names[] = {"debug", "info", "warning", "error"};

std::string_view name_of(LogLevel level) { return level_names[static_cast<int>(level)]; }

std::mutex stderr_mutex;
std::string status_line;  // under stderr_mutex

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (int i = 0; i < 4; ++i)
    if (level_names[i] == name) return static_cast<LogLevel>(i);
  return std::nullopt;
}

void Logger::write(LogLevel level, std::string_view origin, std::string_view message) const {
  if (!enabled(level)) return;
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t seconds = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::string line =
      fmt::format("{:02}:{:02}:{:02}.{:03} {:<7} ", utc.tm_hour, utc.tm_min, utc.tm_sec, millis, name_of(level));
  if (!origin.empty()) fmt::format_to(std::back_inserter(line), "[{}] ", origin);
  line.append(message);
  line.push_back('\n');
  std::lock_guard lock(stderr_mutex);
  // The status line, if any, is erased, then drawn again below the new line.
  if (!status_line.empty()) line = "\r\033[K" + line + status_line;
  // One fwrite per line so lines from different threads never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Logger::status(std::string_view line) const {
  std::lock_guard lock(stderr_mutex);
  status_line = line;
  const std::string draw = "\r\033[K" + status_line;
  std::fwrite(draw.data(), 1, draw.size(), stderr);
  std::fflush(stderr);
}

}  // namespace sluice::engine
