#include "sluice/file_output/writer_options.h"

namespace sluice::file_output {

RotationOptions read_writer_options(const Options& options) {
  RotationOptions rotation;
  rotation.path = options.string("path");
  if (rotation.path.empty()) throw OptionError("path", "must not be empty");
  rotation.zone = options.string("timezone") == "local" ? TimeZone::local : TimeZone::utc;
  rotation.retention.keep_files = static_cast<std::size_t>(options.integer("keep_files"));
  rotation.retention.keep_for = options.duration("keep_for");
  return rotation;
}

std::optional<OnCloseCommand> read_on_close(const Options& options, TimeZone zone) {
  const std::string& command = options.string("on_close");
  if (command.empty()) return std::nullopt;
  return OnCloseCommand(command, options.has("ident") ? options.string("ident") : std::string(), zone);
}

}  // namespace sluice::file_output
