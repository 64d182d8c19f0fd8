// A source of `count` records in batches of `batch_size` (record i has
// bytes = i) that can "read again" what it emitted, as a Kafka consumer
// does: the engine tells it which batches every sink has delivered, and it
// commits the contiguous prefix. It writes "committed=R delivered=D" (R:
// records of that prefix, D: batches told) to `output` whenever that
// changes, and says the same in its report.
#include <sluice/plugin.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>
#include <string>
#include <thread>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "count", .type = sluice::OptionType::integer, .default_value = "1000", .help = "records to emit"},
    sluice::batch_size_option("100"),
    {.name = "pause",
     .type = sluice::OptionType::duration,
     .default_value = "\"0ms\"",
     .help = "sleep after each batch"},
    {.name = "output", .type = sluice::OptionType::string, .default_value = "\"\"", .help = "file for the tally"},
};

class RedeliveringSource {
 public:
  RedeliveringSource(const sluice::Options& options, sluice::Host&)
      : count_(static_cast<std::uint64_t>(options.integer("count"))),
        batch_size_(static_cast<std::uint64_t>(options.integer("batch_size"))),
        pause_(options.duration("pause")),
        output_(options.string("output")) {}

  bool poll(sluice::Emitter& out) {
    const std::uint64_t n = std::min(batch_size_, count_ - next_);
    auto batch = sluice::make_batch(n);
    for (std::uint64_t i = next_; i < next_ + n; ++i) {
      sluice::FlowRecord r;
      r.bytes = i;
      r.packets = 1;
      batch->records.push_back(r);
    }
    const sluice::BatchPtr sent = std::move(batch);
    out.emit(sent);
    unsettled_.push_back({sent->id.sequence, n, false});
    next_ += n;
    std::this_thread::sleep_for(pause_);
    return next_ < count_;
  }

  void delivered(sluice::BatchId batch) {
    ++told_;
    for (Unsettled& u : unsettled_)
      if (u.sequence == batch.sequence) u.delivered = true;
    while (!unsettled_.empty() && unsettled_.front().delivered) {
      committed_ += unsettled_.front().records;
      unsettled_.pop_front();
    }
    if (!output_.empty()) std::ofstream(output_) << tally() << "\n";
  }

  std::string report() const { return "  " + tally() + "\n"; }

 private:
  struct Unsettled {
    std::uint64_t sequence;
    std::uint64_t records;
    bool delivered;
  };

  std::string tally() const {
    return "committed=" + std::to_string(committed_) + " delivered=" + std::to_string(told_);
  }

  const std::uint64_t count_;
  const std::uint64_t batch_size_;
  const std::chrono::milliseconds pause_;
  const std::string output_;
  std::uint64_t next_ = 0;
  std::deque<Unsettled> unsettled_;
  std::uint64_t committed_ = 0;
  std::uint64_t told_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<RedeliveringSource>("redelivering_source",
                                                 "test: counts up, commits what the sinks delivered", options))
