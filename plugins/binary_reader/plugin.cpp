// binary_reader: replays nfcapd files, one file or a folder in time order
// like nfdump -R (or several files at once: `instances = N`). A bad file is
// reported by name and offset, and reading goes on with the next one.
#include <sluice/plugin.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "sluice/nffile/reader.h"

namespace {

namespace fs = std::filesystem;

using sluice::OptionType;

constexpr sluice::OptionSpec options[] = {
    {.name = "path",
     .type = OptionType::string,
     .default_value = "\"\"",
     .help = "an nfcapd file, or a folder read recursively in name order (this or `folders`)"},
    {.name = "folders",
     .type = OptionType::string_list,
     .default_value = "[]",
     .help = "several folders instead of `path`, read one after another in name order, `first` and `last` naming "
             "files in each (nfdump -M DIR1:DIR2 -R ...)"},
    {.name = "first",
     .type = OptionType::string,
     .default_value = "\"\"",
     .help = "in a folder, the first file to read, by its name below the folder (nfdump -R DIR/FIRST:LAST); \"\": "
             "from the first"},
    {.name = "last",
     .type = OptionType::string,
     .default_value = "\"\"",
     .help = "in a folder, the last file to read, by its name below the folder; \"\": to the last"},
    {.name = "from",
     .type = OptionType::string,
     .default_value = "\"\"",
     .help = "only flows starting at or after this local time, as nfdump -t writes it: \"2026/11/18.09:45:00\" or "
             "shorter, down to \"2026\"; a file given as `path` whose statistics end before it is not read; \"\": "
             "no bound"},
    {.name = "until",
     .type = OptionType::string,
     .default_value = "\"\"",
     .help = "only flows ending at or before this local time (written as `from`); \"\": no bound"},
    {.name = "statistics_only",
     .type = OptionType::boolean,
     .default_value = "false",
     .help = "open each file for its statistics record only and pass no flows: the metrics statistics_total, "
             "statistics_first_ms, statistics_last_ms and statistics_ident sum them (nfdump -I)"},
    {.name = "rate",
     .type = OptionType::number,
     .default_value = "0",
     .help = "flows per second to replay at; 0: as fast as the pipeline takes them",
     .min = "0"},
};

// What nfdump -R skips too: files being written, and its own side files.
bool is_flow_file(const fs::path& file) {
  const std::string name = file.filename().string();
  return name.front() != '.' && !name.ends_with(".tmp") && !name.starts_with("nfcapd.current");
}

// The files of a folder from `first` to `last` (names below the folder; ""
// leaves that end open), in name order: nfcapd's names and folders carry
// the time in fixed-width fields, so name order is time order.
std::vector<fs::path> files_in(const fs::path& path, const std::string& first, const std::string& last) {
  if (!fs::is_directory(path)) return {path};
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    if (!entry.is_regular_file() || !is_flow_file(entry.path())) continue;
    const std::string name = entry.path().lexically_relative(path).string();
    if ((first.empty() || name >= first) && (last.empty() || name <= last)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The flows a reader passes on, by their first and last time (nfdump -t).
struct TimeWindow {
  std::uint64_t first_ms = 0, last_ms = UINT64_MAX;
  bool contains(const sluice::FlowRecord& f) const noexcept { return f.first_ms >= first_ms && f.last_ms <= last_ms; }
  // Whether a file of these statistics may hold flows of the window (nfdump's test, to the second).
  bool overlaps(const sluice::nffile::FileStats& s) const noexcept {
    return s.first_ms / 1000 <= last_ms / 1000 && s.last_ms / 1000 >= first_ms / 1000;
  }
};

// An option's time in milliseconds since the epoch; `otherwise` when it is "".
std::uint64_t time_option(const sluice::Options& options, const std::string& name, std::uint64_t otherwise) {
  const std::string& text = options.string(name);
  if (text.empty()) return otherwise;
  const auto seconds = sluice::nffile::parse_nfdump_time(text);
  if (!seconds || *seconds < 0)
    throw sluice::OptionError(name, "\"" + text +
                                        "\" is not a time as nfdump -t writes it (YYYY/MM/DD.hh:mm:ss, "
                                        "or shorter down to YYYY)");
  return static_cast<std::uint64_t>(*seconds) * 1000;
}

// `path`, or the `folders` in name order (nfdump sorts them so).
std::vector<fs::path> inputs_of(const sluice::Options& options) {
  const auto& folders = options.strings("folders");
  const std::string& path = options.string("path");
  if (path.empty() == folders.empty()) throw sluice::OptionError("path", "give either path or folders");
  std::vector<fs::path> inputs(folders.begin(), folders.end());
  if (!path.empty()) inputs.emplace_back(path);
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

// The statistics records of the files opened, summed as nfdump -I sums
// them: counts added, the earliest first and latest last flow, the first
// file's ident.
class StatisticsMetrics {
 public:
  explicit StatisticsMetrics(sluice::Host& host)
      : first_(host.gauge("statistics_first_ms",
                          "the earliest first flow the opened files' statistics records say (ms; 0: none said)")),
        last_(host.gauge("statistics_last_ms", "the latest last flow the opened files' statistics records say (ms)")),
        host_(host) {
    for (const auto& [field, member] : fields) counts_.push_back(counter(field));
  }

  void add(const sluice::nffile::FileStats& stats, const std::string& ident) {
    if (files_++ == 0) host_.gauge("statistics_ident", "the first opened file's ident", {{"ident", ident}}).set(1);
    for (std::size_t i = 0; i < std::size(fields); ++i) counts_[i].add(stats.*fields[i].second);
    constexpr std::uint64_t none = sluice::nffile::FileStats{}.first_ms;
    if (stats.first_ms != none && (first_.value() == 0 || static_cast<double>(stats.first_ms) < first_.value()))
      first_.set(static_cast<double>(stats.first_ms));
    if (static_cast<double>(stats.last_ms) > last_.value()) last_.set(static_cast<double>(stats.last_ms));
  }

 private:
  using Field = std::pair<std::string_view, std::uint64_t sluice::nffile::FileStats::*>;
  using S = sluice::nffile::FileStats;
  static constexpr Field fields[] = {
      {"flows", &S::flows},
      {"flows_tcp", &S::flows_tcp},
      {"flows_udp", &S::flows_udp},
      {"flows_icmp", &S::flows_icmp},
      {"flows_other", &S::flows_other},
      {"packets", &S::packets},
      {"packets_tcp", &S::packets_tcp},
      {"packets_udp", &S::packets_udp},
      {"packets_icmp", &S::packets_icmp},
      {"packets_other", &S::packets_other},
      {"bytes", &S::bytes},
      {"bytes_tcp", &S::bytes_tcp},
      {"bytes_udp", &S::bytes_udp},
      {"bytes_icmp", &S::bytes_icmp},
      {"bytes_other", &S::bytes_other},
      {"sequence_failures", &S::sequence_failures},
  };

  sluice::Counter counter(std::string_view field) {
    return host_.counter("statistics_total", "the opened files' statistics records, summed, by field (nfdump -I)",
                         {{"field", field}});
  }

  sluice::Gauge first_, last_;
  std::vector<sluice::Counter> counts_;
  std::uint64_t files_ = 0;
  sluice::Host& host_;
};

// Flows a batch: an nfcapd block holds about 8,000, whose 1.3 MB of records
// would have left the cache before the next component reads them.
constexpr std::size_t flows_per_batch = 2048;

class BinaryReader {
 public:
  BinaryReader(const sluice::Options& options, sluice::Host& host)
      : window_first_(host.gauge("files_first_ms",
                                 "the earliest first flow of the files opened, as their "
                                 "statistics say (ms since the epoch; 0: none said)")),
        window_last_(host.gauge("files_last_ms", "the latest last flow of the files opened, as their statistics say")),
        data_bytes_(host.counter("data_bytes_read_total", "data blocks' bytes read, expanded (nfdump's Bytes read)")),
        outside_window_(host.counter("outside_window_total", "flows read but not passed on: outside from/until")),
        statistics_(host),
        inputs_(inputs_of(options)),
        first_(options.string("first")),
        last_(options.string("last")),
        window_{time_option(options, "from", 0), time_option(options, "until", UINT64_MAX)},
        statistics_only_(options.boolean("statistics_only")),
        rate_(options.number("rate")),
        host_(host) {}

  void start() {
    for (const auto& input : inputs_) {
      if (!fs::exists(input)) throw std::runtime_error(input.string() + ": no such file or folder");
      const auto files = files_in(input, first_, last_);
      files_.insert(files_.end(), files.begin(), files.end());
    }
    files_ = share_of(std::move(files_));
    for (const auto& file : files_) {
      std::error_code ignored;
      total_bytes_ += fs::file_size(file, ignored);
    }
    started_ = std::chrono::steady_clock::now();
  }

  bool poll(sluice::Emitter& out) {
    if (host_.stopping()) return false;
    if (pending_.empty() && !read_next_block()) return false;
    if (rate_ > 0 && !pace()) return true;
    // Paced replays go out in pieces of a tenth of a second's worth.
    const std::size_t n =
        rate_ > 0 ? std::clamp<std::size_t>(static_cast<std::size_t>(rate_ / 10), 1, pending_.size() - next_)
                  : pending_.size() - next_;
    auto batch = sluice::make_batch(0);
    if (next_ == 0 && n == pending_.size()) {
      batch->records.swap(pending_);  // a whole block: no copy
    } else {
      batch->records.assign(pending_.begin() + static_cast<std::ptrdiff_t>(next_),
                            pending_.begin() + static_cast<std::ptrdiff_t>(next_ + n));
      next_ += n;
      if (next_ == pending_.size()) {
        pending_.clear();
        next_ = 0;
      }
    }
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
  // Fills pending_ with the next flows; false when no file has more.
  bool read_next_block() {
    while (true) {
      if (!reader_) {
        done_bytes_ += std::exchange(current_file_bytes_, 0);
        if (next_file_ == files_.size()) {
          host_.progress(1);
          return false;
        }
        const fs::path& file = files_[next_file_++];
        try {
          std::error_code ignored;
          current_file_bytes_ = fs::file_size(file, ignored);
          reader_.emplace(file);
          if (!wanted(file, reader_->stats())) {
            reader_.reset();
            continue;
          }
          ++files_read_;
          widen_window(reader_->stats());
          statistics_.add(reader_->stats(), reader_->ident());
          if (statistics_only_) {
            reader_.reset();
            continue;
          }
        } catch (const std::exception& e) {
          skip_bad_file(e);
          continue;
        }
      }
      try {
        const std::uint64_t bytes_before = reader_->data_bytes_read();
        const bool more = reader_->read(pending_, flows_per_batch);
        data_bytes_.add(reader_->data_bytes_read() - bytes_before);
        outside_window_.add(std::erase_if(pending_, [&](const auto& f) { return !window_.contains(f); }));
        if (more) {
          report_progress();
          if (!pending_.empty()) return true;
          continue;  // a block of exporter records only
        }
      } catch (const std::exception& e) {
        skip_bad_file(e);
      }
      reader_.reset();
    }
  }

  // With `instances = N`, instance k reads the files k, k + N, k + 2N ... of
  // the list: N files at once, the flows of different files interleaving.
  std::vector<fs::path> share_of(std::vector<fs::path> files) const {
    const unsigned n = host_.instances();
    if (n == 1) return files;
    std::vector<fs::path> share;
    for (std::size_t i = host_.instance(); i < files.size(); i += n) share.push_back(std::move(files[i]));
    return share;
  }

  // The share of the files' bytes read so far, blocks standing in for bytes
  // within the file under way.
  void report_progress() {
    if (total_bytes_ == 0) return;
    const double in_file =
        reader_->blocks() == 0 ? 1.0 : std::min(1.0, static_cast<double>(reader_->blocks_read()) / reader_->blocks());
    host_.progress((static_cast<double>(done_bytes_) + in_file * static_cast<double>(current_file_bytes_)) /
                   static_cast<double>(total_bytes_));
  }

  // A file named as `path` is read only when its statistics reach into the
  // window, as nfdump -r -t does (nfdump -R reads every file of a folder).
  bool wanted(const fs::path& file, const sluice::nffile::FileStats& stats) const {
    return !(inputs_.size() == 1 && file == inputs_.front()) || window_.overlaps(stats);
  }

  // The span of the files opened so far, as their statistics records say,
  // within the window.
  void widen_window(const sluice::nffile::FileStats& stats) {
    if (stats.last_ms == 0) return;
    const auto first = static_cast<double>(std::max(stats.first_ms, window_.first_ms));
    const auto last = static_cast<double>(std::min(stats.last_ms, window_.last_ms));
    if (window_first_.value() == 0 || first < window_first_.value()) window_first_.set(first);
    if (last > window_last_.value()) window_last_.set(last);
  }

  void skip_bad_file(const std::exception& e) {
    host_.log(sluice::LogLevel::error, std::string(e.what()) + "; going on with the next file");
    host_.count_errors(1);
    ++bad_files_;
    reader_.reset();
  }

  // True when the pace allows the next piece now; otherwise waits a little
  // (poll must return within ~100 ms) and returns false.
  bool pace() {
    const auto due = started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(static_cast<double>(emitted_) / rate_));
    const auto now = std::chrono::steady_clock::now();
    if (now >= due) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(due - now, std::chrono::milliseconds(100)));
    return false;
  }

  sluice::Gauge window_first_, window_last_;
  sluice::Counter data_bytes_, outside_window_;
  StatisticsMetrics statistics_;
  const std::vector<fs::path> inputs_;
  const std::string first_, last_;
  const TimeWindow window_;
  const bool statistics_only_;
  const double rate_;
  sluice::Host& host_;
  std::vector<fs::path> files_;
  std::size_t next_file_ = 0;
  std::optional<sluice::nffile::Reader> reader_;
  std::vector<sluice::FlowRecord> pending_;
  std::size_t next_ = 0;
  std::uint64_t emitted_ = 0, files_read_ = 0, bad_files_ = 0;
  std::uint64_t total_bytes_ = 0, done_bytes_ = 0, current_file_bytes_ = 0;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

SLUICE_PLUGIN(sluice::source<BinaryReader>("binary_reader", "replays nfcapd files (sluice's and nfcapd 1.7's)",
                                           options))
