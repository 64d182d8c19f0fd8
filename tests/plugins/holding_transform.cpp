// A transform that holds every record it is given, as an aggregate's open
// bin does, and emits them all in one batch on each tick (when it holds
// any), then says its inputs are passed on; and at finish.
#include <sluice/plugin.h>

#include <chrono>
#include <utility>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "tick_period",
     .type = sluice::OptionType::duration,
     .default_value = "\"0s\"",
     .help = "how often to emit what it holds; 0s: only at finish"},
};

class HoldingTransform {
 public:
  static constexpr bool holds_records = true;

  HoldingTransform(const sluice::Options& options, sluice::Host& host)
      : host_(host), tick_period_(options.duration("tick_period")) {}

  void process(const sluice::BatchPtr& in, sluice::Emitter&) {
    held_->records.insert(held_->records.end(), in->records.begin(), in->records.end());
  }
  std::chrono::milliseconds tick_period() const { return tick_period_; }
  void tick(sluice::Emitter& out) {
    if (held_->records.empty()) return;
    out.emit(std::exchange(held_, sluice::make_batch()));
    host_.inputs_passed_on();
  }
  void finish(sluice::Emitter& out) { out.emit(std::exchange(held_, sluice::make_batch())); }

 private:
  sluice::Host& host_;
  const std::chrono::milliseconds tick_period_;
  std::shared_ptr<sluice::Batch> held_ = sluice::make_batch();
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<HoldingTransform>("holding_transform", "test: holds records until a tick", options))
