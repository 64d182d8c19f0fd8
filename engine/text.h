// Small text utilities the config checks need.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice::engine {

// "500ms", "10s", "5m", "1h", "2d" (also combined: "1m30s").
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// `--for`'s value (sluice run, sluice query): a duration above zero, or
// the message that says what was expected.
struct RunDuration {
  std::optional<std::chrono::milliseconds> duration;
  std::string error;
};
RunDuration parse_run_duration(std::string_view text);

// The candidate closest to `word` by edit distance, if it is close enough to
// be a plausible typo.
std::optional<std::string> nearest(std::string_view word, std::span<const std::string> candidates);

// What to tell a user who wrote `word` where one of `candidates` belongs:
// "; did you mean \"x\"?" for a plausible typo, else "; " + intro + the
// list, or "" when there are no candidates.
std::string suggestion(std::string_view word, std::span<const std::string> candidates, std::string_view intro);

// A duration as a user would write it: "250ms", "30s", "5m", "1h".
std::string format_duration(std::chrono::milliseconds duration);

// Shell-style wildcard match: '*' any run, '?' one character.
bool glob_match(std::string_view pattern, std::string_view text);

// "a, b and c"
std::string join_names(std::span<const std::string> names);

}  // namespace sluice::engine
