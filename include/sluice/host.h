// sluice SDK: what the engine hands a plugin: logging, counters, output.
#pragma once

#include <sluice/batch.h>

#include <cstdint>
#include <string_view>

namespace sluice {

enum class LogLevel : std::uint8_t { debug, info, warning, error };

// The engine's services for one component. Messages are prefixed with the
// component's id by the engine, so a plugin need not name itself.
class Host {
 public:
  virtual void log(LogLevel level, std::string_view message) = 0;
  // True once the pipeline is stopping: a source should return from poll().
  virtual bool stopping() const noexcept = 0;
  // Records this component discarded (beyond what in/out counts show).
  virtual void count_dropped(std::uint64_t records) noexcept = 0;
  // Bad inputs or failed operations this component survived.
  virtual void count_errors(std::uint64_t errors) noexcept = 0;

 protected:
  ~Host() = default;
};

// Where a source or transform sends its batches. emit() may block while a
// downstream queue is full: that is how back-pressure reaches a source.
class Emitter {
 public:
  virtual void emit(BatchPtr batch) = 0;

 protected:
  ~Emitter() = default;
};

}  // namespace sluice
