// sluice SDK: the error value that crosses the plugin boundary instead of an exception.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace sluice {

// A plugin throws this from its constructor when an option has a bad value;
// the engine turns it into "file:line:column: key: message".
class OptionError : public std::runtime_error {
 public:
  OptionError(std::string key, const std::string& message) : std::runtime_error(message), key_(std::move(key)) {}
  const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

// Success, or a failure with a message and (for option errors) the option's name.
class Status {
 public:
  static Status ok() { return Status(); }
  static Status failure(std::string message, std::string key = {}) {
    Status s;
    s.failed_ = true;
    s.message_ = std::move(message);
    s.key_ = std::move(key);
    return s;
  }

  explicit operator bool() const noexcept { return !failed_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& key() const noexcept { return key_; }

 private:
  bool failed_ = false;
  std::string message_;
  std::string key_;
};

}  // namespace sluice
