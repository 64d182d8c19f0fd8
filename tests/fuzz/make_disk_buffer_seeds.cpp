// Writes the disk buffer fuzz target's seed: a segment of a few entries
// (records and a rotation event) as the buffer writes it.
//   make_disk_buffer_seeds OUT_FILE
#include <filesystem>
#include <iostream>

#include "sluice/disk_buffer/disk_buffer.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_disk_buffer_seeds OUT_FILE\n";
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path folder = out.parent_path() / "seed-buffer";
  fs::remove_all(folder);
  {
    sluice::disk_buffer::DiskBuffer buffer({.folder = folder});
    for (std::uint64_t n = 1; n <= 3; ++n) {
      sluice::Batch batch;
      batch.records.resize(n);
      batch.records[0].packets = n;
      batch.add_event({.kind = sluice::Event::Kind::rotate, .window_start_ms = n * 60'000});
      batch.id = {1, n};
      buffer.append(batch);
    }
  }
  fs::create_directories(out.parent_path());
  fs::copy_file(folder / "00000000000000000001.segment", out, fs::copy_options::overwrite_existing);
  fs::remove_all(folder);
  return 0;
}
