#include "sluice/nffile/file.h"

namespace sluice::nffile {

FileError::FileError(const std::filesystem::path& path, const std::string& what)
    : std::runtime_error(path.string() + ": " + what), path_(path) {}

FileError::FileError(const std::filesystem::path& path, std::uint64_t offset, const std::string& what)
    : std::runtime_error(path.string() + ": at byte " + std::to_string(offset) + ": " + what), path_(path) {}

}  // namespace sluice::nffile
