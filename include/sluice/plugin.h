// sluice SDK: the one header a plugin includes.
//
// A plugin is a plain class. Its constructor takes (const Options&, Host&),
// validates the options (throw OptionError for a bad value) and does no I/O.
// Then, by kind:
//
//   source:     bool poll(Emitter& out);        // false once finished; return within ~100 ms
//               void delivered(BatchId batch);  // optional: the source can read again what it
//               // emitted, and commits a position once every sink has delivered its batches
//   transform:  void process(const BatchPtr& in, Emitter& out);
//               void tick(Emitter& out);        // optional: time has passed, emit what is due
//               void finish(Emitter& out);      // optional: the inputs have ended
//   sink:       void consume(const Batch& in);  // or (const BatchPtr& in), to keep the batch
//               void tick();                    // optional: time has passed, flush what is due
//               void finish();                  // optional: flush and close
//               std::uint64_t abandon();        // optional: delivery given up, drop what is held
//
// Running on several workers (`workers = N`, docs/plugins.md):
//
//   transform:  static constexpr sluice::Concurrency concurrency = sluice::Concurrency::stateless;
//               // N instances each take whole batches; one result per batch
//   transform:  static constexpr sluice::Concurrency concurrency = sluice::Concurrency::keyed;
//               void keep(sluice::Partition partition);  // before start(): keep only these keys
//               void merge(std::span<const std::vector<sluice::BatchPtr>> parts, sluice::Emitter& out);
//               // N instances each see every batch, tick and finish, and keep
//               // their partition's keys (time from host.now_ms()); merge()
//               // makes the one result of what the N emitted for each
//   sink:       Payload prepare(const Batch& in);  // or (const BatchPtr& in): any worker's instance
//               void commit(Payload& payload);     // in order, on the started instance
//               // with these two, consume() is optional: commit(prepare(in))
//   sink:       static constexpr sluice::Concurrency concurrency = sluice::Concurrency::keyed;
//               void keep(sluice::Partition partition);      // before prepare(): this instance's share
//               Part prepare(const BatchPtr& in);            // every partition, every batch, in order
//               Part prepare_tick();                         // every partition, each tick and at the end
//               void commit(std::span<Part* const> parts);  // the N parts of each, in order, then tick()
//               // on the started instance; with workers = 1 consume(), tick() and finish() as usual
//   transform:  static constexpr bool holds_records = true;
//               // keeps records across batches (open bins): host.inputs_passed_on() once
//               // what it emitted carries every input before the current one
//   sink:       static constexpr bool acknowledges_later = true;
//               // consume() only hands the batch on; host.acknowledge(in.id) once delivered
//
// and optionally `void start()` (open sockets and files), `std::string
// report() const` (lines for the end-of-run summary) and
// `std::chrono::milliseconds tick_period() const` (how often tick() is
// called; default one second). A sink throws TransientError for a failure
// that may pass (the engine retries with backoff); any other exception is
// permanent. The adapters below catch everything at the boundary.
//
//   constexpr sluice::OptionSpec options[] = {
//       {.name = "path", .type = sluice::OptionType::string, .help = "output file", .required = true}};
//   SLUICE_PLUGIN(sluice::sink<MySink>("my_sink", "writes flows somewhere", options))
#pragma once

#include <sluice/abi.h>

#include <boost/dll/alias.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

// The tick period of a plugin that has tick() but does not say.
inline constexpr std::chrono::milliseconds default_tick_period{1000};

namespace detail {

template <class F>
Status guarded(F&& f) noexcept {
  try {
    std::forward<F>(f)();
    return Status::ok();
  } catch (const OptionError& e) {
    return Status::failure(e.what(), e.key());
  } catch (const TransientError& e) {
    return Status::transient_failure(e.what());
  } catch (const std::exception& e) {
    return Status::failure(e.what());
  } catch (...) {
    return Status::failure("unknown exception");
  }
}

template <class Plugin>
constexpr bool has_tick = requires(Plugin& p, Emitter& out) {
  p.tick(out);
}
|| requires(Plugin& p) { p.tick(); };

template <class Plugin>
constexpr bool has_prepare = requires(Plugin& p, const BatchPtr& in) {
  p.prepare(in);
}
|| requires(Plugin& p, const Batch& in) { p.prepare(in); };

template <class Plugin>
constexpr bool is_keyed = [] {
  if constexpr (requires { Plugin::concurrency; })
    return Plugin::concurrency == Concurrency::keyed;
  else
    return false;
}();

// A sink with prepare() is stateless unless it says it is keyed; a
// transform says what it is.
template <class Plugin>
constexpr Concurrency concurrency_of(PluginKind kind) {
  if (kind == PluginKind::sink) {
    if (is_keyed<Plugin>) return Concurrency::keyed;
    return has_prepare<Plugin> ? Concurrency::stateless : Concurrency::serial;
  }
  if constexpr (requires { Plugin::concurrency; })
    if (kind == PluginKind::transform) return Plugin::concurrency;
  return Concurrency::serial;
}

template <class Plugin>
auto prepare(Plugin& plugin, const BatchPtr& in) {
  if constexpr (requires { plugin.prepare(in); })
    return plugin.prepare(in);
  else
    return plugin.prepare(*in);
}

// What prepare() returned, held for commit().
template <class Payload>
struct PreparedValue final : abi::Prepared {
  explicit PreparedValue(Payload&& v) : value(std::move(v)) {}
  Payload value;
};

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

  std::uint64_t tick_period_ms() const noexcept final {
    if constexpr (!has_tick<Plugin>) {
      return 0;
    } else if constexpr (requires { plugin_.tick_period(); }) {
      const auto period = std::chrono::duration_cast<std::chrono::milliseconds>(plugin_.tick_period()).count();
      return period > 0 ? static_cast<std::uint64_t>(period) : 0;
    } else {
      return static_cast<std::uint64_t>(default_tick_period.count());
    }
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
  void delivered(BatchId batch) noexcept override {
    if constexpr (requires { this->plugin_.delivered(batch); }) {
      try {
        this->plugin_.delivered(batch);
      } catch (...) {  // a position not committed is read again: at least once still holds
      }
    }
  }
};

template <class Plugin>
class TransformAdapter final : public Adapter<abi::Transform, Plugin> {
 public:
  using Adapter<abi::Transform, Plugin>::Adapter;
  Status process(const BatchPtr& in, Emitter& out) noexcept override {
    return guarded([&] { this->plugin_.process(in, out); });
  }
  Status tick(Emitter& out) noexcept override {
    return guarded([&] {
      if constexpr (requires { this->plugin_.tick(out); }) this->plugin_.tick(out);
    });
  }
  Status finish(Emitter& out) noexcept override {
    return guarded([&] {
      if constexpr (requires { this->plugin_.finish(out); }) this->plugin_.finish(out);
    });
  }
  Status keep(Partition partition) noexcept override {
    return guarded([&] {
      if constexpr (is_keyed<Plugin>)
        this->plugin_.keep(partition);
      else
        throw std::logic_error("this transform is not keyed");
    });
  }
  Status merge(std::span<const std::vector<BatchPtr>> parts, Emitter& out) noexcept override {
    return guarded([&] {
      if constexpr (is_keyed<Plugin>)
        this->plugin_.merge(parts, out);
      else
        throw std::logic_error("this transform is not keyed");
    });
  }
};

// What a keyed sink's partitions prepare (a placeholder for other sinks).
template <class Plugin>
struct PartOf {
  using type = int;
};
template <class Plugin>
requires is_keyed<Plugin>
struct PartOf<Plugin> {
  using type = decltype(std::declval<Plugin&>().prepare_tick());
};

template <class Plugin>
class SinkAdapter final : public Adapter<abi::Sink, Plugin> {
  using Part = typename PartOf<Plugin>::type;

 public:
  using Adapter<abi::Sink, Plugin>::Adapter;
  Status consume(const BatchPtr& in) noexcept override {
    return guarded([&] {
      if constexpr (requires { this->plugin_.consume(in); }) {
        this->plugin_.consume(in);
      } else if constexpr (requires { this->plugin_.consume(*in); }) {
        this->plugin_.consume(*in);
      } else if constexpr (is_keyed<Plugin>) {
        auto part = detail::prepare(this->plugin_, in);
        decltype(part)* const parts[] = {&part};
        this->plugin_.commit(std::span(parts));
      } else {
        auto payload = detail::prepare(this->plugin_, in);
        this->plugin_.commit(payload);
      }
    });
  }
  Status prepare(const BatchPtr& in, std::unique_ptr<abi::Prepared>& out) noexcept override {
    return guarded([&] {
      if constexpr (has_prepare<Plugin>) {
        using Payload = decltype(detail::prepare(this->plugin_, in));
        out = std::make_unique<PreparedValue<Payload>>(detail::prepare(this->plugin_, in));
      } else {
        throw std::logic_error("this sink has no prepare()");
      }
    });
  }
  Status commit(abi::Prepared& payload) noexcept override {
    return guarded([&] {
      if constexpr (has_prepare<Plugin> && !is_keyed<Plugin>) {
        using Payload = decltype(detail::prepare(this->plugin_, std::declval<const BatchPtr&>()));
        this->plugin_.commit(static_cast<PreparedValue<Payload>&>(payload).value);
      } else {
        throw std::logic_error("this sink has no commit()");
      }
    });
  }
  Status keep(Partition partition) noexcept override {
    return guarded([&] {
      if constexpr (is_keyed<Plugin>)
        this->plugin_.keep(partition);
      else
        throw std::logic_error("this sink is not keyed");
    });
  }
  Status prepare_tick(std::unique_ptr<abi::Prepared>& out) noexcept override {
    return guarded([&] {
      if constexpr (is_keyed<Plugin>)
        out = std::make_unique<PreparedValue<Part>>(this->plugin_.prepare_tick());
      else
        throw std::logic_error("this sink is not keyed");
    });
  }
  Status commit_parts(std::span<const std::unique_ptr<abi::Prepared>> parts) noexcept override {
    return guarded([&] {
      if constexpr (is_keyed<Plugin>) {
        std::vector<Part*> values;
        for (const auto& part : parts) values.push_back(&static_cast<PreparedValue<Part>&>(*part).value);
        this->plugin_.commit(std::span<Part* const>(values));
      } else {
        throw std::logic_error("this sink is not keyed");
      }
    });
  }
  Status tick() noexcept override {
    return guarded([&] {
      if constexpr (requires { this->plugin_.tick(); }) this->plugin_.tick();
    });
  }
  Status finish() noexcept override {
    return guarded([&] {
      if constexpr (requires { this->plugin_.finish(); }) this->plugin_.finish();
    });
  }
  std::uint64_t abandon() noexcept override {
    if constexpr (requires { this->plugin_.abandon(); }) {
      try {
        return this->plugin_.abandon();
      } catch (...) {
        return 0;
      }
    }
    return 0;
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
  d.concurrency = concurrency_of<Plugin>(kind);
  if constexpr (requires { Plugin::acknowledges_later; }) d.acknowledges_later = Plugin::acknowledges_later;
  if constexpr (requires(Plugin & p, BatchId b) { p.delivered(b); }) d.redelivers = kind == PluginKind::source;
  if constexpr (requires { Plugin::holds_records; }) d.holds_records = Plugin::holds_records;
  d.create = &create<AdapterFor, Plugin>;
  return d;
}

}  // namespace detail

// A command: `int Run(std::span<const std::string_view> args)` returning the
// exit code; an exception it throws is printed and exits 1.
template <int (*Run)(std::span<const std::string_view>)>
constexpr PluginCommand command(const char* name, const char* summary) {
  PluginCommand c;
  c.name = name;
  c.summary = summary;
  c.run = [](std::span<const std::string_view> args) noexcept {
    try {
      return Run(args);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sluice: %s\n", e.what());
      return 1;
    } catch (...) {
      return 1;
    }
  };
  return c;
}

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

// Declares the plugins of this library, all of one name (a source and a
// sink of the same system, say): use once, at namespace scope, in plugin.cpp.
#define SLUICE_PLUGIN(...) SLUICE_PLUGIN_WITH_COMMANDS({}, __VA_ARGS__)

// The same for a library that also offers commands: COMMANDS names an array
// of sluice::command<...>(...) entries.
#define SLUICE_PLUGIN_WITH_COMMANDS(COMMANDS, ...)                                            \
  namespace sluice_plugin_entry {                                                             \
  inline const std::uint32_t abi_version = ::sluice::abi_version;                             \
  inline const ::sluice::PluginDescriptor descriptors[] = {__VA_ARGS__};                      \
  inline const ::sluice::PluginLibrary library{.plugins = descriptors, .commands = COMMANDS}; \
  inline const ::sluice::PluginLibrary* describe() { return &library; }                       \
  }                                                                                           \
  BOOST_DLL_ALIAS(sluice_plugin_entry::abi_version, sluice_plugin_abi)                        \
  BOOST_DLL_ALIAS(sluice_plugin_entry::describe, sluice_plugin)
