// Logging to stderr with levels; safe to call from any thread.
#pragma once

#include <sluice/host.h>

#include <fmt/format.h>

#include <optional>
#include <string_view>

namespace sluice::engine {

std::optional<LogLevel> parse_log_level(std::string_view name);

class Logger {
 public:
  explicit Logger(LogLevel threshold = LogLevel::info) : threshold_(threshold) {}

  bool enabled(LogLevel level) const noexcept { return level >= threshold_; }
  // `origin` is the component id, or empty for the engine itself.
  void write(LogLevel level, std::string_view origin, std::string_view message) const;

  // A line kept at the bottom of the terminal (progress), redrawn below each
  // log line; empty removes it. Call only when stderr is a terminal.
  void status(std::string_view line) const;

  template <class... Args>
  void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(level)) write(level, {}, fmt::format(format, std::forward<Args>(args)...));
  }
  template <class... Args>
  void info(fmt::format_string<Args...> format, Args&&... args) const {
    log(LogLevel::info, format, std::forward<Args>(args)...);
  }
  template <class... Args>
  void warning(fmt::format_string<Args...> format, Args&&... args) const {
    log(LogLevel::warning, format, std::forward<Args>(args)...);
  }
  template <class... Args>
  void error(fmt::format_string<Args...> format, Args&&... args) const {
    log(LogLevel::error, format, std::forward<Args>(args)...);
  }

 private:
  LogLevel threshold_;
};

}  // namespace sluice::engine
