// A transform that forwards every batch unchanged (shared, not copied). With
// tick_period > 0 it emits an event-only batch with a Flush at every tick.
#include "marker.h"

#include <sluice/plugin.h>

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
};

class Passthrough {
 public:
  Passthrough(const sluice::Options& options, sluice::Host&)
      : marker_(options.string("marker")), tick_period_(options.duration("tick_period")) {}
  void start() { sluice::testing::leave_marker(marker_, "passthrough started"); }
  void process(const sluice::BatchPtr& in, sluice::Emitter& out) { out.emit(in); }
  std::chrono::milliseconds tick_period() const { return tick_period_; }
  void tick(sluice::Emitter& out) {
    auto flush = sluice::make_batch(0);
    flush->add_event({.kind = sluice::Event::Kind::flush});
    out.emit(std::move(flush));
  }

 private:
  const std::string marker_;
  const std::chrono::milliseconds tick_period_;
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<Passthrough>("passthrough", "test: forwards batches unchanged", options))
