// A keyed sink (Concurrency::keyed), as parquet_writer is: on `workers = N`
// each of its N copies sums its share of every batch (the records at
// positions k, k + N, ... for copy k) and takes every tick, and the started
// instance joins each batch's or tick's N parts, in order. On one worker it
// takes batches through consume(). At the end it writes "records=R bytes=S
// batches=B tick_parts=T parts=P out_of_order=O finished=1" to `output`: T
// the ticks whose parts were joined, P the fewest parts a join had (0: none
// joined), O batches whose id is not after the last of the same source.
#include <sluice/plugin.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <map>
#include <span>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "output", .type = sluice::OptionType::string, .default_value = "\"\"", .help = "file for the tally"},
    {.name = "tick_period",
     .type = sluice::OptionType::duration,
     .default_value = "\"0s\"",
     .help = "how often to be ticked; 0s: never"},
};

class SharingSink {
 public:
  static constexpr sluice::Concurrency concurrency = sluice::Concurrency::keyed;

  SharingSink(const sluice::Options& options, sluice::Host& /*host*/)
      : output_(options.string("output")), tick_period_(options.duration("tick_period")) {}

  std::chrono::milliseconds tick_period() const { return tick_period_; }

  struct Part {
    sluice::BatchPtr batch;  // none: a tick's part
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
  };

  void keep(sluice::Partition partition) { share_ = partition; }

  Part prepare(const sluice::BatchPtr& batch) const {
    Part part{.batch = batch};
    const auto& records = batch->records;
    for (std::size_t i = share_.index; i < records.size(); i += share_.count) {
      ++part.records;
      part.bytes += records[i].bytes;
    }
    return part;
  }
  Part prepare_tick() const { return {}; }

  void commit(std::span<Part* const> parts) {
    fewest_parts_ = std::min<std::uint64_t>(fewest_parts_, parts.size());
    const sluice::BatchPtr& batch = parts.front()->batch;
    if (!batch) {
      ++tick_parts_;
      return;
    }
    for (const Part* part : parts) {
      out_of_order_ += part->batch != batch;  // a part of another batch
      records_ += part->records;
      bytes_ += part->bytes;
    }
    count(*batch);
  }

  void consume(const sluice::Batch& batch) {
    for (const auto& r : batch.records) bytes_ += r.bytes;
    records_ += batch.records.size();
    count(batch);
  }

  void finish() const {
    if (output_.empty()) return;
    const std::uint64_t parts = fewest_parts_ == std::numeric_limits<std::uint64_t>::max() ? 0 : fewest_parts_;
    std::ofstream(output_) << "records=" << records_ << " bytes=" << bytes_ << " batches=" << batches_
                           << " tick_parts=" << tick_parts_ << " parts=" << parts << " out_of_order=" << out_of_order_
                           << " finished=1\n";
  }

 private:
  void count(const sluice::Batch& batch) {
    ++batches_;
    auto [last, first] = last_sequence_.try_emplace(batch.id.source, batch.id.sequence);
    out_of_order_ += !first && batch.id.sequence <= last->second;
    last->second = batch.id.sequence;
  }

  const std::string output_;
  const std::chrono::milliseconds tick_period_;
  sluice::Partition share_;
  std::uint64_t records_ = 0, bytes_ = 0, batches_ = 0, tick_parts_ = 0, out_of_order_ = 0;
  std::uint64_t fewest_parts_ = std::numeric_limits<std::uint64_t>::max();
  std::map<std::uint32_t, std::uint64_t> last_sequence_;  // by source
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<SharingSink>("sharing_sink", "test: a keyed sink, its work shared by its workers", options))
