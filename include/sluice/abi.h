// sluice SDK: the binary interface between the engine and a plugin library.
//
// A plugin library exports two symbols (see SLUICE_PLUGIN in plugin.h):
// `sluice_plugin_abi`, a constant holding the ABI version it was built for,
// and `sluice_plugin`, a function returning a PluginLibrary: the plugins it
// holds, all of one name, at most one of each kind. The engine reads the
// version (data: no code of a foreign version ever runs), then calls the
// entry and checks the struct sizes before it touches anything else. Every
// call across the boundary is noexcept and reports failure as a Status.
#pragma once

#include <sluice/batch.h>
#include <sluice/flow_record.h>
#include <sluice/host.h>
#include <sluice/options.h>
#include <sluice/status.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Bump on any change to the types in this SDK that a plugin library compiles in.
inline constexpr std::uint32_t abi_version = 9;

enum class PluginKind : std::uint8_t { source, transform, sink };

// How a transform or sink may run on several workers (`workers = N`).
//   serial:    one instance sees every batch, in order (the default).
//   stateless: N instances made with the same options each take whole
//              batches; the engine restores the order before the next stage.
//              A sink is stateless when it splits into prepare() (any
//              worker) and commit() (in order, one at a time).
//   keyed:     a transform whose state is per key (aggregate): N instances,
//              instance k keeps the keys of partition k of N and sees every
//              batch, tick and finish (it skips the other partitions' keys);
//              the engine hands the N partitions' outputs of each to merge()
//              on one of them, which makes the one result. A keyed sink's
//              N partitions each prepare every batch and tick (their share
//              of the work: some columns of a file, say); commit_parts()
//              gets the N parts of each, in order, on one more instance.
enum class Concurrency : std::uint8_t { serial, stateless, keyed };

// Which share of the keys an instance of a keyed transform keeps: those whose
// hash falls in partition `index` of `count` (0 of 1: all of them).
struct Partition {
  unsigned index = 0;
  unsigned count = 1;
};

constexpr std::string_view to_string(Concurrency concurrency) noexcept {
  switch (concurrency) {
    case Concurrency::serial: return "serial";
    case Concurrency::stateless: return "stateless";
    case Concurrency::keyed: return "keyed";
  }
  return "?";
}

constexpr std::string_view to_string(PluginKind kind) noexcept {
  switch (kind) {
    case PluginKind::source: return "source";
    case PluginKind::transform: return "transform";
    case PluginKind::sink: return "sink";
  }
  return "?";
}

namespace abi {

class Component {
 public:
  virtual ~Component() = default;
  // Acquire resources (sockets, files). Called once, after every component
  // of the pipeline has been created, i.e. after the whole config is valid.
  virtual Status start() noexcept = 0;
  // Extra lines for the end-of-run summary; empty for none.
  virtual std::string report() const noexcept = 0;
  // How often a transform or sink wants tick(), in ms; 0: never.
  virtual std::uint64_t tick_period_ms() const noexcept = 0;
};

class Source : public Component {
 public:
  // Emits zero or more batches; sets `more` to false once the source has ended.
  virtual Status poll(Emitter& out, bool& more) noexcept = 0;
  // A source that can read again what it emitted (PluginDescriptor::
  // redelivers): `batch`, and everything made of it downstream, has been
  // delivered for good by every sink, or dropped on purpose. On the source's
  // thread between polls, and once more after the sinks have finished; in
  // any order.
  virtual void delivered(BatchId batch) noexcept = 0;
};

class Transform : public Component {
 public:
  virtual Status process(const BatchPtr& in, Emitter& out) noexcept = 0;
  // Time has passed (every tick_period_ms): emit what is due without waiting
  // for the next batch. Never concurrent with process(), never after finish().
  virtual Status tick(Emitter& out) noexcept = 0;
  // All inputs have ended: emit whatever is held back.
  virtual Status finish(Emitter& out) noexcept = 0;
  // A keyed transform only (Concurrency::keyed), on several workers. Called
  // once, before start(): the share of the keys this instance keeps.
  virtual Status keep(Partition partition) noexcept = 0;
  // What the partitions emitted for one batch, tick or finish, in partition
  // order (each the same steps: Host::now_ms() was the same for all): emit
  // the one result (the top N across them, say).
  virtual Status merge(std::span<const std::vector<BatchPtr>> parts, Emitter& out) noexcept = 0;
};

// What a sink's prepare() made of a batch, for its commit(): formatted text,
// an encoded block. The engine holds it between the two calls.
class Prepared {
 public:
  virtual ~Prepared() = default;
};

class Sink : public Component {
 public:
  // A transient failure means the sink took none of the batch: it comes again.
  // The sink may keep `in` (it is shared and immutable) for an asynchronous send.
  virtual Status consume(const BatchPtr& in) noexcept = 0;
  // Time has passed: flush what is due. On the sink's thread, in order with
  // its batches, never after finish().
  virtual Status tick() noexcept = 0;
  // All inputs have ended, or the pipeline is stopping: flush and close.
  virtual Status finish() noexcept = 0;
  // The engine gives up delivering (drain_timeout passed): drop what is still
  // held and say how many records that was.
  virtual std::uint64_t abandon() noexcept = 0;
  // A stateless sink only (Concurrency::stateless): the parallel half of
  // consume(), on any worker's instance, touching no output.
  virtual Status prepare(const BatchPtr& in, std::unique_ptr<Prepared>& out) noexcept = 0;
  // The ordered half, on the instance that was started: batches' payloads in
  // the order the batches arrived, with ticks between them. A transient
  // failure means none of it was taken: the same payload comes again.
  virtual Status commit(Prepared& payload) noexcept = 0;
  // A keyed sink only (Concurrency::keyed), on several workers. Called once,
  // before prepare(): the share of the work this instance does.
  virtual Status keep(Partition partition) noexcept = 0;
  // A keyed sink's partition at a tick, and once after the last batch: its
  // share of what a tick ends (on one worker, what tick() and finish() end).
  virtual Status prepare_tick(std::unique_ptr<Prepared>& out) noexcept = 0;
  // The N partitions' parts of one batch or tick, in partition order, on the
  // instance that was started; in the order of the batches and ticks. After a
  // tick's parts, tick() follows. A transient failure: the same parts again.
  virtual Status commit_parts(std::span<const std::unique_ptr<Prepared>> parts) noexcept = 0;
};

}  // namespace abi

// One plugin: a kind, its options and a factory.
struct PluginDescriptor {
  PluginKind kind = PluginKind::source;
  const char* name = "";
  const char* summary = "";
  std::span<const OptionSpec> options;
  Concurrency concurrency = Concurrency::serial;  // sources: always serial (see `instances`)
  // A sink whose consume() only hands the batch on (a send awaiting its
  // answer) and which calls Host::acknowledge(id) once it is delivered; for
  // any other sink a successful consume() or commit() acknowledges the batch.
  bool acknowledges_later = false;
  // A source that can read again what it emitted (a Kafka consumer, from its
  // committed offsets): the engine tells it, through delivered(), which of
  // its batches every sink has delivered, and it commits only those.
  bool redelivers = false;
  // A transform that holds records across batches (an aggregate's open
  // bins): its output takes its own ids, and its inputs count as delivered
  // once it has said they are passed on (Host::inputs_passed_on) and what it
  // emitted up to then is delivered; at the latest, after finish().
  bool holds_records = false;
  // Creates the component, validating its options. On failure returns the
  // error (with the option's key when one is to blame) and leaves `out` empty.
  Status (*create)(const Options& options, Host& host, std::unique_ptr<abi::Component>& out) noexcept = nullptr;
};

// A command a plugin offers on sluice's command line, `sluice COMMAND PLUGIN
// [ARGS...]` (`sluice schema clickhouse --table flows`): what only the
// plugin knows (its table's schema, say), without the engine knowing it.
// `sluice plugins PLUGIN` lists them.
struct PluginCommand {
  const char* name = "";     // the word after `sluice`
  const char* summary = "";  // one line
  // Runs with the arguments after the plugin's name, prints what it prints
  // to stdout and stderr, and returns the exit code (64 for a usage error).
  int (*run)(std::span<const std::string_view> args) noexcept = nullptr;
};

// What a library's entry point returns.
struct PluginLibrary {
  std::uint32_t library_size = sizeof(PluginLibrary);
  std::uint32_t descriptor_size = sizeof(PluginDescriptor);
  std::uint32_t record_size = sizeof(FlowRecord);
  std::uint32_t event_size = sizeof(Event);
  std::span<const PluginDescriptor> plugins = {};  // one name; a source, a transform and a sink at most
  std::span<const PluginCommand> commands = {};    // none, or the commands it offers
};

// The signature of the exported entry point, and the exported names.
using PluginEntry = const PluginLibrary*();
inline constexpr const char* plugin_entry_symbol = "sluice_plugin";
inline constexpr const char* plugin_abi_symbol = "sluice_plugin_abi";

}  // namespace sluice
