// A plugin built as if for another SDK: another ABI version (WRONG_VERSION)
// or another FlowRecord size (WRONG_RECORD_SIZE). The engine must refuse it.
#include <sluice/plugin.h>

namespace {

struct Nothing {
  Nothing(const sluice::Options&, sluice::Host&) {}
  void consume(const sluice::Batch&) {}
};

sluice::PluginDescriptor describe_mismatch() {
  auto d = sluice::sink<Nothing>(PLUGIN_NAME, "test: built for another ABI");
#ifdef WRONG_VERSION
  d.abi_version = sluice::abi_version + 41;
#endif
#ifdef WRONG_RECORD_SIZE
  d.record_size = sizeof(sluice::FlowRecord) + 8;
#endif
  return d;
}

}  // namespace

SLUICE_PLUGIN(describe_mismatch())
