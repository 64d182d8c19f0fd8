// sluice SDK: what the engine hands a plugin: logging, metrics, output.
#pragma once

#include <sluice/batch.h>
#include <sluice/metrics.h>
#include <sluice/texts.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace sluice {

enum class LogLevel : std::uint8_t { debug, info, warning, error };

// The engine's services for one component. Messages are prefixed with the
// component's id by the engine, so a plugin need not name itself.
class Host {
 public:
  virtual void log(LogLevel level, std::string_view message) = 0;
  // True once the pipeline is stopping: a source should return from poll().
  virtual bool stopping() const noexcept = 0;
  // True once any component of the pipeline has failed. A writer's finish()
  // then keeps the earlier output in place rather than replace it.
  virtual bool run_failed() const noexcept = 0;

  // Records this component discarded on purpose or could not help losing
  // upstream of itself (a kernel's full socket buffer, flows a format cannot
  // carry): the engine's dropped count.
  virtual void count_dropped(std::uint64_t records) noexcept = 0;
  // Records a sink accepted but could not deliver (an asynchronous send that
  // failed for good): the engine's lost count, and exit code 1.
  virtual void count_lost(std::uint64_t records) noexcept = 0;
  // Bad inputs or failed operations this component survived.
  virtual void count_errors(std::uint64_t errors) noexcept = 0;

  // A metric of this component, served as sluice_<plugin>_<name> with the
  // labels given plus the component's id. Asking again with the same name and
  // labels returns the same metric. Names are [a-z0-9_]; counters end in
  // _total (Prometheus' conventions). Throws std::invalid_argument otherwise.
  virtual Counter counter(std::string_view name, std::string_view help, std::span<const Label> labels) = 0;
  virtual Gauge gauge(std::string_view name, std::string_view help, std::span<const Label> labels) = 0;
  Counter counter(std::string_view name, std::string_view help, std::initializer_list<Label> labels = {}) {
    return counter(name, help, std::span<const Label>(labels.begin(), labels.size()));
  }
  Gauge gauge(std::string_view name, std::string_view help, std::initializer_list<Label> labels = {}) {
    return gauge(name, help, std::span<const Label>(labels.begin(), labels.size()));
  }

  // The wall clock (ms since the epoch) as of the batch or tick being
  // processed: the same on every partition of a keyed transform for one
  // batch or tick, so that time bins close together on all of them. A
  // transform that bins by processing time reads it, not sluice::now_ms().
  virtual std::uint64_t now_ms() const noexcept = 0;

  // A source with `instances = N` runs as N copies: this one's index, 0..N-1.
  virtual unsigned instance() const noexcept = 0;
  virtual unsigned instances() const noexcept = 0;

  // A sink that acknowledges later (PluginDescriptor::acknowledges_later)
  // says that a batch it consumed is delivered for good: a Kafka delivery
  // report, a ClickHouse INSERT answered. Any thread may call it, in any
  // order; the engine advances each source's contiguous acknowledged prefix.
  virtual void acknowledge(BatchId batch) noexcept = 0;

  // A finite source's progress, 0 to 1 (the share of its count or of its
  // files' bytes): the engine shows it, with a rate and an ETA, on a terminal.
  virtual void progress(double fraction) noexcept = 0;

  // The texts records refer to by TextId (interface names, AS organisations):
  // one table for the whole run, so an id means the same in every component.
  virtual TextTable& texts() noexcept = 0;

  // How many times the run was asked to re-read its files (SIGHUP): a
  // component that reads files (databases, tables) compares it with the
  // count it last saw, on tick(), and reads them again when it grew.
  virtual std::uint64_t reload_requests() const noexcept = 0;

  // A small table for the console (docs/console.md): `columns` names it,
  // `cells` holds its rows one after another (a multiple of columns.size()).
  // The first `key_columns` columns name a row; the console charts the last
  // column, stacked by row, over the versions it keeps. Each call replaces
  // this component's table of that name. Meant for a few dozen rows
  // published now and then (a closed bin's top keys), not for every batch:
  // the engine copies what it is given. Throws std::invalid_argument when
  // the cells do not fill whole rows.
  virtual void publish_table(std::string_view name, std::span<const std::string_view> columns, std::size_t key_columns,
                             std::span<const std::string_view> cells) = 0;
  // Removes this component's metrics whose labels begin with `labels`, in
  // the order they were registered with (a sender the plugin forgot:
  // {"exporter", "192.0.2.1"}), so that what is served stays bounded. The
  // handles to them must not be used again.
  virtual void remove_metrics(std::span<const Label> labels) = 0;

  // True when something upstream waits for this sink's acknowledgements to
  // free what it holds (a disk buffer): a writer then acknowledges a batch
  // only once the window's file holding it is closed, synced and in place.
  // False: a sink may acknowledge at once and spare the syncs.
  virtual bool acknowledgements_awaited() const noexcept = 0;

  // A transform that holds records (PluginDescriptor::holds_records) says
  // that every input it took before the one it is processing now (outside
  // process(): every input so far) has left in what it has emitted: an
  // aggregate whose bin just closed. Their acknowledgement then follows that
  // output's, so a source that redelivers commits them once it is delivered.
  virtual void inputs_passed_on() noexcept = 0;

 protected:
  ~Host() = default;
};

// Where a source or transform sends its batches. emit() may block while a
// downstream queue is full: that is how back-pressure reaches a source.
class Emitter {
 public:
  virtual void emit(BatchPtr batch) = 0;

 protected:
  ~Emitter() = default;
};

}  // namespace sluice
