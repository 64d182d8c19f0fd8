// The options every file writer plugin takes, declared and read in one place.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>

#include "sluice/file_output/on_close.h"
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
     .help = "keep only the newest N files matching path (0: keep all)",
     .min = "0"},
    {.name = "keep_for",
     .type = OptionType::duration,
     .default_value = "\"0s\"",
     .help = "delete files whose window began this long before the newest (0s: never)"},
    {.name = "flush_interval",
     .type = OptionType::duration,
     .default_value = "\"1s\"",
     .help = "buffered rows reach the file at least this often (tail -f follows a live file)",
     .min = "\"10ms\""},
    {.name = "on_close",
     .type = OptionType::string,
     .default_value = "\"\"",
     .help = "shell command run after each file is closed and put in place, as nfcapd -x: %d the top folder, %f "
             "the file below it, %t the window start YYYYMMDDhhmm, %u in epoch seconds, %i the ident; \"\": none"},
    {.name = "on_close_max_running",
     .type = OptionType::integer,
     .default_value = "2",
     .help = "on_close commands running at once at most; more wait their turn (the pipeline never waits)",
     .min = "1"},
};

// Reads writer_option_specs; throws OptionError for values out of range.
RotationOptions read_writer_options(const Options& options);
// The on_close command, if any; its %i is the plugin's `ident` option, if it
// has one.
std::optional<OnCloseCommand> read_on_close(const Options& options, TimeZone zone);

// One option list out of several, for a plugin's declaration.
template <std::size_t... N>
constexpr auto join_option_specs(const OptionSpec (&... lists)[N]) {
  std::array<OptionSpec, (N + ...)> all{};
  std::size_t i = 0;
  ((std::copy(std::begin(lists), std::end(lists), all.begin() + static_cast<std::ptrdiff_t>(i)), i += N), ...);
  return all;
}

}  // namespace sluice::file_output
