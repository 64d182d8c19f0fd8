// What a plugin built against version 1 of the SDK exports: an entry point
// returning its descriptor, whose first member is the ABI version (1), then
// the sizes it was compiled with (descriptor 80 bytes, FlowRecord 160,
// Event 24). The engine must read the version, refuse it naming both
// versions, and run none of its code.
#include <boost/dll/alias.hpp>

#include <cstdint>

namespace {

struct DescriptorV1 {
  std::uint32_t abi_version = 1;
  std::uint32_t descriptor_size = 80;
  std::uint32_t record_size = 160;
  std::uint32_t event_size = 24;
  const char* name = "abi_v1";
};

const DescriptorV1 descriptor;
const DescriptorV1* describe() { return &descriptor; }

}  // namespace

BOOST_DLL_ALIAS(describe, sluice_plugin)
