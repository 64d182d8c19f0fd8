// A writer's on_close command: a shell command run for each file the writer
// has closed and put in place, with nfcapd -x's placeholders.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "sluice/file_output/rotating_output.h"

namespace sluice::file_output {

// What a writer knows of a file it has just put in place.
struct ClosedFile {
  std::filesystem::path path;      // its final name
  std::filesystem::path folder;    // the writer's top folder: the fixed leading folder of its path
  std::uint64_t window_start_ms;   // when the file was begun, for a file not cut in windows
  std::uint64_t window_length_ms;  // 0: not cut in windows
};

// The command with its placeholders filled in as nfcapd -x fills them:
//   %d  the top folder (nfcapd's -w folder)
//   %f  the file's path below %d, so that %d/%f is the file
//   %t  the window's start as YYYYMMDDhhmm (and ss for windows under a minute)
//   %u  the window's start in seconds since the epoch
//   %i  the ident
//   %%  a percent sign
// Values go in as they are: quote them in the command if they may hold spaces.
class OnCloseCommand {
 public:
  // Throws OptionError for "on_close" naming an unknown placeholder.
  OnCloseCommand(std::string command, std::string ident, TimeZone zone);

  std::string expand(const ClosedFile& file) const;

 private:
  std::string command_;
  std::string ident_;
  TimeZone zone_;
};

}  // namespace sluice::file_output
