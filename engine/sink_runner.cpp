#include "sink_runner.h"

#include <sluice/clock.h>

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <thread>

namespace sluice::engine {

namespace {

using namespace std::chrono;

// 100 ms doubling to 5 s, each wait drawn from [half, all] of the step, so
// that sinks failing together do not retry together.
class Backoff {
 public:
  Clock::duration next() {
    const auto step = step_;
    step_ = std::min<Clock::duration>(step_ * 2, max_step);
    std::uniform_real_distribution<double> share(0.5, 1.0);
    return duration_cast<Clock::duration>(step * share(random_));
  }
  void reset() { step_ = first_step; }

 private:
  static constexpr Clock::duration first_step = milliseconds(100);
  static constexpr Clock::duration max_step = seconds(5);
  Clock::duration step_ = first_step;
  std::minstd_rand random_{std::random_device{}()};
};

enum class Outcome { done, failed, gave_up };

class SinkRunner {
 public:
  explicit SinkRunner(Node& node)
      : node_(node),
        // A keyed sink's ticks are steps its partitions take first (workers.cpp).
        period_(node.sink_steps ? milliseconds(0) : milliseconds(node.component->tick_period_ms())),
        committer_(node.prepared ? node.workers : 0) {}

  void run() {
    next_tick_ = Clock::now() + period_;
    Outcome outcome = Outcome::done;
    while (outcome == Outcome::done) {
      const auto deadline = period_.count() > 0 ? std::optional(next_tick_) : std::nullopt;
      if (!(node_.prepared ? commit_next(deadline, outcome) : consume_next(deadline, outcome))) break;
      if (outcome == Outcome::done && period_.count() > 0 && Clock::now() >= next_tick_) {
        outcome = attempt("tick", [&] { return node_.busy(committer_, [&] { return node_.sink().tick(); }); });
        schedule_next_tick();
      }
    }
    if (outcome == Outcome::done)
      outcome = attempt("finish", [&] { return node_.busy(committer_, [&] { return node_.sink().finish(); }); });
    if (outcome == Outcome::gave_up) give_up();
    if (outcome != Outcome::done) close_after_failure(outcome);
  }

 private:
  // A period after the last tick ended, not after it was due: a sink may
  // spend most of a period in its tick (paced exporters sleep there between
  // datagrams), and the batches that queued meanwhile must have their turn.
  void schedule_next_tick() { next_tick_ = Clock::now() + period_; }

  // One batch from the queue into consume(); false once the queue is closed and empty.
  bool consume_next(std::optional<Clock::time_point> deadline, Outcome& outcome) {
    auto popped = node_.queue->pop_until(deadline);
    if (popped.item) {
      const BatchPtr& batch = *popped.item;
      outcome = deliver(batch, popped.pushed_at, "consume", [&] { return node_.sink().consume(batch); });
    }
    return popped.item || !popped.closed;
  }

  // The next prepared batch, in order, into commit(); false once the workers are done.
  // A keyed sink's tick: its partitions' parts, then tick().
  bool commit_next(std::optional<Clock::time_point> deadline, Outcome& outcome) {
    auto popped = node_.prepared->pop_until(deadline);
    if (!popped.item) return !popped.closed;
    PreparedItem& item = *popped.item;
    const auto commit = [&] {
      const bool whole =
          item.payload || (!item.parts.empty() && std::all_of(item.parts.begin(), item.parts.end(),
                                                              [](const auto& part) { return part != nullptr; }));
      if (!whole) return Status::failure("preparing a batch failed");
      return item.payload ? node_.sink().commit(*item.payload) : node_.sink().commit_parts(item.parts);
    };
    if (item.batch)
      outcome = deliver(item.batch, popped.pushed_at, "commit", commit);
    else if ((outcome = attempt("commit", [&] { return node_.busy(committer_, commit); })) == Outcome::done)
      outcome = attempt("tick", [&] { return node_.busy(committer_, [&] { return node_.sink().tick(); }); });
    return true;
  }

  template <class Operation>
  Outcome deliver(const BatchPtr& batch, Clock::time_point queued_at, std::string_view what, Operation&& operation) {
    node_.delivering_since = queued_at.time_since_epoch().count();
    node_.acknowledgements.issue(batch->id);
    const Outcome outcome = attempt(what, [&] { return node_.busy(committer_, operation); });
    node_.delivering_since = 0;
    const std::size_t n = batch->records.size();
    if (outcome == Outcome::done) {
      node_.sent.add(n);
      if (!node_.acknowledges_later) node_.acknowledge(batch->id);
    } else {
      count_undelivered(outcome == Outcome::gave_up ? LossReason::drain_timeout : LossReason::sink_failed, n);
    }
    return outcome;
  }

  // Calls `operation` until it succeeds, fails for good, or the drain runs out.
  template <class Operation>
  Outcome attempt(std::string_view what, Operation&& operation) {
    for (std::uint64_t failures = 0;; ++failures) {
      const Status status = operation();
      if (status) {
        if (failures > 0) node_.log(LogLevel::info, fmt::format("{} succeeded after {} retries", what, failures));
        backoff_.reset();
        return Outcome::done;
      }
      if (!status.transient()) {
        node_.fail(status);
        return Outcome::failed;
      }
      node_.retries.add();
      const Clock::duration wait = backoff_.next();
      if (retry_log_.allow())
        node_.log(LogLevel::warning, fmt::format("{} failed, will retry (transient; {} so far): {}", what, failures + 1,
                                                 status.message()));
      if (!sleep_unless_drained(wait)) return Outcome::gave_up;
    }
  }

  // Waits, but not past the drain deadline (which may be set meanwhile);
  // false when the deadline has come.
  bool sleep_unless_drained(Clock::duration wait) {
    const auto until = Clock::now() + wait;
    while (true) {
      const auto now = Clock::now();
      if (now >= node_.run.drain_deadline()) return false;
      if (now >= until) return true;
      std::this_thread::sleep_for(std::min<Clock::duration>({until - now, milliseconds(100)}));
    }
  }

  // drain_timeout has run out: what is queued and what the plugin holds are lost.
  void give_up() {
    node_.log(LogLevel::error,
              fmt::format("drain_timeout ({} ms) ran out with records undelivered; {}", node_.run.drain_timeout.count(),
                          node_.buffer ? "the disk buffer keeps them for the next run" : "counting them as lost"));
    node_.closed_because = LossReason::drain_timeout;
    abandon_queued(LossReason::drain_timeout);
    count_undelivered(LossReason::drain_timeout, node_.sink().abandon());
  }

  // Records the sink will not deliver in this run: lost, unless a disk
  // buffer keeps them (unacknowledged) for the next.
  void count_undelivered(LossReason reason, std::uint64_t records) {
    if (!node_.buffer) node_.count_lost(reason, records);
  }

  // What is queued, and with workers what is prepared, is lost.
  void abandon_queued(LossReason reason) {
    for (const BatchPtr& batch : node_.queue->abandon()) count_undelivered(reason, batch->records.size());
    if (node_.prepared)
      for (const PreparedItem& item : node_.prepared->abandon())
        if (item.batch) count_undelivered(reason, item.batch->records.size());  // none: a keyed sink's tick
  }

  // A failed or abandoned sink still closes what it has written (once, no retry).
  void close_after_failure(Outcome outcome) {
    if (outcome == Outcome::failed) {
      node_.closed_because = LossReason::sink_failed;
      abandon_queued(LossReason::sink_failed);
    }
    if (Status s = node_.sink().finish(); !s) {
      if (outcome == Outcome::failed || !s.transient())
        node_.fail(s);
      else
        node_.log(LogLevel::warning, fmt::format("finish after giving up: {}", s.message()));
    }
  }

  Node& node_;
  const Clock::duration period_;
  const unsigned committer_;  // the busy-time slot of this thread: after the prepare workers' when there are some
  Clock::time_point next_tick_{};
  Backoff backoff_;
  RateLimit retry_log_{seconds(10)};
};

}  // namespace

void run_sink(Node& node) { SinkRunner(node).run(); }

}  // namespace sluice::engine
