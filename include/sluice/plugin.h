// sluice SDK: the one header a plugin includes.
//
// A plugin is a plain class. Its constructor takes (const Options&, Host&),
// validates the options (throw OptionError for a bad value) and does no I/O.
// Then, by kind:
//
//   source:     bool poll(Emitter& out);        // false once finished; return within ~100 ms
//   transform:  void process(const BatchPtr& in, Emitter& out);
//               void finish(Emitter& out);      // optional
//   sink:       void consume(const Batch& in);
//               void finish();                  // optional: flush and close
//
// and optionally `void start()` (open sockets and files) and
// `std::string report() const` (lines for the end-of-run summary).
// Plugins may throw; the adapters below catch everything at the boundary.
//
//   constexpr sluice::OptionSpec options[] = {
//       {.name = "path", .type = sluice::OptionType::string, .help = "output file", .required = true}};
//   SLUICE_PLUGIN(sluice::sink<MySink>("my_sink", "writes flows somewhere", options))
#pragma once

#include <sluice/abi.h>

#include <boost/dll/alias.hpp>

#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace sluice {

namespace detail {

template <class F>
Status guarded(F&& f) noexcept {
  try {
    std::forward<F>(f)();
    return Status::ok();
  } catch (const OptionError& e) {
    return Status::failure(e.what(), e.key());
  } catch (const std::exception& e) {
    return Status::failure(e.what());
  } catch (...) {
    return Status::failure("unknown exception");
  }
}

template <class Base, class Plugin>
class Adapter : public Base {
 public:
  Adapter(const Options& options, Host& host) : plugin_(options, host) {}

  Status start() noexcept final {
    return guarded([&] {
      if constexpr (requires { plugin_.start(); }) plugin_.start();
    });
  }

  std::string report() const noexcept final {
    if constexpr (requires { plugin_.report(); }) {
      try {
        return plugin_.report();
      } catch (...) {
        return {};
      }
    }
    return {};
  }

 protected:
  Plugin plugin_;
};

template <class Plugin>
class SourceAdapter final : public Adapter<abi::Source, Plugin> {
 public:
  using Adapter<abi::Source, Plugin>::Adapter;
  Status poll(Emitter& out, bool& more) noexcept override {
    return guarded([&] { more = this->plugin_.poll(out); });
  }
};

template <class Plugin>
class TransformAdapter final : public Adapter<abi::Transform, Plugin> {
 public:
  using Adapter<abi::Transform, Plugin>::Adapter;
  Status process(const BatchPtr& in, Emitter& out) noexcept override {
    return guarded([&] { this->plugin_.process(in, out); });
  }
  Status finish(Emitter& out) noexcept override {
    return guarded([&] {
      if constexpr (requires { this->plugin_.finish(out); }) this->plugin_.finish(out);
    });
  }
};

template <class Plugin>
class SinkAdapter final : public Adapter<abi::Sink, Plugin> {
 public:
  using Adapter<abi::Sink, Plugin>::Adapter;
  Status consume(const Batch& in) noexcept override {
    return guarded([&] { this->plugin_.consume(in); });
  }
  Status finish() noexcept override {
    return guarded([&] {
      if constexpr (requires { this->plugin_.finish(); }) this->plugin_.finish();
    });
  }
};

template <template <class> class AdapterFor, class Plugin>
Status create(const Options& options, Host& host, std::unique_ptr<abi::Component>& out) noexcept {
  return guarded([&] { out = std::make_unique<AdapterFor<Plugin>>(options, host); });
}

template <template <class> class AdapterFor, class Plugin>
constexpr PluginDescriptor describe(PluginKind kind, const char* name, const char* summary,
                                    std::span<const OptionSpec> options) {
  PluginDescriptor d;
  d.kind = kind;
  d.name = name;
  d.summary = summary;
  d.options = options;
  d.create = &create<AdapterFor, Plugin>;
  return d;
}

}  // namespace detail

template <class Plugin>
constexpr PluginDescriptor source(const char* name, const char* summary, std::span<const OptionSpec> options = {}) {
  return detail::describe<detail::SourceAdapter, Plugin>(PluginKind::source, name, summary, options);
}

template <class Plugin>
constexpr PluginDescriptor transform(const char* name, const char* summary, std::span<const OptionSpec> options = {}) {
  return detail::describe<detail::TransformAdapter, Plugin>(PluginKind::transform, name, summary, options);
}

template <class Plugin>
constexpr PluginDescriptor sink(const char* name, const char* summary, std::span<const OptionSpec> options = {}) {
  return detail::describe<detail::SinkAdapter, Plugin>(PluginKind::sink, name, summary, options);
}

}  // namespace sluice

// Declares the plugin of this library: use once, at namespace scope, in one .cpp.
#define SLUICE_PLUGIN(...)                                                    \
  namespace sluice_plugin_entry {                                             \
  inline const ::sluice::PluginDescriptor descriptor = __VA_ARGS__;           \
  inline const ::sluice::PluginDescriptor* describe() { return &descriptor; } \
  }                                                                           \
  BOOST_DLL_ALIAS(sluice_plugin_entry::describe, sluice_plugin)
