#include "config.h"

#include "options_binder.h"
#include "text.h"

#include <fmt/format.h>

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace sluice::engine {

std::string ConfigProblem::to_string() const {
  std::string where = file;
  if (line > 0) where += fmt::format(":{}:{}", line, column);
  return key.empty() ? fmt::format("{}: {}", where, message) : fmt::format("{}: {}: {}", where, key, message);
}

namespace {

std::string describe_all(const std::vector<ConfigProblem>& problems) {
  std::string text;
  for (const auto& p : problems) text += p.to_string() + "\n";
  return text;
}

}  // namespace

ConfigError::ConfigError(std::vector<ConfigProblem> problems)
    : std::runtime_error(describe_all(problems)), problems_(std::move(problems)) {}

void ProblemList::add(const toml::node* node, std::string key, std::string message) {
  ConfigProblem p{file_, 0, 0, std::move(key), std::move(message)};
  if (node) {
    const toml::source_region& source = node->source();
    if (source.path) {
      p.file = *source.path;
      p.line = static_cast<int>(source.begin.line);
      p.column = static_cast<int>(source.begin.column);
    } else {
      p.file = "--set";  // a value from the command line has no place in the file
    }
  }
  problems_.push_back(std::move(p));
}

void ProblemList::raise_if_any() {
  if (!problems_.empty()) throw ConfigError(std::move(problems_));
}

std::unique_ptr<toml::node> parse_toml_value(std::string_view text) {
  try {
    toml::table parsed = toml::parse(fmt::format("value = {}", text));
    if (toml::node* value = parsed.get("value")) {
      std::unique_ptr<toml::node> out;
      value->visit([&](auto& v) { out = std::make_unique<std::remove_cvref_t<decltype(v)>>(std::move(v)); });
      return out;
    }
  } catch (const toml::parse_error&) {
  }
  return nullptr;
}

std::string type_name(const toml::node& node) {
  std::ostringstream out;
  out << node.type();
  return out.str();
}

namespace {

constexpr OptionSpec plugin_key{.name = "plugin",
                                .type = OptionType::string,
                                .help = "the plugin's name, e.g. plugin = \"csv_writer\" (sluice plugins lists them)",
                                .required = true};
constexpr OptionSpec inputs_key{.name = "inputs",
                                .type = OptionType::string_list,
                                .help = "ids of the sources and transforms to read from (globs allowed: \"gen*\")"};

constexpr OptionSpec source_keys[] = {
    plugin_key,
    {.name = "instances",
     .type = OptionType::integer,
     .default_value = "1",
     .help = "copies of the source, each told its index (ids ID#0...)",
     .min = "1",
     .max = "64"},
};
constexpr OptionSpec workers_key{
    .name = "workers",
    .type = OptionType::integer,
    .default_value = "1",
    .help = "threads running it: N, or \"auto\" for the cores this process may use (a serial plugin takes 1)",
    .min = "1",
    .max = "256"};

constexpr OptionSpec limit_key{
    .name = "limit",
    .type = OptionType::integer,
    .default_value = "0",
    .help =
        "records it takes at most; once it has them the sources stop and the rest is dropped (nfdump -c); 0: "
        "no limit",
    .min = "0"};

constexpr OptionSpec transform_keys[] = {plugin_key, inputs_key, workers_key, limit_key};
constexpr OptionSpec sink_keys[] = {
    plugin_key,
    inputs_key,
    limit_key,
    {.name = "when_full",
     .type = OptionType::string,
     .default_value = "\"block\"",
     .help = "a full queue blocks its producers, or drops and counts what does not fit",
     .choices = "block|drop"},
    workers_key,
    {.name = "buffer",
     .type = OptionType::string,
     .default_value = "\"memory\"",
     .help = "where records wait for the sink: in memory, or on disk too, kept through outages and restarts until "
             "the sink has delivered them (docs/operations.md)",
     .choices = "memory|disk"},
    {.name = "buffer_path",
     .type = OptionType::string,
     .help = "the disk buffer's folder (default: buffers/ID in the working directory, /var/lib/sluice/NAME under "
             "systemd)"},
    {.name = "buffer_max_size",
     .type = OptionType::integer,
     .default_value = "268435456",
     .help = "bytes of disk the buffer may use; when_full says what happens beyond",
     .min = "1048576"},
    {.name = "buffer_sync",
     .type = OptionType::duration,
     .default_value = "\"500ms\"",
     .help = "how often the buffer is synced to the disk: what a power cut may lose",
     .min = "\"1ms\""},
};

constexpr OptionSpec engine_table_keys[] = {
    {.name = "metrics",
     .type = OptionType::string,
     .help = "\"host:port\" to serve Prometheus metrics at /metrics and health at /health"},
    {.name = "drain_timeout",
     .type = OptionType::duration,
     .default_value = "\"30s\"",
     .help = "how long sinks get to deliver what is in flight once the sources have stopped"},
    {.name = "stats_interval",
     .type = OptionType::duration,
     .help = "how often the stats line is logged (default: --stats-interval, 10s)"},
    {.name = "console_silent_after",
     .type = OptionType::duration,
     .default_value = "\"1m\"",
     .help = "the console marks an exporter this long quiet as silent"},
};

}  // namespace

std::span<const OptionSpec> engine_keys(PluginKind role) {
  switch (role) {
    case PluginKind::source: return source_keys;
    case PluginKind::transform: return transform_keys;
    case PluginKind::sink: return sink_keys;
  }
  return {};
}

std::span<const OptionSpec> engine_table_options() { return engine_table_keys; }

const ComponentConfig* PipelineConfig::find(std::string_view id) const {
  for (const auto& c : components)
    if (c.id == id) return &c;
  return nullptr;
}

unsigned usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1U, std::thread::hardware_concurrency());
}

namespace {

constexpr std::pair<std::string_view, PluginKind> sections[] = {
    {"sources", PluginKind::source}, {"transforms", PluginKind::transform}, {"sinks", PluginKind::sink}};

// `--set sinks.csv.path=out.csv`: the value is read as TOML when it parses as
// one (numbers, booleans, arrays), otherwise taken as a plain string.
void apply_override(toml::table& root, std::string_view assignment, ProblemList& problems) {
  const auto equals = assignment.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    problems.add(nullptr, std::string(assignment), "--set expects KEY=VALUE, e.g. --set sinks.csv.path=out.csv");
    return;
  }
  const std::string_view path = assignment.substr(0, equals);
  const std::string value(assignment.substr(equals + 1));

  toml::table* table = &root;
  std::string_view rest = path;
  while (true) {
    const auto dot = rest.find('.');
    const std::string_view segment = rest.substr(0, dot);
    if (segment.empty()) {
      problems.add(nullptr, std::string(path), "--set has an empty key segment");
      return;
    }
    if (dot == std::string_view::npos) {
      if (auto parsed = parse_toml_value(value))
        table->insert_or_assign(segment, std::move(*parsed));
      else
        table->insert_or_assign(segment, value);
      return;
    }
    auto [it, inserted] = table->emplace<toml::table>(segment);
    table = it->second.as_table();
    if (!table) {
      problems.add(nullptr, std::string(path), fmt::format("--set: \"{}\" is a value, not a table", segment));
      return;
    }
    rest.remove_prefix(dot + 1);
  }
}

// Replaces ${VAR} (and ${VAR:-default}) in a string; false if a variable is unset.
bool expand_variables(std::string& text, std::string& unset_name) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto start = text.find("${", pos);
    if (start == std::string::npos) break;
    const auto end = text.find('}', start);
    if (end == std::string::npos) break;
    out.append(text, pos, start - pos);
    std::string name = text.substr(start + 2, end - start - 2);
    std::optional<std::string> fallback;
    if (auto sep = name.find(":-"); sep != std::string::npos) {
      fallback = name.substr(sep + 2);
      name.resize(sep);
    }
    if (const char* value = std::getenv(name.c_str()); value && *value) {
      out += value;
    } else if (fallback) {
      out += *fallback;
    } else {
      unset_name = name;
      return false;
    }
    pos = end + 1;
  }
  if (pos == 0) return true;
  out.append(text, pos);
  text = std::move(out);
  return true;
}

void expand_environment(toml::node& node, const std::string& key, ProblemList& problems) {
  if (auto* table = node.as_table()) {
    for (auto&& [k, child] : *table)
      expand_environment(child, key.empty() ? std::string(k) : key + "." + std::string(k.str()), problems);
  } else if (auto* array = node.as_array()) {
    for (auto& child : *array) expand_environment(child, key, problems);
  } else if (auto* string = node.as_string()) {
    std::string unset;
    if (!expand_variables(string->get(), unset))
      problems.add(
          &node, key,
          fmt::format("environment variable {} is not set (use ${{{}:-default}} for a fallback)", unset, unset));
  }
}

bool has_wildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// "sources", "transforms and sinks": the roles whose components take `key`.
std::string roles_taking(std::string_view key) {
  std::vector<std::string> roles;
  for (auto [section, role] : sections)
    for (const auto& spec : engine_keys(role))
      if (spec.name == key) roles.emplace_back(section);
  return join_names(roles);
}

// `buffer = "disk"` and its keys; the buffer_* keys ask for it.
void read_disk_buffer(ComponentConfig& c, const Options& keys, ProblemList& problems) {
  const bool disk = keys.has("buffer") && keys.string("buffer") == "disk";
  if (!disk) {
    for (const char* key : {"buffer_path", "buffer_max_size", "buffer_sync"})
      if (const toml::node* node = c.table->get(key))
        problems.add(node, fmt::format("{}.{}", c.key, key), "applies with buffer = \"disk\" only");
    return;
  }
  // A value that did not bind is a problem already reported: nothing starts.
  if (!keys.has("buffer_max_size") || !keys.has("buffer_sync")) return;
  c.disk_buffer = DiskBufferConfig{
      .path = keys.has("buffer_path") ? keys.string("buffer_path") : "buffers/" + c.id,
      .max_size = static_cast<std::uint64_t>(keys.integer("buffer_max_size")),
      .sync = keys.duration("buffer_sync"),
  };
}

// The engine's keys of one component (plugin, instances, when_full...),
// bound as a plugin's options are; the plugin's keys are checked later.
void read_engine_keys(ComponentConfig& c, ProblemList& problems) {
  for (auto&& [name, node] : *c.table)
    if (!find_option(engine_keys(c.role), name.str()))
      if (const auto roles = roles_taking(name.str()); !roles.empty())
        problems.add(&node, c.key + "." + std::string(name.str()), "applies to " + roles + " only");
  // `workers = "auto"` is the cores this process may use: taken here, and its
  // row left out of the binding (which knows integers only).
  std::vector<OptionSpec> specs(engine_keys(c.role).begin(), engine_keys(c.role).end());
  const bool auto_workers = find_option(specs, "workers") && (*c.table)["workers"].value_exact<std::string>() == "auto";
  if (auto_workers) std::erase_if(specs, [](const OptionSpec& spec) { return spec.name == "workers"; });
  const Options keys =
      bind_table(*c.table, c.key, {.owner = "the engine", .specs = specs, .only_declared = true}, problems);
  if (keys.has("plugin")) c.plugin = keys.string("plugin");
  if (keys.has("instances")) c.instances = static_cast<unsigned>(keys.integer("instances"));
  if (keys.has("when_full")) c.drop_when_full = keys.string("when_full") == "drop";
  if (keys.has("workers")) c.workers = static_cast<unsigned>(keys.integer("workers"));
  if (keys.has("limit")) c.limit = static_cast<std::uint64_t>(keys.integer("limit"));
  if (auto_workers) c.workers = usable_cores();
  c.parallel = auto_workers || c.workers > 1;
  read_disk_buffer(c, keys, problems);
}

void read_components(PipelineConfig& config, ProblemList& problems) {
  for (auto&& [name, node] : config.root) {
    const std::string_view section_name = name.str();
    const bool known = section_name == "engine" || std::any_of(std::begin(sections), std::end(sections),
                                                               [&](const auto& s) { return s.first == section_name; });
    if (!known)
      problems.add(&node, std::string(name.str()),
                   "unknown section: a pipeline has [engine], [sources.ID], [transforms.ID] and [sinks.ID] tables");
  }

  std::map<std::string, std::string, std::less<>> section_of_id;
  for (auto [section, role] : sections) {
    const toml::node* node = config.root.get(section);
    if (!node) continue;
    const toml::table* table = node->as_table();
    if (!table) {
      problems.add(node, std::string(section), fmt::format("must be a table of components, e.g. [{}.ID]", section));
      continue;
    }
    for (auto&& [id, component_node] : *table) {
      const std::string key = fmt::format("{}.{}", section, id.str());
      const toml::table* component = component_node.as_table();
      if (!component) {
        problems.add(&component_node, key, fmt::format("must be a table: [{}] with plugin = \"NAME\"", key));
        continue;
      }
      if (auto [it, inserted] = section_of_id.try_emplace(std::string(id.str()), key); !inserted) {
        problems.add(component, key, fmt::format("duplicate id \"{}\": already used by [{}]", id.str(), it->second));
        continue;
      }
      ComponentConfig c;
      c.id = std::string(id.str());
      c.role = role;
      c.key = key;
      c.table = component;
      read_engine_keys(c, problems);
      config.components.push_back(std::move(c));
    }
  }
}

void read_engine(PipelineConfig& config, ProblemList& problems) {
  const toml::node* node = config.root.get("engine");
  if (!node) return;
  const toml::table* table = node->as_table();
  if (!table) {
    problems.add(node, "engine", "must be a table: [engine]");
    return;
  }
  const Options keys = bind_table(*table, "engine", {.owner = "[engine]", .specs = engine_table_keys}, problems);
  if (keys.has("metrics")) config.engine.metrics = keys.string("metrics");
  if (keys.has("drain_timeout")) config.engine.drain_timeout = keys.duration("drain_timeout");
  if (keys.has("stats_interval"))
    config.engine.stats_interval = std::chrono::duration_cast<std::chrono::seconds>(keys.duration("stats_interval"));
  if (keys.has("console_silent_after")) config.engine.console_silent_after = keys.duration("console_silent_after");
}

void resolve_inputs(PipelineConfig& config, ProblemList& problems) {
  std::vector<std::string> producers;
  for (const auto& c : config.components)
    if (c.role != PluginKind::sink) producers.push_back(c.id);

  for (auto& c : config.components) {
    const toml::node* inputs = c.table->get("inputs");
    const std::string key = c.key + ".inputs";
    if (c.role == PluginKind::source) continue;  // inputs there: read_engine_keys said so
    const toml::array* list = inputs ? inputs->as_array() : nullptr;
    if (!inputs || (list && list->empty())) {
      problems.add(
          inputs ? inputs : c.table, key,
          fmt::format("missing: a {} needs inputs = [\"ID\", ...] naming sources or transforms", to_string(c.role)));
      continue;
    }
    if (!list) {
      problems.add(inputs, key, "must be an array of strings, e.g. inputs = [\"gen\"]");
      continue;
    }
    for (const toml::node& entry : *list) {
      const auto name = entry.value<std::string>();
      if (!name) {
        problems.add(&entry, key, "must be an array of strings");
        continue;
      }
      const auto add = [&](const std::string& id) {
        if (std::find(c.inputs.begin(), c.inputs.end(), id) == c.inputs.end()) c.inputs.push_back(id);
      };
      if (has_wildcard(*name)) {
        bool matched = false;
        for (const auto& id : producers)
          if (id != c.id && glob_match(*name, id)) {
            add(id);
            matched = true;
          }
        if (!matched) problems.add(&entry, key, fmt::format("\"{}\" matches no source or transform", *name));
      } else if (std::find(producers.begin(), producers.end(), *name) != producers.end()) {
        add(*name);
      } else if (const auto* other = config.find(*name)) {
        problems.add(&entry, key,
                     fmt::format("\"{}\" is a sink ([{}]); inputs name sources and transforms", *name, other->key));
      } else {
        problems.add(
            &entry, key,
            fmt::format("\"{}\" names no source or transform{}", *name, suggestion(*name, producers, "known: ")));
      }
    }
  }
}

void check_graph(const PipelineConfig& config, ProblemList& problems) {
  // Cycles can only run through transforms: sources have no inputs and sinks
  // are no one's input.
  enum class Mark { unvisited, active, done };
  std::map<std::string, Mark, std::less<>> mark;
  std::set<std::string> reported;
  const auto visit = [&](auto&& self, const ComponentConfig& c, std::vector<std::string>& path) -> void {
    mark[c.id] = Mark::active;
    path.push_back(c.id);
    for (const auto& input : c.inputs) {
      const ComponentConfig* upstream = config.find(input);
      if (!upstream) continue;
      if (mark[input] == Mark::active) {
        if (reported.insert(input).second) {
          std::string cycle;
          auto from = std::find(path.begin(), path.end(), input);
          for (auto it = from; it != path.end(); ++it) cycle += *it + " <- ";
          cycle += input;
          problems.add(c.table->get("inputs"), c.key + ".inputs", "cycle: " + cycle);
        }
      } else if (mark[input] == Mark::unvisited) {
        self(self, *upstream, path);
      }
    }
    path.pop_back();
    mark[c.id] = Mark::done;
  };
  for (const auto& c : config.components) {
    std::vector<std::string> path;
    if (mark[c.id] == Mark::unvisited) visit(visit, c, path);
  }

  for (const auto& c : config.components) {
    if (c.role == PluginKind::sink) continue;
    bool consumed = false;
    for (const auto& other : config.components)
      if (std::find(other.inputs.begin(), other.inputs.end(), c.id) != other.inputs.end()) consumed = true;
    if (!consumed)
      problems.add(c.table, c.key,
                   fmt::format("{} \"{}\" is no one's input: add it to a transform's or sink's inputs, or remove it",
                               to_string(c.role), c.id));
  }
  bool has_source = false, has_sink = false;
  for (const auto& c : config.components) {
    has_source |= c.role == PluginKind::source;
    has_sink |= c.role == PluginKind::sink;
  }
  if (!has_source) problems.add(nullptr, "sources", "the pipeline has no source");
  if (!has_sink) problems.add(nullptr, "sinks", "the pipeline has no sink");
}

}  // namespace

namespace {

// The checks every pipeline goes through, from whatever text it came.
PipelineConfig check_pipeline(PipelineConfig config, const std::vector<std::string>& overrides) {
  ProblemList problems(config.file);
  for (const auto& assignment : overrides) apply_override(config.root, assignment, problems);
  expand_environment(config.root, {}, problems);
  problems.raise_if_any();

  read_engine(config, problems);
  read_components(config, problems);
  problems.raise_if_any();
  resolve_inputs(config, problems);
  check_graph(config, problems);
  problems.raise_if_any();
  return config;
}

ConfigError parse_error(const std::string& file, const toml::parse_error& e) {
  return ConfigError({{file,
                       static_cast<int>(e.source().begin.line),
                       static_cast<int>(e.source().begin.column),
                       {},
                       std::string(e.description())}});
}

}  // namespace

PipelineConfig load_pipeline(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  PipelineConfig config;
  config.file = file.string();
  try {
    config.root = toml::parse_file(config.file);
  } catch (const toml::parse_error& e) {
    throw parse_error(config.file, e);
  }
  return check_pipeline(std::move(config), overrides);
}

PipelineConfig parse_pipeline(std::string_view text, std::string name) {
  PipelineConfig config;
  config.file = std::move(name);
  try {
    config.root = toml::parse(text, config.file);
  } catch (const toml::parse_error& e) {
    throw parse_error(config.file, e);
  }
  return check_pipeline(std::move(config), {});
}

}  // namespace sluice::engine
