// byte_filter: a transform that keeps the flows of at least `min_bytes` bytes.
// The example of docs/plugins.md, built against the installed SDK.
#include <sluice/plugin.h>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "min_bytes",
     .type = sluice::OptionType::integer,
     .help = "smallest flow kept, in bytes",
     .required = true,
     .min = "0"},
};

class ByteFilter {
 public:
  ByteFilter(const sluice::Options& options, sluice::Host& host)
      : min_bytes_(options.integer("min_bytes")),
        removed_(host.counter("removed_total", "Flows smaller than min_bytes, removed")) {}

  void process(const sluice::BatchPtr& in, sluice::Emitter& out) {
    auto kept = sluice::make_batch(in->records.size());
    sluice::visit(
        *in,
        [&](std::span<const sluice::FlowRecord> records) {
          for (const auto& r : records)
            if (r.bytes >= static_cast<std::uint64_t>(min_bytes_)) kept->records.push_back(r);
        },
        [&](const sluice::Event& event) { kept->add_event(event); });
    removed_.add(in->records.size() - kept->records.size());
    out.emit(std::move(kept));
  }

 private:
  const std::int64_t min_bytes_;
  sluice::Counter removed_;  // served as sluice_byte_filter_removed_total{component_id="..."}
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<ByteFilter>("byte_filter", "keeps flows of at least min_bytes bytes", options))
