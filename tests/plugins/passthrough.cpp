// A transform that forwards every batch unchanged (shared, not copied). With
// tick_period > 0 it emits an event-only batch with a Flush at every tick.
// It is stateless: with `workers = N` and `jitter`, each copy holds a batch
// for (its sequence % 4) x jitter, so that workers finish out of order.
#include "marker.h"

#include <sluice/plugin.h>

#include <thread>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "marker",
     .type = sluice::OptionType::string,
     .default_value = "\"\"",
     .help = "file to append to on start"},
    {.name = "tick_period",
     .type = sluice::OptionType::duration,
     .default_value = "\"0s\"",
     .help = "how often to be ticked; 0s: never"},
    {.name = "jitter",
     .type = sluice::OptionType::duration,
     .default_value = "\"0ms\"",
     .help = "hold each batch (its sequence % 4) times this long"},
};

class Passthrough {
 public:
  static constexpr sluice::Concurrency concurrency = sluice::Concurrency::stateless;

  Passthrough(const sluice::Options& options, sluice::Host&)
      : marker_(options.string("marker")),
        tick_period_(options.duration("tick_period")),
        jitter_(options.duration("jitter")) {}
  void start() { sluice::testing::leave_marker(marker_, "passthrough started"); }
  void process(const sluice::BatchPtr& in, sluice::Emitter& out) {
    std::this_thread::sleep_for(jitter_ * static_cast<int>(in->id.sequence % 4));
    out.emit(in);
  }
  std::chrono::milliseconds tick_period() const { return tick_period_; }
  void tick(sluice::Emitter& out) {
    auto flush = sluice::make_batch(0);
    flush->add_event({.kind = sluice::Event::Kind::flush});
    out.emit(std::move(flush));
  }

 private:
  const std::string marker_;
  const std::chrono::milliseconds tick_period_;
  const std::chrono::milliseconds jitter_;
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<Passthrough>("passthrough", "test: forwards batches unchanged", options))
