#include "sluice/file_output/on_close.h"

#include "sluice/options.h"

namespace sluice::file_output {

namespace {
constexpr std::string_view placeholders = "dftui%";
}

OnCloseCommand::OnCloseCommand(std::string command, std::string ident, TimeZone zone)
    : command_(std::move(command)), ident_(std::move(ident)), zone_(zone) {
  for (std::size_t at = command_.find('%'); at != std::string::npos; at = command_.find('%', at + 2)) {
    if (at + 1 == command_.size() || placeholders.find(command_[at + 1]) == std::string_view::npos) {
      const std::string found = at + 1 == command_.size() ? "a lone %" : "%" + command_.substr(at + 1, 1);
      throw OptionError("on_close",
                        found +
                            " is not a placeholder: %d (top folder), %f (file below it), %t (YYYYMMDDhhmm), "
                            "%u (epoch seconds), %i (ident), %% (a percent sign)");
    }
  }
}

std::string OnCloseCommand::expand(const ClosedFile& file) const {
  std::string out;
  out.reserve(command_.size() + 2 * file.path.native().size());
  for (std::size_t i = 0; i < command_.size(); ++i) {
    if (command_[i] != '%') {
      out += command_[i];
      continue;
    }
    switch (command_[++i]) {  // the constructor checked that a placeholder follows
      case 'd': out += file.folder.string(); break;
      case 'f': out += file.path.lexically_relative(file.folder).string(); break;
      case 't': {
        const bool seconds = file.window_length_ms != 0 && file.window_length_ms < 60'000;
        out += file_output::expand(seconds ? "%Y%m%d%H%M%S" : "%Y%m%d%H%M", file.window_start_ms, zone_).string();
      } break;
      case 'u': out += std::to_string(file.window_start_ms / 1000); break;
      case 'i': out += ident_; break;
      case '%': out += '%'; break;
    }
  }
  return out;
}

}  // namespace sluice::file_output
