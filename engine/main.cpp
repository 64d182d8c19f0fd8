// The sluice command line: run, validate, plugins, graph, schema.
#include "config.h"
#include "console/top.h"
#include "log.h"
#include "options_binder.h"
#include "pipeline.h"
#include "plugin_catalog.h"
#include "text.h"

#include "sluice/clickhouse_http/schema.h"

#include <fmt/format.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

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
  schema clickhouse   print the CREATE TABLE of the clickhouse sink's table
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
78 configuration rejected (nothing was started)
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
    const auto guess = nearest(name, known);
    fmt::print(stderr, "sluice: no pipeline \"{}\": not a file, and no {}.toml in ./pipelines, {} or {} ({})\n", name,
               name, config_dir_of_install().string(), pipeline_dir_of_install().string(),
               guess ? fmt::format("did you mean \"{}\"?", *guess) : "known: " + list_of(known));
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
                            "else 10)");
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
                            "close; a second signal exits at once). SIGHUP rotates every sink's output.\n"
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
  try {
    Pipeline pipeline(config, catalog, log, options);
    if (validate_only) {
      fmt::print("{}: valid ({} components)\n", config.file, config.components.size());
      return 0;
    }
    log.info("running {}", config.file);
    const int code = pipeline.run();
    std::fputs(pipeline.summary().c_str(), stderr);
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

void print_markdown_options(const PluginDescriptor& d) {
  if (d.options.empty()) {
    fmt::print("No options.\n");
    return;
  }
  fmt::print("| option | type | default | description |\n|---|---|---|---|\n");
  for (const auto& [name, o] : option_rows(d.options)) {
    std::string help(o->help);
    if (!o->choices.empty()) help += fmt::format("{}One of: `{}`.", help.ends_with('.') ? " " : ". ", o->choices);
    const std::string default_value = o->required                ? "required"
                                      : o->default_value.empty() ? ""
                                                                 : fmt::format("`{}`", o->default_value);
    fmt::print("| `{}` | {} | {} | {} |\n", name, to_string(o->type), escape_markdown_cell(default_value),
               escape_markdown_cell(help));
  }
}

int print_markdown_reference(PluginCatalog& catalog) {
  bool first = true;
  for (const auto& name : catalog.names()) {
    const auto plugin = catalog.load(name);
    for (const PluginDescriptor& d : plugin->descriptors) {
      fmt::print("{}### {} ({})\n\n{}\n\n", first ? "" : "\n", d.name, to_string(d.kind), d.summary);
      first = false;
      print_markdown_options(d);
    }
  }
  return 0;
}

void print_options(const PluginDescriptor& d) {
  fmt::print("\n{} ({}): {}\n\n", d.name, to_string(d.kind), d.summary);
  if (d.options.empty()) fmt::print("no options\n");
  const auto rows = option_rows(d.options);
  std::size_t name_width = 4, type_width = 4, default_width = 7;
  for (const auto& [name, o] : rows) {
    name_width = std::max(name_width, name.size());
    type_width = std::max(type_width, to_string(o->type).size());
    default_width = std::max(default_width, o->required ? 8 : o->default_value.size());
  }
  if (!d.options.empty())
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", "name", name_width, "type", type_width, "default", default_width,
               "help");
  for (const auto& [name, o] : rows) {
    std::string help(o->help);
    if (!o->choices.empty()) help += fmt::format(" (one of: {})", o->choices);
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", name, name_width, to_string(o->type), type_width,
               o->required                ? "required"
               : o->default_value.empty() ? "-"
                                          : o->default_value,
               default_width, help);
  }
  if (d.kind == PluginKind::source)
    fmt::print("\nevery source also takes: instances = N (copies of the source, each told its index)\n");
  else
    fmt::print("\nevery {} also takes: inputs = [\"ID\", ...] (globs allowed){}\n{}\n", to_string(d.kind),
               d.kind == PluginKind::sink ? ", when_full = \"block\" | \"drop\"" : "",
               d.concurrency == Concurrency::serial
                   ? "this plugin runs on one worker (it keeps state across batches)"
                   : "workers = N | \"auto\": this plugin runs on N workers, output in the same order");
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
  return 0;
}

// The schema is the clickhouse_http library's; this prints it without a server.
int command_schema(int argc, char** argv) {
  Command cmd;
  po::options_description visible("options", 100);
  visible.add_options()("help,h", "show this help")("table", po::value<std::string>(), "the table's name (required)")(
      "database", po::value<std::string>()->default_value("default"), "its database")(
      "server-version", po::value<std::string>()->default_value("24.8"),
      "the ClickHouse it is for; before 20.1 (Debian 12 has 18.16) addresses are FixedString(16) and times "
      "DateTime plus milliseconds");
  cmd.options.add(visible);
  cmd.options.add_options()("store", po::value<std::string>());
  cmd.positional.add("store", 1);
  const char* usage =
      "usage: sluice schema clickhouse --table NAME [--database DB] [--server-version X.Y]\n\n"
      "Prints the CREATE TABLE of the table the clickhouse sink writes (docs/clickhouse.md):\n"
      "  sluice schema clickhouse --table flows --server-version 18.16 | clickhouse-client";
  if (auto code = parse(cmd, argc, argv, usage, visible)) return *code;
  const auto version = clickhouse_http::ServerVersion::parse(cmd.values["server-version"].as<std::string>());
  if (!cmd.values.count("store") || cmd.values["store"].as<std::string>() != "clickhouse" ||
      !cmd.values.count("table") || !version) {
    fmt::print(stderr, "sluice: {}\n", !version ? "--server-version is MAJOR.MINOR, as 18.16" : usage);
    return exit_usage;
  }
  fmt::print("{}", clickhouse_http::create_table_sql(cmd.values["database"].as<std::string>(),
                                                     cmd.values["table"].as<std::string>(),
                                                     clickhouse_http::schema_for(*version)));
  return 0;
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

}  // namespace

int main(int argc, char** argv) {
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
    if (command == "schema") return command_schema(argc - 1, argv + 1);
    if (command == "top") return command_top(argc - 1, argv + 1);
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
