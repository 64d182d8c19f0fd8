#include "sluice/enrichment/file_watch.h"

#include <sys/stat.h>

namespace sluice::enrichment {

FileWatch::Identity FileWatch::identity_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
          st.st_mtim.tv_sec * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace sluice::enrichment
