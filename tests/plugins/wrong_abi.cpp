// A plugin built as if for another SDK: another ABI version (WRONG_VERSION),
// the ABI 2 of record v2 (ABI_VERSION_2: a plugin not rebuilt for record v3)
// or another FlowRecord size (WRONG_RECORD_SIZE). The engine must refuse it.
#include <sluice/plugin.h>

namespace {

struct Nothing {
  Nothing(const sluice::Options&, sluice::Host&) {}
  void consume(const sluice::Batch&) {}
};

const sluice::PluginDescriptor descriptors[] = {sluice::sink<Nothing>(PLUGIN_NAME, "test: built for another ABI")};

#if defined(WRONG_VERSION)
const std::uint32_t abi_version = sluice::abi_version + 40;
#elif defined(ABI_VERSION_2)
const std::uint32_t abi_version = 2;
#else
const std::uint32_t abi_version = sluice::abi_version;
#endif

sluice::PluginLibrary mismatched() {
  sluice::PluginLibrary library{.plugins = descriptors};
#ifdef WRONG_RECORD_SIZE
  library.record_size = sizeof(sluice::FlowRecord) + 8;
#endif
  return library;
}

const sluice::PluginLibrary library = mismatched();
const sluice::PluginLibrary* describe() { return &library; }

}  // namespace

BOOST_DLL_ALIAS(abi_version, sluice_plugin_abi)
BOOST_DLL_ALIAS(describe, sluice_plugin)
