// The pipeline file: parsed, overridden, expanded and checked for structure.
// Nothing here loads a plugin; options are checked later against each
// plugin's declaration (see options_binder.h).
#pragma once

#include <sluice/abi.h>

#include <toml++/toml.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace sluice::engine {

// One problem with the configuration, located as precisely as possible.
struct ConfigProblem {
  std::string file;  // or "--set" for a value given on the command line
  int line = 0;
  int column = 0;
  std::string key;  // dotted path, e.g. "sinks.csv.path"
  std::string message;

  std::string to_string() const;
};

// Thrown with every problem found, so a user fixes them all in one go.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<ConfigProblem> problems);
  const std::vector<ConfigProblem>& problems() const noexcept { return problems_; }

 private:
  std::vector<ConfigProblem> problems_;
};

// Records problems with the location of the TOML node they concern.
class ProblemList {
 public:
  explicit ProblemList(std::string file) : file_(std::move(file)) {}
  void add(const toml::node* node, std::string key, std::string message);
  bool empty() const noexcept { return problems_.empty(); }
  // Throws ConfigError if any problem was added.
  void raise_if_any();

 private:
  std::string file_;
  std::vector<ConfigProblem> problems_;
};

// The [engine] table: how the runtime itself behaves.
struct EngineConfig {
  std::string metrics;  // "host:port" serving the console, /metrics and /health; empty: none
  std::chrono::milliseconds drain_timeout{30'000};
  std::optional<std::chrono::seconds> stats_interval;      // unset: the command line's (default 10 s)
  std::chrono::milliseconds console_silent_after{60'000};  // the console marks an exporter this quiet as silent
};

// A sink's `buffer = "disk"`: where its disk buffer lives and how it behaves.
struct DiskBufferConfig {
  std::string path;                // the buffer's folder
  std::uint64_t max_size;          // bytes of segment files
  std::chrono::milliseconds sync;  // how often data and ledger reach the disk
};

struct ComponentConfig {
  std::string id;
  PluginKind role = PluginKind::source;
  std::string plugin;
  std::vector<std::string> inputs;              // resolved ids (globs expanded), in file order
  bool drop_when_full = false;                  // sinks: `when_full = "drop"`
  unsigned instances = 1;                       // sources: `instances = N` copies
  unsigned workers = 1;                         // transforms and sinks: `workers = N | "auto"` (resolved)
  bool parallel = false;                        // `workers` asks for more than one (N > 1, or "auto")
  std::uint64_t limit = 0;                      // transforms and sinks: `limit = N` records taken at most; 0: all
  std::optional<DiskBufferConfig> disk_buffer;  // sinks: `buffer = "disk"`
  std::string key;                              // "sinks.csv": the prefix of every key below
  const toml::table* table = nullptr;           // all keys, including the engine's own
};

// A TOML value written as text ("42", "true", "[\"a\"]"); nullptr if it is not one.
std::unique_ptr<toml::node> parse_toml_value(std::string_view text);

// "integer", "string", "table"...
std::string type_name(const toml::node& node);

// The keys the engine reads itself in a component of `role` (plugin,
// inputs, instances, when_full...); every other key is the plugin's option.
std::span<const OptionSpec> engine_keys(PluginKind role);

// The cores this process may run on (its affinity mask, as taskset or a
// cgroup's cpuset set it), at least one: `workers = "auto"`.
unsigned usable_cores();

// The keys of the [engine] table.
std::span<const OptionSpec> engine_table_options();

struct PipelineConfig {
  std::string file;
  toml::table root;
  EngineConfig engine;
  std::vector<ComponentConfig> components;  // sources, then transforms, then sinks

  const ComponentConfig* find(std::string_view id) const;
};

// Reads `file`, applies `--set KEY=VALUE` overrides and ${VAR} expansion, and
// checks the graph: kinds, ids, plugin names present, inputs, cycles,
// unconsumed components. Throws ConfigError.
PipelineConfig load_pipeline(const std::filesystem::path& file, const std::vector<std::string>& overrides);
// The same for a pipeline made in memory (`sluice query`); `name` stands for
// the file in messages.
PipelineConfig parse_pipeline(std::string_view text, std::string name);

}  // namespace sluice::engine
