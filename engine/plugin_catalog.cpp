#include "plugin_catalog.h"

#include <fmt/format.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace sluice::engine {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view prefix = "sluice_";
constexpr std::string_view suffix = ".so";

}  // namespace

std::string plugin_file_name(std::string_view name) { return fmt::format("{}{}{}", prefix, name, suffix); }

std::vector<fs::path> PluginCatalog::default_search_path(const std::vector<std::string>& plugin_dirs) {
  std::vector<fs::path> path(plugin_dirs.begin(), plugin_dirs.end());
  if (const char* env = std::getenv("SLUICE_PLUGIN_PATH")) {
    std::string_view rest = env;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      if (colon != 0) path.emplace_back(rest.substr(0, colon));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  const fs::path exe_dir = boost::dll::program_location().parent_path().native();
  path.push_back((exe_dir / ".." / SLUICE_PLUGIN_SUBDIR).lexically_normal());
  return path;
}

std::shared_ptr<const LoadedPlugin> PluginCatalog::load(const std::string& name) {
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;

  fs::path file;
  for (const auto& dir : search_path_) {
    std::error_code ec;
    if (fs::is_regular_file(dir / plugin_file_name(name), ec)) {
      file = dir / plugin_file_name(name);
      break;
    }
  }
  if (file.empty()) return nullptr;

  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->path = file;
  boost::dll::fs::error_code ec;
  // RTLD_NOW: an unresolved symbol fails here, not in the middle of a run.
  plugin->library = std::make_shared<boost::dll::shared_library>(
      file.native(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) throw PluginLoadError(fmt::format("cannot load plugin library {}: {}", file.string(), ec.message()));
  if (!plugin->library->has(plugin_entry_symbol))
    throw PluginLoadError(fmt::format(
        "{} is not a sluice plugin: it does not export the entry symbol \"{}\" (declare it with SLUICE_PLUGIN)",
        file.string(), plugin_entry_symbol));

  // Version 1 of the SDK exported no version constant: its entry point
  // returned a descriptor beginning with the version. Neither is read here.
  const std::uint32_t version =
      plugin->library->has(plugin_abi_symbol) ? plugin->library->get_alias<const std::uint32_t>(plugin_abi_symbol) : 1;
  if (version != abi_version)
    throw PluginLoadError(fmt::format(
        "{} was built for sluice plugin ABI version {}, but this sluice has ABI version {}: rebuild the plugin "
        "against this SDK",
        file.string(), version, abi_version));
  const PluginLibrary* library = plugin->library->get_alias<PluginEntry>(plugin_entry_symbol)();
  if (!library) throw PluginLoadError(fmt::format("{}: the entry point returned no descriptor", file.string()));
  if (library->library_size != sizeof(PluginLibrary) || library->descriptor_size != sizeof(PluginDescriptor) ||
      library->record_size != sizeof(FlowRecord) || library->event_size != sizeof(Event))
    throw PluginLoadError(fmt::format(
        "{} disagrees on struct sizes (library {}, descriptor {}, FlowRecord {}, Event {} bytes; this sluice: {}, {}, "
        "{}, {}): rebuild the plugin against this SDK",
        file.string(), library->library_size, library->descriptor_size, library->record_size, library->event_size,
        sizeof(PluginLibrary), sizeof(PluginDescriptor), sizeof(FlowRecord), sizeof(Event)));
  if (library->plugins.empty()) throw PluginLoadError(fmt::format("{} declares no plugin", file.string()));
  for (std::size_t i = 0; i < library->plugins.size(); ++i) {
    const PluginDescriptor& d = library->plugins[i];
    if (d.name != name)
      throw PluginLoadError(fmt::format("{} calls itself \"{}\"; its file must be named {}", file.string(), d.name,
                                        plugin_file_name(d.name)));
    if (!d.create)
      throw PluginLoadError(fmt::format("{}: the {} plugin has no factory", file.string(), to_string(d.kind)));
    for (std::size_t j = 0; j < i; ++j)
      if (library->plugins[j].kind == d.kind)
        throw PluginLoadError(fmt::format("{} declares two {} plugins", file.string(), to_string(d.kind)));
  }
  for (const PluginCommand& c : library->commands)
    if (!c.run) throw PluginLoadError(fmt::format("{}: the command \"{}\" has nothing to run", file.string(), c.name));
  plugin->descriptors = library->plugins;
  plugin->commands = library->commands;
  loaded_.emplace(name, plugin);
  return plugin;
}

std::vector<std::string> PluginCatalog::names() const {
  std::set<std::string> names;
  for (const auto& dir : search_path_) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string file = entry.path().filename().string();
      if (file.size() > prefix.size() + suffix.size() && file.starts_with(prefix) && file.ends_with(suffix))
        names.insert(file.substr(prefix.size(), file.size() - prefix.size() - suffix.size()));
    }
  }
  return {names.begin(), names.end()};
}

const PluginDescriptor* LoadedPlugin::find(PluginKind kind) const noexcept {
  for (const PluginDescriptor& d : descriptors)
    if (d.kind == kind) return &d;
  return nullptr;
}

std::string LoadedPlugin::kinds() const {
  std::string out;
  for (PluginKind kind : {PluginKind::source, PluginKind::transform, PluginKind::sink}) {
    if (!find(kind)) continue;
    if (!out.empty()) out += " and ";
    out += to_string(kind);
  }
  return out;
}

std::shared_ptr<abi::Component> instantiate(const std::shared_ptr<const LoadedPlugin>& plugin,
                                            const PluginDescriptor& descriptor, const Options& options, Host& host,
                                            Status& status) {
  std::unique_ptr<abi::Component> component;
  status = descriptor.create(options, host, component);
  if (!status || !component) {
    if (status) status = Status::failure("the plugin's factory returned nothing");
    return nullptr;
  }
  // The deleter owns a reference to the library: the component's code is
  // unloaded only after the component is destroyed.
  return std::shared_ptr<abi::Component>(component.release(),
                                         [library = plugin->library](abi::Component* c) { delete c; });
}

}  // namespace sluice::engine
