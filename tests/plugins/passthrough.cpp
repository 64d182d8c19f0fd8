// A transform that forwards every batch unchanged (shared, not copied).
#include "marker.h"

#include <sluice/plugin.h>

namespace {

constexpr sluice::OptionSpec options[] = {
    {.name = "marker",
     .type = sluice::OptionType::string,
     .default_value = "\"\"",
     .help = "file to append to on start"},
};

class Passthrough {
 public:
  Passthrough(const sluice::Options& options, sluice::Host&) : marker_(options.string("marker")) {}
  void start() { sluice::testing::leave_marker(marker_, "passthrough started"); }
  void process(const sluice::BatchPtr& in, sluice::Emitter& out) { out.emit(in); }

 private:
  const std::string marker_;
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<Passthrough>("passthrough", "test: forwards batches unchanged", options))
