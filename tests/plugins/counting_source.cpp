// A source of `count` records (0: until stopped) in batches of `batch_size`;
// record i has bytes = i, packets = 1, src_port = i % 65536, and in_if = the
// instance's index (with `instances = N`). Reports its progress.
#include "marker.h"

#include <sluice/plugin.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "count",
     .type = sluice::OptionType::integer,
     .default_value = "1000",
     .help = "records to emit; 0 for no end",
     .min = "0"},
    sluice::batch_size_option("100"),
    {.name = "pause",
     .type = sluice::OptionType::duration,
     .default_value = "\"0ms\"",
     .help = "sleep after each batch"},
    {.name = "reuse_batch",
     .type = sluice::OptionType::boolean,
     .default_value = "false",
     .help = "emit one prepared batch again and again (for engine benchmarks)"},
    {.name = "marker",
     .type = sluice::OptionType::string,
     .default_value = "\"\"",
     .help = "file to append to on start"},
};

class CountingSource {
 public:
  CountingSource(const sluice::Options& options, sluice::Host& host)
      : host_(host),
        count_(options.integer("count")),
        batch_size_(options.integer("batch_size")),
        pause_(options.duration("pause")),
        reuse_(options.boolean("reuse_batch")),
        marker_(options.string("marker")) {}

  void start() {
    sluice::testing::leave_marker(marker_, "counting_source started");
    if (reuse_) prepared_ = fill(0, static_cast<std::size_t>(batch_size_), host_.instance());
  }

  bool poll(sluice::Emitter& out) {
    const std::uint64_t n = count_ == 0 ? batch_size_ : std::min<std::uint64_t>(batch_size_, count_ - next_);
    out.emit(reuse_ ? prepared_ : fill(next_, n, host_.instance()));
    next_ += n;
    if (count_ > 0) host_.progress(static_cast<double>(next_) / static_cast<double>(count_));
    const bool more = count_ == 0 || next_ < static_cast<std::uint64_t>(count_);
    // Paused, but back within 100 ms of a stop, as poll() must be.
    for (auto rest = more ? pause_ : std::chrono::milliseconds(0); rest.count() > 0 && !host_.stopping();
         rest -= std::chrono::milliseconds(100))
      std::this_thread::sleep_for(std::min(rest, std::chrono::milliseconds(100)));
    return more;
  }

 private:
  static sluice::BatchPtr fill(std::uint64_t first, std::size_t n, unsigned instance) {
    auto batch = sluice::make_batch(n);
    for (std::uint64_t i = first; i < first + n; ++i) {
      sluice::FlowRecord r;
      r.bytes = i;
      r.packets = 1;
      r.src_port = static_cast<std::uint16_t>(i);
      r.in_if = instance;
      batch->records.push_back(r);
    }
    return batch;
  }

  sluice::Host& host_;
  const std::int64_t count_;
  const std::int64_t batch_size_;
  const std::chrono::milliseconds pause_;
  const bool reuse_;
  const std::string marker_;
  sluice::BatchPtr prepared_;
  std::uint64_t next_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<CountingSource>("counting_source", "test: counts up", options))
