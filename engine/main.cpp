// The sluice command line: run, validate, plugins, graph, schema.
#include "config.h"
#include "console/top.h"
#include "log.h"
#include "options_binder.h"
#include "pipeline.h"
#include "plugin_catalog.h"
#include "query.h"
#include "text.h"

#include <sluice/clock.h>

#include <fmt/format.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/program_options.hpp>

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace sluice;
using namespace sluice::engine;

namespace {

// sysexits.h: the codes scripts already know.
constexpr int exit_usage = 64;
constexpr int exit_no_input = 66;
constexpr int exit_config = 78;

constexpr const char* overview = R"(sluice: a stream-processing engine for network flow data

usage: sluice <command> [options]

commands:
  run PIPELINE        run a pipeline until its sources end or SIGINT/SIGTERM
  validate PIPELINE   load the plugins and check every option; start nothing
  plugins [NAME]      list the plugins found, or one plugin's options
  graph PIPELINE      print the pipeline as a Graphviz DOT graph
  query [OPTS] FILTER nfdump's command line: -r FILE -s srcip/bytes 'proto tcp' (sluice query --help)
  COMMAND PLUGIN ...  a command a plugin offers (sluice plugins PLUGIN lists them), e.g.
                      sluice schema clickhouse --table flows: the clickhouse sink's CREATE TABLE
  top [ADDR]          watch a running pipeline in the terminal (its console's
                      address; default the collector pipeline's)

PIPELINE is a TOML file, or the NAME of NAME.toml looked up in ./pipelines,
then in the installation's configuration folder (/etc/sluice for sluice in
/usr/bin, PREFIX/etc/sluice for PREFIX/bin), then in the installed
share/sluice/pipelines.

options for every command:
  -h, --help          help for the command (sluice run --help)
      --version       print the version and exit

exit codes: 0 done, 1 a component failed, 64 usage, 66 no such pipeline,
78 configuration rejected (nothing was started, or a file an option names
   was missing or bad when its component started: no flow moved)
)";

fs::path install_prefix() { return fs::path(boost::dll::program_location().native()).parent_path().parent_path(); }

fs::path pipeline_dir_of_install() { return install_prefix() / SLUICE_PIPELINE_SUBDIR; }

// An installation's editable pipelines: /etc/sluice for one in /usr (the
// Debian package), PREFIX/etc/sluice for any other, as the GNU conventions
// place configuration (packaging/CMakeLists.txt installs them there).
fs::path config_dir_of_install() {
  const fs::path prefix = install_prefix();
  return (prefix == "/usr" ? fs::path("/etc") : prefix / "etc") / "sluice";
}

std::vector<fs::path> pipeline_dirs() {
  return {fs::path("pipelines"), config_dir_of_install(), pipeline_dir_of_install()};
}

// A file path as given, or a name looked up in the pipeline folders.
std::optional<fs::path> find_pipeline(const std::string& name_or_file) {
  std::error_code ec;
  if (fs::is_regular_file(name_or_file, ec)) return fs::path(name_or_file);
  if (name_or_file.find('/') != std::string::npos || name_or_file.ends_with(".toml")) return std::nullopt;
  for (const auto& dir : pipeline_dirs())
    if (fs::is_regular_file(dir / (name_or_file + ".toml"), ec)) return dir / (name_or_file + ".toml");
  return std::nullopt;
}

std::vector<std::string> known_pipelines() {
  std::set<std::string> names;
  for (const auto& dir : pipeline_dirs()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().extension() == ".toml") names.insert(entry.path().stem().string());
  }
  return {names.begin(), names.end()};
}

std::string list_of(const std::vector<std::string>& names) { return names.empty() ? "none found" : join_names(names); }

struct Command {
  po::options_description options;
  po::positional_options_description positional;
  po::variables_map values;
};

po::options_description common_options() {
  po::options_description d("options", 100);
  d.add_options()("help,h", "show this help")(
      "plugin-dir", po::value<std::vector<std::string>>()->composing(),
      "look for plugins in DIR first (repeatable); then $SLUICE_PLUGIN_PATH, then the installed plugins")(
      "log-level", po::value<std::string>()->default_value("info"), "debug, info, warning or error");
  return d;
}

po::options_description pipeline_options() {
  po::options_description d("pipeline", 100);
  d.add_options()("pipeline", po::value<std::string>(), "pipeline file or name")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override or add a value: --set sinks.csv.path=out.csv (repeatable)");
  return d;
}

// --for's value; a po::error (exit 64) unless it is a duration above zero.
std::chrono::milliseconds run_duration(const std::string& text) {
  auto parsed = parse_run_duration(text);
  if (!parsed.duration) throw po::error(parsed.error);
  return *parsed.duration;
}

// Parses argv after the command word; returns an exit code if it should stop.
std::optional<int> parse(Command& cmd, int argc, char** argv, const char* usage,
                         const po::options_description& visible) {
  try {
    po::store(po::command_line_parser(argc, argv).options(cmd.options).positional(cmd.positional).run(), cmd.values);
    po::notify(cmd.values);
  } catch (const po::error& e) {
    fmt::print(stderr, "sluice: {}\n\n{}\n", e.what(), usage);
    return exit_usage;
  }
  if (cmd.values.count("help")) {
    std::cout << usage << "\n\n" << visible << "\n";
    return 0;
  }
  return std::nullopt;
}

std::vector<std::string> strings_of(const po::variables_map& values, const char* key) {
  return values.count(key) ? values[key].as<std::vector<std::string>>() : std::vector<std::string>{};
}

Logger make_logger(const po::variables_map& values) {
  auto level = parse_log_level(values["log-level"].as<std::string>());
  if (!level) throw po::error("--log-level must be debug, info, warning or error");
  return Logger(*level);
}

void print_config_error(const ConfigError& e) {
  fmt::print(stderr, "{}", e.what());
  fmt::print(stderr, "sluice: configuration rejected ({} problem{}); nothing was started\n", e.problems().size(),
             e.problems().size() == 1 ? "" : "s");
}

// Shared by run, validate and graph: finds and reads the pipeline file.
std::variant<PipelineConfig, int> load(const po::variables_map& values) {
  if (!values.count("pipeline")) {
    fmt::print(stderr, "sluice: which pipeline? give a file or a name (known: {})\n", list_of(known_pipelines()));
    return exit_usage;
  }
  const std::string name = values["pipeline"].as<std::string>();
  auto file = find_pipeline(name);
  if (!file) {
    const auto known = known_pipelines();
    fmt::print(stderr, "sluice: no pipeline \"{}\": not a file, and no {}.toml in ./pipelines, {} or {}{}\n", name,
               name, config_dir_of_install().string(), pipeline_dir_of_install().string(),
               known.empty() ? "; none is known" : suggestion(name, known, "known: "));
    return exit_no_input;
  }
  try {
    return load_pipeline(*file, strings_of(values, "set"));
  } catch (const ConfigError& e) {
    print_config_error(e);
    return exit_config;
  }
}

int command_run(int argc, char** argv, bool validate_only) {
  Command cmd;
  po::options_description run_options("run", 100);
  run_options.add_options()("stats-interval", po::value<int>()->default_value(10),
                            "seconds between stats lines on stderr; 0 for none (default: [engine] stats_interval, "
                            "else 10)")(
      "summary", po::value<std::string>()->default_value("table"),
      "the end-of-run summary on stderr: table (for people) or json (one line, for scripts)")(
      "for", po::value<std::string>(), "run for DURATION (30s, 5m, 1h), then stop the sources as SIGTERM does");
  po::options_description visible(100);
  visible.add(pipeline_options()).add(common_options());
  if (!validate_only) visible.add(run_options);
  cmd.options.add(visible);
  cmd.positional.add("pipeline", 1);
  const char* usage = validate_only
                          ? "usage: sluice validate PIPELINE [--set KEY=VALUE]... [--plugin-dir DIR]...\n\n"
                            "Loads every plugin the pipeline names and checks every option. Starts nothing.\n"
                            "Exit code 0 when valid, 78 when not."
                          : "usage: sluice run PIPELINE [--set KEY=VALUE]... [--plugin-dir DIR]...\n\n"
                            "Runs the pipeline until every source has ended, or until SIGINT/SIGTERM (drain, flush,\n"
                            "close; a second signal exits at once). SIGHUP rotates every sink's output and has\n"
                            "components re-read their files (enrich's databases and networks).\n"
                            "A summary table goes to stderr at the end.";
  if (auto code = parse(cmd, argc, argv, usage, visible)) return *code;

  auto loaded = load(cmd.values);
  if (auto* code = std::get_if<int>(&loaded)) return *code;
  const auto& config = std::get<PipelineConfig>(loaded);
  const Logger log = make_logger(cmd.values);
  PluginCatalog catalog(PluginCatalog::default_search_path(strings_of(cmd.values, "plugin-dir")));
  RunOptions options;
  if (!validate_only && !cmd.values["stats-interval"].defaulted())
    options.stats_interval = std::chrono::seconds(std::max(0, cmd.values["stats-interval"].as<int>()));
  if (cmd.values.count("for")) options.run_for = run_duration(cmd.values["for"].as<std::string>());
  try {
    Pipeline pipeline(config, catalog, log, options);
    if (validate_only) {
      fmt::print("{}: valid ({} components)\n", config.file, config.components.size());
      return 0;
    }
    const std::string summary_format = validate_only ? "table" : cmd.values["summary"].as<std::string>();
    if (summary_format != "table" && summary_format != "json") throw po::error("--summary must be table or json");
    log.info("running {}", config.file);
    const int code = pipeline.run();
    std::fputs((summary_format == "json" ? pipeline.summary_json() : pipeline.summary()).c_str(), stderr);
    if (pipeline.left_threads_running()) {
      // A component is stuck inside its plugin: unwinding would destroy what it uses.
      std::fflush(nullptr);
      std::_Exit(code);
    }
    return code;
  } catch (const ConfigError& e) {
    print_config_error(e);
    return exit_config;
  }
}

// A folder made for the run and removed with what it holds; none for an empty path.
class ScratchFolder {
 public:
  explicit ScratchFolder(std::filesystem::path path) : path_(std::move(path)) {
    if (!path_.empty()) std::filesystem::create_directories(path_);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }

 private:
  std::filesystem::path path_;
};

// `sluice query ...`: nfdump's options as a pipeline, run quietly: what it
// prints on stdout is the answer; problems go to stderr.
int command_query(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / fmt::format("sluice-query-{}", ::getpid());
  Query query;
  try {
    query = parse_query(args, scratch);
  } catch (const QueryUsageError& e) {
    fmt::print(stderr, "sluice query: {}\n", e.what());
    return exit_usage;
  }
  if (query.help) {
    fmt::print("{}", query_help());
    return 0;
  }
  if (query.print_pipeline) {
    fmt::print("{}", query.pipeline);
    return 0;
  }
  // Several -s tables: each written to its file, printed here in order.
  const ScratchFolder tables(query.tables.empty() ? std::filesystem::path() : scratch);
  try {
    const PipelineConfig config = parse_pipeline(query.pipeline, "sluice query");
    PluginCatalog catalog(PluginCatalog::default_search_path({}));
    const Logger log(LogLevel::warning);
    Pipeline pipeline(config, catalog, log, {.stats_interval = std::chrono::seconds(0), .run_for = query.run_for});
    Listened listened{.from_ms = sluice::now_ms()};
    const int code = pipeline.run();
    listened.until_ms = sluice::now_ms();
    if (code != 0) std::fputs(pipeline.summary().c_str(), stderr);
    if (code != 0) return code;
    for (const auto& table : query.tables) {
      std::ostringstream text;
      text << std::ifstream(table).rdbuf();
      fmt::print("{}", text.str());
    }
    if (query.epilogue)
      fmt::print("{}", query.live ? query_live_epilogue(query, pipeline.metric_values(), listened)
                                  : query_epilogue(query, pipeline.metric_values()));
    if (query.file_statistics) fmt::print("{}", query_file_statistics(pipeline.metric_values()));
    return code;
  } catch (const ConfigError& e) {
    print_config_error(e);
    return exit_config;
  }
}

int command_graph(int argc, char** argv) {
  Command cmd;
  po::options_description visible(100);
  visible.add(pipeline_options()).add(common_options());
  cmd.options.add(visible);
  cmd.positional.add("pipeline", 1);
  const char* usage =
      "usage: sluice graph PIPELINE [--set KEY=VALUE]...\n\n"
      "Prints the pipeline as a Graphviz DOT graph: sluice graph gen-to-csv | dot -Tsvg > graph.svg";
  if (auto code = parse(cmd, argc, argv, usage, visible)) return *code;
  auto loaded = load(cmd.values);
  if (auto* code = std::get_if<int>(&loaded)) return *code;
  const auto& config = std::get<PipelineConfig>(loaded);
  fmt::print("digraph \"{}\" {{\n  rankdir=LR;\n", fs::path(config.file).stem().string());
  for (const auto& c : config.components) {
    const char* shape = c.role == PluginKind::source ? "invhouse" : c.role == PluginKind::sink ? "house" : "box";
    fmt::print("  \"{}\" [label=\"{}\\n({})\", shape={}];\n", c.id, c.id, c.plugin, shape);
  }
  for (const auto& c : config.components)
    for (const auto& input : c.inputs) fmt::print("  \"{}\" -> \"{}\";\n", input, c.id);
  fmt::print("}}\n");
  return 0;
}

std::string escape_markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

// A plugin's options as the reference lists them: a list of tables's keys
// follow it as NAME[].KEY.
struct OptionRow {
  std::string name;
  const OptionSpec* spec;
};

std::vector<OptionRow> option_rows(std::span<const OptionSpec> options) {
  std::vector<OptionRow> rows;
  for (const auto& o : options) {
    rows.push_back({std::string(o.name), &o});
    for (const auto& field : o.fields) rows.push_back({fmt::format("{}[].{}", o.name, field.name), &field});
  }
  return rows;
}

// What values an option takes beyond its type: "a|b|c", "1 to 64".
std::string allowed_values(const OptionSpec& o) {
  return o.choices.empty() ? describe_range(o) : std::string(o.choices);
}

std::string shown_default(const OptionSpec& o) { return o.required ? "required" : std::string(o.default_value); }

void print_markdown_options(std::span<const OptionSpec> options) {
  if (options.empty()) {
    fmt::print("No options.\n");
    return;
  }
  fmt::print("| option | type | default | values | description |\n|---|---|---|---|---|\n");
  const auto code = [](std::string_view text) { return text.empty() ? std::string() : fmt::format("`{}`", text); };
  for (const auto& [name, o] : option_rows(options))
    fmt::print("| `{}` | {} | {} | {} | {} |\n", name, to_string(o->type),
               escape_markdown_cell(o->required ? "required" : code(o->default_value)),
               escape_markdown_cell(code(allowed_values(*o))), escape_markdown_cell(o->help));
}

int print_markdown_reference(PluginCatalog& catalog) {
  bool first = true;
  for (const auto& name : catalog.names()) {
    const auto plugin = catalog.load(name);
    for (const PluginDescriptor& d : plugin->descriptors) {
      fmt::print("{}### {} ({})\n\n{}\n\n", first ? "" : "\n", d.name, to_string(d.kind), d.summary);
      first = false;
      print_markdown_options(d.options);
    }
  }
  return 0;
}

void print_option_table(std::span<const OptionSpec> options) {
  const auto rows = option_rows(options);
  std::size_t name_width = 4, type_width = 4, default_width = 7, values_width = 6;
  for (const auto& [name, o] : rows) {
    name_width = std::max(name_width, name.size());
    type_width = std::max(type_width, to_string(o->type).size());
    default_width = std::max(default_width, shown_default(*o).size());
    values_width = std::max(values_width, allowed_values(*o).size());
  }
  const auto row = [&](std::string_view name, std::string_view type, std::string_view default_value,
                       std::string_view values, std::string_view help) {
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", name, name_width, type, type_width,
               default_value.empty() ? "-" : default_value, default_width, values.empty() ? "-" : values, values_width,
               help);
  };
  row("name", "type", "default", "values", "help");
  for (const auto& [name, o] : rows) row(name, to_string(o->type), shown_default(*o), allowed_values(*o), o->help);
}

std::string_view workers_text(const PluginDescriptor& d) {
  if (d.kind == PluginKind::sink && d.concurrency == Concurrency::keyed)
    return "workers = N | \"auto\": every worker does its share of the work on every batch, the output the same";
  switch (d.concurrency) {
    case Concurrency::serial: return "this plugin runs on one worker (it keeps state across batches)";
    case Concurrency::stateless:
      return "workers = N | \"auto\": this plugin runs on N workers, output in the same order";
    case Concurrency::keyed:
      return "workers = N | \"auto\": this plugin keeps its keys in N partitions, one per worker, and merges "
             "their output";
  }
  return "";
}

void print_options(const PluginDescriptor& d) {
  fmt::print("\n{} ({}): {}\n\n", d.name, to_string(d.kind), d.summary);
  if (d.options.empty())
    fmt::print("no options\n");
  else
    print_option_table(d.options);
  fmt::print("\nand, read by the engine in every {}:\n", to_string(d.kind));
  print_option_table(engine_keys(d.kind));
  if (d.kind != PluginKind::source) fmt::print("\n{}\n", workers_text(d));
}

int command_plugins(int argc, char** argv) {
  Command cmd;
  po::options_description visible = common_options();
  visible.add_options()("markdown", "print every plugin's reference as Markdown (docs/config.md)");
  cmd.options.add(visible);
  cmd.options.add_options()("name", po::value<std::string>());
  cmd.positional.add("name", 1);
  const char* usage =
      "usage: sluice plugins [NAME] [--plugin-dir DIR]... [--markdown]\n\n"
      "Lists every plugin on the search path, or the options of one.";
  if (auto code = parse(cmd, argc, argv, usage, visible)) return *code;
  PluginCatalog catalog(PluginCatalog::default_search_path(strings_of(cmd.values, "plugin-dir")));
  if (cmd.values.count("markdown")) return print_markdown_reference(catalog);

  if (!cmd.values.count("name")) {
    const auto names = catalog.names();
    if (names.empty()) {
      fmt::print(stderr, "sluice: no plugins found; searched:\n");
      for (const auto& dir : catalog.search_path()) fmt::print(stderr, "  {}\n", dir.string());
      return 1;
    }
    for (const auto& name : names) {
      try {
        const auto plugin = catalog.load(name);
        fmt::print("{:<16} {:<16} {}\n", name, plugin->kinds(), plugin->descriptors.front().summary);
      } catch (const PluginLoadError& e) {
        fmt::print("{:<16} {:<16} refused: {}\n", name, "-", e.what());
      }
    }
    fmt::print("\n`sluice plugins NAME` shows a plugin's options.\n");
    return 0;
  }

  const std::string name = cmd.values["name"].as<std::string>();
  std::shared_ptr<const LoadedPlugin> plugin;
  try {
    plugin = catalog.load(name);
  } catch (const PluginLoadError& e) {
    fmt::print(stderr, "sluice: {}\n", e.what());
    return exit_config;
  }
  if (!plugin) {
    fmt::print(stderr, "sluice: no plugin \"{}\" on the search path\n", name);
    return exit_no_input;
  }
  fmt::print("library: {}\n", plugin->path.string());
  for (const PluginDescriptor& d : plugin->descriptors) print_options(d);
  if (!plugin->commands.empty()) fmt::print("\ncommands:\n");
  for (const PluginCommand& c : plugin->commands) fmt::print("  sluice {} {} ...: {}\n", c.name, name, c.summary);
  return 0;
}

// `sluice COMMAND PLUGIN [ARGS...]`: a command the plugin offers, found on
// the default search path; nullopt if no plugin of that name offers it.
std::optional<int> run_plugin_command(std::string_view command, int argc, char** argv) {
  if (argc < 3) return std::nullopt;
  PluginCatalog catalog(PluginCatalog::default_search_path({}));
  std::shared_ptr<const LoadedPlugin> plugin;
  try {
    plugin = catalog.load(argv[2]);
  } catch (const PluginLoadError&) {
    return std::nullopt;
  }
  if (!plugin) return std::nullopt;
  for (const PluginCommand& c : plugin->commands) {
    if (c.name != command) continue;
    const std::vector<std::string_view> args(argv + 3, argv + argc);
    return c.run(args);
  }
  return std::nullopt;
}

// The console address of the shipped collector pipeline, which `top` watches
// unless told another.
std::string default_console_address() {
  constexpr const char* fallback = "127.0.0.1:9464";
  const auto file = find_pipeline("collector");
  if (!file) return fallback;
  try {
    const auto config = load_pipeline(*file, {});
    return config.engine.metrics.empty() ? fallback : config.engine.metrics;
  } catch (const ConfigError&) {
    return fallback;
  }
}

int command_top(int argc, char** argv) {
  Command cmd;
  po::options_description visible("options", 100);
  visible.add_options()("help,h", "show this help");
  cmd.options.add(visible);
  cmd.options.add_options()("address", po::value<std::string>());
  cmd.positional.add("address", 1);
  const char* usage =
      "usage: sluice top [ADDR]\n\n"
      "Shows a running sluice's components (rates, queues, drops) and exporters, refreshed every second,\n"
      "from the console's JSON API at ADDR (host:port of its [engine] metrics; default the collector\n"
      "pipeline's). Keys: n i o d e sort by name, in/s, out/s, drops, errors; q quits.";
  if (auto code = parse(cmd, argc, argv, usage, visible)) return *code;
  return console::run_top(cmd.values.count("address") ? cmd.values["address"].as<std::string>()
                                                      : default_console_address());
}

// Batches and sink payloads are allocated on one thread and freed on
// another. With glibc's default, sliding thresholds a worker's arena gives
// its freed top back to the kernel and the next batch faults its pages in
// again: a CSV conversion on two workers spent half its CPU time in page
// faults. Fixed thresholds keep up to 32 MiB of freed memory for reuse and
// serve blocks below 16 MiB from the arenas.
void keep_freed_memory_for_reuse() {
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  if (argc < 2) {
    fmt::print(stderr, "{}", overview);
    return exit_usage;
  }
  const std::string_view command = argv[1];
  try {
    if (command == "-h" || command == "--help" || command == "help") {
      fmt::print("{}", overview);
      return 0;
    }
    if (command == "--version" || command == "version") {
      fmt::print("sluice {} (plugin ABI {})\n", SLUICE_VERSION, abi_version);
      return 0;
    }
    if (command == "run") return command_run(argc - 1, argv + 1, false);
    if (command == "validate") return command_run(argc - 1, argv + 1, true);
    if (command == "plugins") return command_plugins(argc - 1, argv + 1);
    if (command == "graph") return command_graph(argc - 1, argv + 1);
    if (command == "top") return command_top(argc - 1, argv + 1);
    if (command == "query") return command_query(argc - 1, argv + 1);
    if (auto code = run_plugin_command(command, argc, argv)) return *code;
  } catch (const po::error& e) {
    fmt::print(stderr, "sluice: {}\n", e.what());
    return exit_usage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sluice: {}\n", e.what());
    return 1;
  }
  fmt::print(stderr, "sluice: unknown command \"{}\"\n\n{}", command, overview);
  return exit_usage;
}
