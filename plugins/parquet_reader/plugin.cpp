// parquet_reader: replays Parquet files, one file or a folder's *.parquet in
// name order (a Hive-partitioned tree included). A bad file is reported by
// name and reading goes on with the next one.
#include <sluice/plugin.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "sluice/parquet/reader.h"

namespace {

namespace fs = std::filesystem;

constexpr sluice::OptionSpec options[] = {
    {.name = "path",
     .type = sluice::OptionType::string,
     .help = "a Parquet file, or a folder whose *.parquet files are read recursively in name order",
     .required = true},
};

// A writer's unfinished file ends in .tmp and hidden files are others' work.
std::vector<fs::path> files_in(const fs::path& path) {
  if (!fs::is_directory(path)) return {path};
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.front() != '.' && name.ends_with(".parquet")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Flows a batch: a row group is cut into pieces that stay in the cache.
constexpr std::size_t flows_per_batch = 2048;

class ParquetReader {
 public:
  ParquetReader(const sluice::Options& options, sluice::Host& host) : path_(options.string("path")), host_(host) {
    if (path_.empty()) throw sluice::OptionError("path", "must not be empty");
  }

  void start() {
    if (!fs::exists(path_)) throw std::runtime_error(path_.string() + ": no such file or folder");
    files_ = files_in(path_);
  }

  bool poll(sluice::Emitter& out) {
    if (host_.stopping()) return false;
    if (next_ == pending_.size() && !read_next_row_group()) return false;
    const std::size_t n = std::min(flows_per_batch, pending_.size() - next_);
    auto batch = sluice::make_batch(0);
    batch->records.assign(pending_.begin() + static_cast<std::ptrdiff_t>(next_),
                          pending_.begin() + static_cast<std::ptrdiff_t>(next_ + n));
    next_ += n;
    emitted_ += n;
    out.emit(std::move(batch));
    return true;
  }

  std::string report() const {
    return "  " + std::to_string(emitted_) + " flows read from " + std::to_string(files_read_) + " file(s)" +
           (bad_files_ != 0 ? ", " + std::to_string(bad_files_) + " unreadable (see errors above)" : std::string()) +
           "\n";
  }

 private:
  // Fills pending_ with the next row group's flows; false when no file has more.
  bool read_next_row_group() {
    pending_.clear();
    next_ = 0;
    while (true) {
      if (!reader_) {
        if (next_file_ == files_.size()) {
          host_.progress(1);
          return false;
        }
        try {
          reader_.emplace(files_[next_file_++], &host_.texts());
          ++files_read_;
        } catch (const std::exception& e) {
          skip_bad_file(e);
          continue;
        }
      }
      try {
        if (reader_->read_row_group(pending_)) {
          host_.progress(static_cast<double>(next_file_ - 1) / static_cast<double>(files_.size()));
          if (!pending_.empty()) return true;
          continue;
        }
      } catch (const std::exception& e) {
        pending_.clear();
        skip_bad_file(e);
      }
      reader_.reset();
    }
  }

  void skip_bad_file(const std::exception& e) {
    host_.log(sluice::LogLevel::error, std::string(e.what()) + "; going on with the next file");
    host_.count_errors(1);
    ++bad_files_;
    reader_.reset();
  }

  const fs::path path_;
  sluice::Host& host_;
  std::vector<fs::path> files_;
  std::size_t next_file_ = 0;
  std::optional<sluice::parquet::Reader> reader_;
  std::vector<sluice::FlowRecord> pending_;
  std::size_t next_ = 0;
  std::uint64_t emitted_ = 0, files_read_ = 0, bad_files_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<ParquetReader>("parquet_reader",
                                            "replays Parquet files (sluice's, and others with its column names)",
                                            options))
