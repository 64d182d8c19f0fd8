// libFuzzer target for reading a disk buffer left on disk: the input is one
// segment file (the seeds are segments the buffer wrote, so mutations are
// flipped bytes, cuts and splices of real entries). Opening, reading and
// acknowledging everything must never crash, and whatever is read back is
// whole: as many records as its entry said, all acknowledged in the end.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "sluice/disk_buffer/disk_buffer.h"

namespace fs = std::filesystem;

namespace {

// The buffer's folder, in memory where there is some (the buffer syncs its
// ledger on closing), removed when the fuzzer exits.
struct Scratch {
  fs::path folder = (fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path()) /
                    ("sluice-disk-buffer-fuzz-" + std::to_string(::getpid()));
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(folder, ignored);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Scratch scratch;
  const fs::path& folder = scratch.folder;
  fs::remove_all(folder);
  fs::create_directories(folder);
  std::ofstream(folder / "00000000000000000001.segment", std::ios::binary)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    sluice::disk_buffer::DiskBuffer buffer({.folder = folder});
    while (const auto entry = buffer.read())
      if (!buffer.acknowledge(entry->sequence)) __builtin_trap();
    const auto stats = buffer.stats();
    if (stats.records != 0 || stats.entries != 0 || stats.corrupt_bytes > size) __builtin_trap();
  } catch (const sluice::disk_buffer::Error&) {
    // A segment of another layout is refused: the one error allowed.
  }
  return 0;
}
