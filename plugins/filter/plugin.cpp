// filter: keeps the flows an nfdump filter expression selects (see
// flowfilter/filter.h and docs/analysis.md).
#include "sluice/flowfilter/filter.h"

#include <sluice/plugin.h>

#include <vector>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "expression",
     .type = sluice::OptionType::string,
     .help = "nfdump 1.7 filter syntax, e.g. \"proto tcp and dst port 443 and bytes > 1M\"",
     .required = true},
};

sluice::flowfilter::Filter compile(const std::string& expression, sluice::TextTable& texts) {
  try {
    return sluice::flowfilter::Filter(expression, &texts);
  } catch (const sluice::flowfilter::SyntaxError& e) {
    throw sluice::OptionError("expression", e.what());  // "column N: ..."
  }
}

class FilterPlugin {
 public:
  // Each batch on its own: `workers = N` runs N filters on batches at once.
  static constexpr sluice::Concurrency concurrency = sluice::Concurrency::stateless;

  FilterPlugin(const sluice::Options& options, sluice::Host& host)
      : filter_(compile(options.string("expression"), host.texts())) {}

  void process(const sluice::BatchPtr& in, sluice::Emitter& out) {
    const auto& records = in->records;
    marks_.resize(records.size());
    filter_.evaluate(records, marks_.data());
    std::size_t kept = 0;
    for (const auto m : marks_) kept += m;
    if (kept == records.size()) {  // nothing to take out: pass the shared batch on
      out.emit(in);
      return;
    }
    auto batch = sluice::make_batch(kept);
    sluice::visit(
        *in,
        [&](std::span<const sluice::FlowRecord> run) {
          const auto* mark = marks_.data() + (run.data() - records.data());
          for (std::size_t i = 0; i < run.size(); ++i)
            if (mark[i]) batch->records.push_back(run[i]);
        },
        [&](const sluice::Event& event) { batch->add_event(event); });
    if (!batch->records.empty() || !batch->events.empty()) out.emit(std::move(batch));
  }

 private:
  const sluice::flowfilter::Filter filter_;
  std::vector<std::uint8_t> marks_;  // one per record of the batch at hand
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<FilterPlugin>("filter", "keeps the flows an nfdump filter expression selects", options))
