// A sink that fails on its `fail_on_batch`-th batch (or at start).
#include "marker.h"

#include <sluice/plugin.h>

#include <stdexcept>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "reason", .type = sluice::OptionType::string, .help = "what the failure says", .required = true},
    {.name = "fail_on_batch", .type = sluice::OptionType::integer, .default_value = "3", .help = "batch that fails"},
    {.name = "fail_at_start", .type = sluice::OptionType::boolean, .default_value = "false", .help = "fail in start()"},
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
        marker_(options.string("marker")) {}

  void start() {
    if (fail_at_start_) throw std::runtime_error(reason_ + " at start");
    sluice::testing::leave_marker(marker_, "failing_sink started");
  }

  void consume(const sluice::Batch&) {
    if (++batches_ == fail_on_) throw std::runtime_error(reason_ + " at batch " + std::to_string(batches_));
  }

 private:
  const std::string reason_;
  const std::int64_t fail_on_;
  const bool fail_at_start_;
  const std::string marker_;
  std::int64_t batches_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<FailingSink>("failing_sink", "test: fails on its Nth batch", options))
