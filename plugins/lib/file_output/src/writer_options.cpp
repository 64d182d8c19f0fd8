#include "sluice/file_output/writer_options.h"

namespace sluice::file_output {

RotationOptions read_writer_options(const Options& options) {
  RotationOptions rotation;
  rotation.path = options.string("path");
  if (rotation.path.empty()) throw OptionError("path", "must not be empty");
  rotation.zone = options.string("timezone") == "local" ? TimeZone::local : TimeZone::utc;
  const std::int64_t keep_files = options.integer("keep_files");
  if (keep_files < 0) throw OptionError("keep_files", "must be 0 (keep all) or more");
  rotation.retention.keep_files = static_cast<std::size_t>(keep_files);
  rotation.retention.keep_for = options.duration("keep_for");
  if (rotation.retention.keep_for.count() < 0) throw OptionError("keep_for", "must not be negative");
  return rotation;
}

std::chrono::milliseconds read_flush_interval(const Options& options) {
  const auto interval = options.duration("flush_interval");
  if (interval < std::chrono::milliseconds(10)) throw OptionError("flush_interval", "must be at least 10ms");
  return interval;
}

std::optional<OnCloseCommand> read_on_close(const Options& options, TimeZone zone) {
  const std::string& command = options.string("on_close");
  if (command.empty()) return std::nullopt;
  return OnCloseCommand(command, options.has("ident") ? options.string("ident") : std::string(), zone);
}

std::size_t read_on_close_max_running(const Options& options) {
  const std::int64_t n = options.integer("on_close_max_running");
  if (n < 1) throw OptionError("on_close_max_running", "must be 1 or more");
  return static_cast<std::size_t>(n);
}

}  // namespace sluice::file_output
