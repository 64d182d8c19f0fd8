#include "sluice/file_output/rotating_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <regex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sluice/file_output/file.h"

namespace sluice::file_output {
namespace fs = std::filesystem;

namespace {

// A regular expression for the names a strftime pattern can produce (and
// their NAME.1, NAME.2 ... siblings).
std::regex pattern_regex(const std::string& pattern) {
  std::string re;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '%' && i + 1 < pattern.size()) {
      const char conversion = pattern[++i];
      switch (conversion) {
        case 'Y': re += "[0-9]{4}"; break;
        case 'j': re += "[0-9]{3}"; break;
        case 'm':
        case 'd':
        case 'H':
        case 'M':
        case 'S':
        case 'W':
        case 'U':
        case 'V':
        case 'y':
        case 'C': re += "[0-9]{2}"; break;
        case 'u':
        case 'w': re += "[0-9]"; break;
        case '%': re += "%"; break;
        default: re += "[^/]+";
      }
    } else {
      if (std::strchr(".^$|()[]{}*+?\\", c) != nullptr) re += '\\';
      re += c;
    }
  }
  return std::regex(re + "(\\.[0-9]+)?");  // NAME.1 ... too: see commit()
}

std::int64_t modification_ms(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 0;
  return std::int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

void stamp(const fs::path& file, std::uint64_t time_ms) {
  const timespec times[2] = {{static_cast<time_t>(time_ms / 1000), static_cast<long>(time_ms % 1000) * 1'000'000},
                             {static_cast<time_t>(time_ms / 1000), static_cast<long>(time_ms % 1000) * 1'000'000}};
  if (::utimensat(AT_FDCWD, file.c_str(), times, 0) != 0) {
    throw FileError(file, std::string("cannot set its modification time: ") + std::strerror(errno));
  }
}

// Renames `from` to `to` unless `to` exists; false when it does.
bool rename_unless_taken(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return true;
  if (errno == EEXIST) return false;
  // A file system without RENAME_NOREPLACE (some network ones): check, then rename.
  if (errno == EINVAL && !fs::exists(to) && ::rename(from.c_str(), to.c_str()) == 0) return true;
  throw FileError(to, "cannot rename " + from.string() + " into place: " + std::strerror(errno));
}

}  // namespace

std::string nfcapd_pattern(int layout, bool with_seconds) {
  static constexpr const char* folders[] = {"",       "%Y/%m/%d/", "%Y/%m/%d/%H/", "%Y/%W/%u/",   "%Y/%W/%u/%H/",
                                            "%Y/%j/", "%Y/%j/%H/", "%Y-%m-%d/",    "%Y-%m-%d/%H/"};
  if (layout < 0 || layout > 8) throw std::invalid_argument("nfcapd layouts are 0 to 8 (as nfcapd -S)");
  return std::string(folders[layout]) + (with_seconds ? "nfcapd.%Y%m%d%H%M%S" : "nfcapd.%Y%m%d%H%M");
}

fs::path expand(const std::string& pattern, std::uint64_t time_ms, TimeZone zone) {
  const time_t t = static_cast<time_t>(time_ms / 1000);
  struct tm tm {};
  if (zone == TimeZone::local) {
    ::localtime_r(&t, &tm);
  } else {
    ::gmtime_r(&t, &tm);
  }
  std::string out(pattern.size() * 4 + 64, '\0');
  const std::size_t n = pattern.empty() ? 0 : std::strftime(out.data(), out.size(), pattern.c_str(), &tm);
  out.resize(n);
  return out;
}

RotatingOutput::RotatingOutput(RotationOptions options) : options_(std::move(options)) {
  if (options_.path.empty()) throw std::invalid_argument("the path is empty");
  if (options_.nfcapd_layout) {
    nfcapd_pattern(*options_.nfcapd_layout, false);  // validates the layout
    base_ = options_.path;
    return;
  }
  // The fixed leading folder: everything up to the last '/' before the first '%'.
  const std::string& path = options_.path;
  const auto first_conversion = path.find('%');
  const auto slash = path.rfind('/', first_conversion == std::string::npos ? path.size() : first_conversion);
  base_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// The pattern below base_: nfcapd's names carry seconds for windows under a minute.
std::string RotatingOutput::relative_pattern(std::uint64_t length_ms) const {
  if (options_.nfcapd_layout) return nfcapd_pattern(*options_.nfcapd_layout, length_ms != 0 && length_ms < 60'000);
  return fs::path(options_.path).lexically_relative(base_).string();
}

fs::path RotatingOutput::final_path_for(std::uint64_t start_ms, std::uint64_t length_ms) const {
  if (!options_.nfcapd_layout) return expand(options_.path, start_ms, options_.zone);
  return base_ / expand(relative_pattern(length_ms), start_ms, options_.zone);
}

fs::path RotatingOutput::begin(std::uint64_t start_ms, std::uint64_t length_ms) {
  start_ms_ = start_ms;
  length_ms_ = length_ms;
  final_ = final_path_for(start_ms, length_ms);
  // A pattern coarser than the windows would overwrite a closed file.
  if (length_ms_ != 0 && final_ == committed_) {
    throw FileError(final_,
                    "this window's file has the name of the previous window's: put finer time fields in the path "
                    "(e.g. %Y%m%d%H%M for windows of minutes)");
  }
  temp_ = final_;
  // A device or pipe (/dev/null, a FIFO) is written in place: renaming over
  // it would replace it.
  std::error_code ignored;
  direct_ = fs::exists(final_, ignored) && !fs::is_regular_file(final_, ignored);
  if (direct_) return temp_;
  temp_ += ".tmp";
  if (final_.has_parent_path()) {
    std::error_code error;
    fs::create_directories(final_.parent_path(), error);
    if (error) throw FileError(final_.parent_path(), "cannot create the folder: " + error.message());
  }
  return temp_;
}

fs::path RotatingOutput::commit() {
  const fs::path temp = std::exchange(temp_, {});
  if (direct_) return final_;
  if (length_ms_ == 0) {
    // One file, no windows: a rerun replaces it, as `> FILE` or nfdump -w
    // would, atomically (a reader sees the old file or the new one).
    if (::rename(temp.c_str(), final_.c_str()) != 0)
      throw FileError(final_, "cannot rename " + temp.string() + " into place: " + std::strerror(errno));
    committed_ = final_;
    return final_;
  }
  // A window's file never replaces an existing one (a restart within the
  // window, a file put there by hand): the new one takes the next free
  // NAME.1, NAME.2 ...
  fs::path name = final_;
  for (int n = 1; !rename_unless_taken(temp, name); ++n) {
    name = final_;
    name += "." + std::to_string(n);
  }
  committed_ = final_;
  final_ = name;
  if (length_ms_ != 0) stamp(final_, start_ms_);
  if (options_.retention.keep_files != 0 || options_.retention.keep_for.count() != 0) apply_retention(final_);
  return final_;
}

bool RotatingOutput::would_replace() const {
  std::error_code ignored;
  return !direct_ && length_ms_ == 0 && fs::exists(final_, ignored);
}

fs::path RotatingOutput::set_aside(const std::string& suffix) {
  const fs::path temp = std::exchange(temp_, {});
  if (direct_) return final_;
  fs::path name = final_;
  name += suffix;
  for (int n = 1; !rename_unless_taken(temp, name); ++n) {
    name = final_;
    name += suffix + "." + std::to_string(n);
  }
  return name;
}

void RotatingOutput::apply_retention(const fs::path& kept) const {
  const std::regex names = pattern_regex(relative_pattern(length_ms_));
  struct Candidate {
    fs::path path;
    std::int64_t window_ms;
  };
  std::vector<Candidate> files;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(base_, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    if (std::regex_match(it->path().lexically_relative(base_).string(), names)) {
      files.push_back({it->path(), modification_ms(it->path())});
    }
  }
  std::sort(files.begin(), files.end(),
            [](const Candidate& a, const Candidate& b) { return a.window_ms > b.window_ms; });
  const std::int64_t newest = modification_ms(kept);
  const auto& keep = options_.retention;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const bool too_many = keep.keep_files != 0 && i >= keep.keep_files;
    const bool too_old = keep.keep_for.count() != 0 && files[i].window_ms < newest - keep.keep_for.count();
    if ((!too_many && !too_old) || fs::equivalent(files[i].path, kept, error)) continue;
    fs::remove(files[i].path, error);
    // Folders the expiry emptied go too, as nfexpire leaves no empty hour folders.
    for (fs::path folder = files[i].path.parent_path(); folder != base_ && fs::is_empty(folder, error);
         folder = folder.parent_path()) {
      fs::remove(folder, error);
    }
  }
}

}  // namespace sluice::file_output
