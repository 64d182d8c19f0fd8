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

// A sink throws this when a failure may pass by itself (connection refused,
// a timeout, a server's 5xx): the engine calls again later, with backoff, and
// the pipeline goes on. From consume(), it means the sink took none of the
// batch: the same batch comes again. Any other exception is permanent and
// fails the pipeline.
class TransientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Success, or a failure with a message and (for option errors) the option's
// name; a transient failure may succeed when tried again.
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
  static Status transient_failure(std::string message) {
    Status s = failure(std::move(message));
    s.transient_ = true;
    return s;
  }

  explicit operator bool() const noexcept { return !failed_; }
  bool transient() const noexcept { return transient_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& key() const noexcept { return key_; }

 private:
  bool failed_ = false;
  bool transient_ = false;
  std::string message_;
  std::string key_;
};

}  // namespace sluice
