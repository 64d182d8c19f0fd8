// Finds plugin libraries on the search path and loads them with Boost.DLL.
#pragma once

#include <sluice/abi.h>

#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace sluice::engine {

// A loaded, checked plugin library: one plugin name, one to three kinds.
// Components it creates hold a reference to it (see instantiate), so it
// stays loaded while any of them lives.
struct LoadedPlugin {
  std::filesystem::path path;
  std::shared_ptr<boost::dll::shared_library> library;
  std::span<const PluginDescriptor> descriptors;
  std::span<const PluginCommand> commands;

  // The plugin of that kind in this library; nullptr if it has none.
  const PluginDescriptor* find(PluginKind kind) const noexcept;
  // "source", "source and sink"...
  std::string kinds() const;
};

// A library that exists but may not be used: no entry symbol, or built
// against another ABI. The message names the file and both versions.
class PluginLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file a plugin named NAME lives in: sluice_NAME.so.
std::string plugin_file_name(std::string_view name);

class PluginCatalog {
 public:
  explicit PluginCatalog(std::vector<std::filesystem::path> search_path) : search_path_(std::move(search_path)) {}

  // --plugin-dir flags first, then $SLUICE_PLUGIN_PATH (colon-separated),
  // then lib/sluice/plugins beside the running binary (build tree and install
  // share that layout).
  static std::vector<std::filesystem::path> default_search_path(const std::vector<std::string>& plugin_dirs);

  // The first sluice_NAME.so on the search path, loaded and checked; nullptr
  // if there is none. Throws PluginLoadError if the library is refused.
  std::shared_ptr<const LoadedPlugin> load(const std::string& name);

  // Every plugin name with a library on the search path (first one wins).
  std::vector<std::string> names() const;

  const std::vector<std::filesystem::path>& search_path() const noexcept { return search_path_; }

 private:
  std::vector<std::filesystem::path> search_path_;
  std::map<std::string, std::shared_ptr<const LoadedPlugin>, std::less<>> loaded_;
};

// Creates a component; the returned pointer keeps the plugin's library loaded.
// On failure, returns nullptr and fills `status`.
std::shared_ptr<abi::Component> instantiate(const std::shared_ptr<const LoadedPlugin>& plugin,
                                            const PluginDescriptor& descriptor, const Options& options, Host& host,
                                            Status& status);

}  // namespace sluice::engine
