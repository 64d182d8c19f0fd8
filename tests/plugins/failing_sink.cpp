// A sink that fails on its `fail_on_batch`-th batch (or at start): for good,
// or transiently `failures` times in a row before it recovers (0: never).
// On finish it writes "delivered=N attempts=A finished=1" to `output`.
#include "marker.h"

#include <sluice/plugin.h>

#include <fstream>
#include <stdexcept>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "reason", .type = sluice::OptionType::string, .help = "what the failure says", .required = true},
    {.name = "fail_on_batch", .type = sluice::OptionType::integer, .default_value = "3", .help = "batch that fails"},
    {.name = "fail_at_start", .type = sluice::OptionType::boolean, .default_value = "false", .help = "fail in start()"},
    {.name = "transient",
     .type = sluice::OptionType::boolean,
     .default_value = "false",
     .help = "the failure is transient (sluice::TransientError)"},
    {.name = "failures",
     .type = sluice::OptionType::integer,
     .default_value = "1",
     .help = "transient: attempts that fail before the sink recovers; 0: never recovers"},
    {.name = "output", .type = sluice::OptionType::string, .default_value = "\"\"", .help = "file for the tally"},
    {.name = "marker",
     .type = sluice::OptionType::string,
     .default_value = "\"\"",
     .help = "file to append to on start"},
};

class FailingSink {
 public:
  FailingSink(const sluice::Options& options, sluice::Host&)
      : reason_(options.string("reason")),
        fail_on_(options.integer("fail_on_batch")),
        fail_at_start_(options.boolean("fail_at_start")),
        transient_(options.boolean("transient")),
        failures_(options.integer("failures")),
        output_(options.string("output")),
        marker_(options.string("marker")) {}

  void start() {
    if (fail_at_start_) throw std::runtime_error(reason_ + " at start");
    sluice::testing::leave_marker(marker_, "failing_sink started");
  }

  void consume(const sluice::Batch& batch) {
    ++attempts_;
    if (batches_ + 1 == fail_on_ && (failures_ == 0 || failed_ < failures_)) {
      ++failed_;
      const std::string message = reason_ + " at batch " + std::to_string(fail_on_);
      if (transient_) throw sluice::TransientError(message);
      throw std::runtime_error(message);
    }
    ++batches_;
    delivered_ += batch.records.size();
  }

  void finish() {
    if (!output_.empty())
      std::ofstream(output_) << "delivered=" << delivered_ << " attempts=" << attempts_ << " finished=1\n";
  }

 private:
  const std::string reason_;
  const std::int64_t fail_on_;
  const bool fail_at_start_;
  const bool transient_;
  const std::int64_t failures_;
  const std::string output_;
  const std::string marker_;
  std::int64_t batches_ = 0, failed_ = 0, attempts_ = 0;
  std::uint64_t delivered_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<FailingSink>("failing_sink", "test: fails on its Nth batch", options))
