#include "log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace sluice::engine {

namespace {

constexpr std::string_view level_names[] = {"debug", "info", "warning", "error"};

std::string_view name_of(LogLevel level) { return level_names[static_cast<int>(level)]; }

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
  // One fwrite per line so lines from different threads never interleave.
  static std::mutex stderr_mutex;
  std::lock_guard lock(stderr_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace sluice::engine
