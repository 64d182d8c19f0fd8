// The options every file writer plugin takes, declared and read in one place.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

#include "sluice/file_output/rotating_output.h"
#include "sluice/options.h"

namespace sluice::file_output {

inline constexpr OptionSpec writer_option_specs[] = {
    {.name = "path",
     .type = OptionType::string,
     .help = "output file; with a rotator upstream a strftime pattern filled in "
             "with each window's start (e.g. \"out/%Y/%m/%d/flows-%H%M.csv\")",
     .required = true},
    {.name = "timezone",
     .type = OptionType::string,
     .default_value = "\"utc\"",
     .help = "time zone of the strftime fields in path",
     .choices = "utc|local"},
    {.name = "keep_files",
     .type = OptionType::integer,
     .default_value = "0",
     .help = "keep only the newest N files matching path (0: keep all)"},
    {.name = "keep_for",
     .type = OptionType::duration,
     .default_value = "\"0s\"",
     .help = "delete files whose window began this long before the newest (0s: never)"},
    {.name = "flush_interval",
     .type = OptionType::duration,
     .default_value = "\"1s\"",
     .help = "buffered rows reach the file at least this often (tail -f follows a live file)"},
};

// Reads writer_option_specs; throws OptionError for values out of range.
RotationOptions read_writer_options(const Options& options);
std::chrono::milliseconds read_flush_interval(const Options& options);

// One option list out of several, for a plugin's declaration.
template <std::size_t... N>
constexpr auto join_option_specs(const OptionSpec (&... lists)[N]) {
  std::array<OptionSpec, (N + ...)> all{};
  std::size_t i = 0;
  ((std::copy(std::begin(lists), std::end(lists), all.begin() + static_cast<std::ptrdiff_t>(i)), i += N), ...);
  return all;
}

}  // namespace sluice::file_output
