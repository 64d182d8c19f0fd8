// rotator: cuts the stream into aligned time windows with Rotate events, so
// every writer downstream starts its next file at the same point.
#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <algorithm>
#include <chrono>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "interval",
     .type = sluice::OptionType::duration,
     .default_value = "\"5m\"",
     .help = "window length, like nfcapd -t; windows are aligned to the clock (5m: :00, :05, ...)",
     .min = "1"},
    {.name = "clock",
     .type = sluice::OptionType::string,
     .default_value = "\"processing\"",
     .help = "\"processing\": cut by the time flows pass; \"event\": by their own time (received, else last packet), "
             "for replays",
     .choices = "processing|event"},
};

class Rotator {
 public:
  Rotator(const sluice::Options& options, sluice::Host&)
      : interval_ms_(static_cast<std::uint64_t>(options.duration("interval").count())),
        event_clock_(options.string("clock") == "event") {}

  void process(const sluice::BatchPtr& in, sluice::Emitter& out) {
    if (event_clock_) {
      cut_by_flow_time(*in, in, out);
      return;
    }
    tick(out);
    out.emit(in);
  }

  // The processing clock moves on without traffic too: each window closes at
  // its end, and quiet windows leave their (empty) files on time, as nfcapd's.
  std::chrono::milliseconds tick_period() const {
    return event_clock_ ? std::chrono::milliseconds(0) : std::chrono::milliseconds(250);
  }

  void tick(sluice::Emitter& out) {
    // Forward only: a clock stepped back reopens nothing.
    if (const auto window = window_of(sluice::now_ms()); current_ == none || window > current_)
      emit_rotate(window, out);
  }

 private:
  std::uint64_t window_of(std::uint64_t time_ms) const { return time_ms - time_ms % interval_ms_; }

  static std::uint64_t flow_time(const sluice::FlowRecord& f) { return f.received_ms != 0 ? f.received_ms : f.last_ms; }

  // Rotates to `window`. The windows skipped on the way get their (empty)
  // files too, as nfcapd writes one every interval; a jump of more than a day
  // is a clock change or a bad time, not a quiet spell, and skips.
  void rotate_to(std::uint64_t window, sluice::Batch& batch) {
    constexpr std::uint64_t day_ms = 86'400'000;
    std::uint64_t next = current_ != none && window - current_ <= day_ms ? current_ + interval_ms_ : window;
    for (; next <= window; next += interval_ms_) {
      batch.add_event(
          {.kind = sluice::Event::Kind::rotate, .window_start_ms = next, .window_end_ms = next + interval_ms_});
    }
    current_ = window;
  }

  void emit_rotate(std::uint64_t window, sluice::Emitter& out) {
    auto batch = sluice::make_batch(0);
    rotate_to(window, *batch);
    out.emit(std::move(batch));
  }

  // A window opens with the first flow past the current one; a late flow
  // stays in the current window (closed files are never reopened). The batch
  // passes unchanged when no window starts inside it.
  void cut_by_flow_time(const sluice::Batch& batch, const sluice::BatchPtr& shared, sluice::Emitter& out) {
    std::shared_ptr<sluice::Batch> cut;
    std::size_t copied = 0;
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
      const std::uint64_t window = window_of(flow_time(batch.records[i]));
      if (current_ != none && window <= current_) continue;
      if (!cut) cut = sluice::make_batch(batch.records.size());
      cut->records.insert(cut->records.end(), batch.records.begin() + static_cast<std::ptrdiff_t>(copied),
                          batch.records.begin() + static_cast<std::ptrdiff_t>(i));
      copied = i;
      rotate_to(window, *cut);
    }
    if (!cut) {
      out.emit(shared);
      return;
    }
    cut->records.insert(cut->records.end(), batch.records.begin() + static_cast<std::ptrdiff_t>(copied),
                        batch.records.end());
    if (!batch.events.empty()) {  // keep upstream events (same offsets: no record moved) in stream order
      cut->events.insert(cut->events.end(), batch.events.begin(), batch.events.end());
      std::stable_sort(cut->events.begin(), cut->events.end(),
                       [](const sluice::Event& a, const sluice::Event& b) { return a.offset < b.offset; });
    }
    out.emit(std::move(cut));
  }

  static constexpr std::uint64_t none = ~std::uint64_t{0};
  const std::uint64_t interval_ms_;
  const bool event_clock_;
  std::uint64_t current_ = none;
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<Rotator>("rotator", "cuts the stream into aligned time windows for the writers",
                                         options))
