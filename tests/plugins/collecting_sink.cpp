// A sink that tallies what it receives and, on finish, writes the tally to
// `output` as "records=N bytes=S batches=B rotates=R flushes=F ticks=T
// routes=N out_of_order=O finished=1". O counts records whose bytes are not
// one more than the last of the same in_if (counting_source's order) and
// batches whose id is not after the last of the same source. It splits into
// prepare (the batch's sums) and commit (the tally), so it takes `workers`.
// With tick_period > 0 it also writes the tally at every tick, and says
// "late_tick" if one ever comes after finish().
#include "marker.h"

#include <sluice/plugin.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

namespace {

constexpr sluice::OptionSpec route_fields[] = {
    {.name = "name", .type = sluice::OptionType::string, .help = "what the route is called", .required = true},
    {.name = "weight", .type = sluice::OptionType::integer, .default_value = "1", .help = "its share, >= 1"},
};

constexpr sluice::OptionSpec options[] = {
    {.name = "output", .type = sluice::OptionType::string, .default_value = "\"\"", .help = "file for the tally"},
    {.name = "delay",
     .type = sluice::OptionType::duration,
     .default_value = "\"0ms\"",
     .help = "sleep per batch (a slow disk)"},
    {.name = "marker",
     .type = sluice::OptionType::string,
     .default_value = "\"\"",
     .help = "file to append to on start"},
    {.name = "busy_marker",
     .type = sluice::OptionType::string,
     .default_value = "\"\"",
     .help = "file to append to when a batch arrives, before the delay (the sink is busy)"},
    {.name = "level",
     .type = sluice::OptionType::string,
     .default_value = "\"info\"",
     .help = "test of choices",
     .choices = "info|debug"},
    {.name = "tick_period",
     .type = sluice::OptionType::duration,
     .default_value = "\"0s\"",
     .help = "how often to be ticked; 0s: never"},
    {.name = "start_delay",
     .type = sluice::OptionType::duration,
     .default_value = "\"0s\"",
     .help = "sleep in start() (a slow device), after leaving the marker"},
    {.name = "ratio", .type = sluice::OptionType::number, .default_value = "1.0", .help = "unused: a number option"},
    {.name = "tags", .type = sluice::OptionType::string_list, .default_value = "[]", .help = "unused: a list option"},
    {.name = "weights",
     .type = sluice::OptionType::number_list,
     .default_value = "[]",
     .help = "unused: a list of numbers"},
    {.name = "routes",
     .type = sluice::OptionType::table_list,
     .default_value = "[]",
     .help = "a list of tables: [[sinks.ID.routes]], counted in the tally",
     .fields = route_fields},
};

class CollectingSink {
 public:
  CollectingSink(const sluice::Options& options, sluice::Host& host)
      : output_(options.string("output")),
        delay_(options.duration("delay")),
        marker_(options.string("marker")),
        busy_marker_(options.string("busy_marker")),
        tick_period_(options.duration("tick_period")),
        start_delay_(options.duration("start_delay")),
        host_(host) {
    if (options.number("ratio") <= 0) throw sluice::OptionError("ratio", "must be > 0");
    const auto& routes = options.tables("routes");
    for (std::size_t i = 0; i < routes.size(); ++i)
      if (routes[i].integer("weight") < 1)
        throw sluice::OptionError("routes[" + std::to_string(i) + "].weight", "must be >= 1");
    routes_ = routes.size();
  }

  void start() {
    sluice::testing::leave_marker(marker_, "collecting_sink started");
    std::this_thread::sleep_for(start_delay_);
  }

  std::chrono::milliseconds tick_period() const { return tick_period_; }

  void tick() {
    ++ticks_;
    write_tally(finished_ ? " late_tick" : "");
  }

  struct Sums {
    sluice::BatchPtr batch;
    std::uint64_t bytes = 0, rotates = 0, flushes = 0;
  };

  Sums prepare(const sluice::BatchPtr& batch) const {
    Sums sums{.batch = batch};
    for (const auto& r : batch->records) sums.bytes += r.bytes;
    for (const auto& e : batch->events) {
      sums.rotates += e.kind == sluice::Event::Kind::rotate;
      sums.flushes += e.kind == sluice::Event::Kind::flush;
    }
    return sums;
  }

  void commit(const Sums& sums) {
    ++batches_;
    records_ += sums.batch->records.size();
    bytes_ += sums.bytes;
    rotates_ += sums.rotates;
    flushes_ += sums.flushes;
    check_order(*sums.batch);
    sluice::testing::leave_marker(busy_marker_, "collecting_sink consuming");
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
  }

  void finish() {
    finished_ = true;
    host_.log(sluice::LogLevel::info, "collected " + std::to_string(records_) + " records");
    write_tally(" finished=1");
  }

  std::string report() const { return "  collected " + std::to_string(records_) + " records\n"; }

 private:
  void check_order(const sluice::Batch& batch) {
    if (batch.id.source != 0) {
      auto [last, first] = last_sequence_.try_emplace(batch.id.source, batch.id.sequence);
      out_of_order_ += !first && batch.id.sequence <= last->second;
      last->second = batch.id.sequence;
    }
    for (const auto& r : batch.records) {
      auto [last, first] = last_bytes_.try_emplace(r.in_if, r.bytes);
      out_of_order_ += !first && r.bytes != last->second + 1;
      last->second = r.bytes;
    }
  }

  void write_tally(const char* end) const {
    if (!output_.empty())
      std::ofstream(output_) << "records=" << records_ << " bytes=" << bytes_ << " batches=" << batches_
                             << " rotates=" << rotates_ << " flushes=" << flushes_ << " ticks=" << ticks_
                             << " routes=" << routes_ << " out_of_order=" << out_of_order_ << end << "\n";
  }

  const std::string output_;
  const std::chrono::milliseconds delay_;
  const std::string marker_;
  const std::string busy_marker_;
  const std::chrono::milliseconds tick_period_;
  const std::chrono::milliseconds start_delay_;
  sluice::Host& host_;
  std::uint64_t records_ = 0, bytes_ = 0, batches_ = 0, rotates_ = 0, flushes_ = 0, ticks_ = 0;
  std::uint64_t out_of_order_ = 0;
  std::map<std::uint32_t, std::uint64_t> last_bytes_;     // by in_if
  std::map<std::uint32_t, std::uint64_t> last_sequence_;  // by source
  bool finished_ = false;
  std::size_t routes_ = 0;
};

}  // namespace

SLUICE_PLUGIN(sluice::sink<CollectingSink>("collecting_sink", "test: tallies what arrives", options))
