// aggregate: flows summed per key in time bins, optionally the top N keys of
// each bin (see aggregation/aggregator.h and docs/analysis.md). A bin leaves
// as records when it ends (on the engine's tick, with or without traffic)
// and at the end of the stream. It is keyed: on `workers = N` each of N
// instances keeps the keys of one partition (max_keys shared out), all see
// every flow and close their bins together, and merge() makes the bins' rows
// one aggregator would have sent.
#include "sluice/aggregation/aggregator.h"
#include "sluice/csv/field_text.h"
#include "sluice/stats/metrics.h"

#include <sluice/clock.h>
#include <sluice/plugin.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>

namespace {

using namespace sluice::aggregation;

constexpr sluice::OptionSpec options[] = {
    {.name = "key",
     .type = sluice::OptionType::string_list,
     .help = "fields flows are summed by, as CSV names them; addresses may be cut: \"src_addr/24\", "
             "\"dst_addr/24/64\" (IPv4 /24, IPv6 /64)",
     .required = true},
    {.name = "interval",
     .type = sluice::OptionType::duration,
     .default_value = "\"1m\"",
     .help = "bin length, bins aligned to the clock (1m: :00, :01 ...); \"0s\": one bin for the whole run"},
    {.name = "clock",
     .type = sluice::OptionType::string,
     .default_value = "\"processing\"",
     .help = "\"processing\": bins by the time flows pass, closed on time; \"event\": by the flows' own time "
             "(received, else last packet), for replays",
     .choices = "processing|event"},
    {.name = "top",
     .type = sluice::OptionType::integer,
     .default_value = "0",
     .help = "keep the N largest keys of each bin by `order`, largest first (nfdump -s ... -n N); 0: every key",
     .min = "0"},
    {.name = "order",
     .type = sluice::OptionType::string,
     .default_value = "\"bytes\"",
     .help = "what `top` ranks by",
     .choices = "bytes|packets|flows"},
    {.name = "either_side",
     .type = sluice::OptionType::boolean,
     .default_value = "false",
     .help = "count each flow twice: under its source side's key and under its destination side's (dst_addr for "
             "src_addr, dst_port, dst_as, out_if ...), keys named by the source fields (nfdump -s ip, port, as, if)"},
    {.name = "totals",
     .type = sluice::OptionType::boolean,
     .default_value = "false",
     .help = "end each bin's rows with one more: the bin's totals over every key (also those `top` leaves out), "
             "no key fields; what text_writer's shares are of (its `totals = \"last_row\"`)"},
    {.name = "max_keys",
     .type = sluice::OptionType::integer,
     .default_value = "1000000",
     .help = "keys a bin holds at most (about 90 bytes each for a 5-tuple), in all: on `workers = N` each "
             "worker's partition holds its share; flows of further keys are counted, not kept",
     .min = "1",
     .max = "1000000000"},
};

constexpr std::size_t rows_per_batch = 1024;
// Keys of a closed bin the console shows (its traffic table and chart).
constexpr std::size_t console_rows = 10;

// The aggregator's statistics, as metrics.
constexpr sluice::stats::Field<Stats> stats_metrics[] = {
    {&Stats::bins_closed, "bins_total", "bins closed"},
    {&Stats::overflow_flows, "overflow_flows_total", "flows not aggregated: their bin held max_keys keys"},
    {&Stats::keys, "keys", "keys in the open bin", sluice::stats::Kind::gauge},
    {&Stats::memory_bytes, "memory_bytes", "memory of the key table", sluice::stats::Kind::gauge},
};

Settings settings_from(const sluice::Options& options) {
  Settings s;
  for (const auto& part : options.strings("key")) {
    try {
      s.key.push_back(parse_key_part(part));
    } catch (const std::invalid_argument& e) {
      throw sluice::OptionError("key", e.what());
    }
  }
  if (s.key.empty()) throw sluice::OptionError("key", "needs at least one field");
  const auto interval = options.duration("interval");
  if (interval.count() != 0 && interval < std::chrono::seconds(1))
    throw sluice::OptionError("interval", "must be at least 1s, or 0s for one bin");
  s.interval_ms = static_cast<std::uint64_t>(interval.count());
  s.clock = options.string("clock") == "event" ? Clock::event : Clock::processing;
  s.top = static_cast<std::size_t>(options.integer("top"));
  s.order = *parse_order(options.string("order"));  // the engine checked the choices
  s.max_keys = static_cast<std::size_t>(options.integer("max_keys"));
  s.either_side = options.boolean("either_side");
  s.totals = options.boolean("totals");
  try {
    Aggregator check(s);  // duplicates in the key
  } catch (const std::invalid_argument& e) {
    throw sluice::OptionError("key", e.what());
  }
  return s;
}

// What the console's table of a closed bin ranks by: the `order` measure.
std::uint64_t measure(const sluice::FlowRecord& r, Order order) {
  return order == Order::packets ? r.packets : order == Order::flows ? r.flows : r.bytes;
}

// The console_rows largest keys of what closed, largest first.
class Largest {
 public:
  explicit Largest(Order order) : order_(order) {}
  void offer(const sluice::FlowRecord& row) {
    const auto at = std::find_if(rows_.begin(), rows_.end(), [&](const sluice::FlowRecord& r) {
      return measure(row, order_) > measure(r, order_);
    });
    if (at == rows_.end() && rows_.size() == console_rows) return;
    rows_.insert(at, row);
    if (rows_.size() > console_rows) rows_.pop_back();
  }
  std::span<const sluice::FlowRecord> rows() const { return rows_; }

 private:
  Order order_;
  std::vector<sluice::FlowRecord> rows_;
};

// Where the aggregator's rows go as it makes them: batches of rows_per_batch,
// sent as they fill, so a bin of a million keys is never held twice. A
// partition sends each bin's totals row alone, marked by an event after it,
// for merge(); the console's table is offered every other row.
class Outgoing final : public Rows {
 public:
  Outgoing(sluice::Emitter& out, bool partition, Largest& largest)
      : out_(out), partition_(partition), largest_(largest) {}

  void row(const Aggregate& a) override {
    if (a.totals && partition_) {
      send();
      auto totals = sluice::make_batch(1);
      totals->records.push_back(a.record);
      totals->add_event({.kind = sluice::Event::Kind::flush});
      out_.emit(std::move(totals));
      return;
    }
    if (!a.totals && !partition_) largest_.offer(a.record);
    if (!batch_) batch_ = sluice::make_batch(rows_per_batch);
    batch_->records.push_back(a.record);
    if (batch_->records.size() == rows_per_batch) send();
  }
  // Sends the rows so far (before an event, and at the end).
  void send() {
    if (batch_) out_.emit(std::move(batch_));
    batch_.reset();
  }

 private:
  sluice::Emitter& out_;
  const bool partition_;
  Largest& largest_;
  std::shared_ptr<sluice::Batch> batch_;
};

class AggregatePlugin {
 public:
  static constexpr sluice::Concurrency concurrency = sluice::Concurrency::keyed;
  // A flow's acknowledgement waits for its bin's rows to be delivered.
  static constexpr bool holds_records = true;

  AggregatePlugin(const sluice::Options& options, sluice::Host& host)
      : settings_(settings_from(options)),
        key_names_(options.strings("key")),
        order_name_(options.string("order")),
        field_writer_(sluice::csv::TimeFormat::iso, true, &host.texts()),
        aggregator_(settings_),
        host_(host),
        metrics_(host, stats_metrics, {}) {}

  void keep(sluice::Partition partition) {
    settings_.partition = partition.index;
    settings_.partitions = partition.count;
    const std::size_t total = settings_.max_keys;  // stays the total
    settings_.max_keys =
        std::max<std::size_t>(1, total / partition.count + (partition.index < total % partition.count));
    aggregator_ = Aggregator(settings_);
  }

  void process(const sluice::BatchPtr& in, sluice::Emitter& out) {
    const std::uint64_t now = host_.now_ms();
    const std::uint64_t bins_closed = aggregator_.stats().bins_closed;
    Largest largest(settings_.order);
    Outgoing rows(out, settings_.partitions > 1, largest);
    sluice::visit(
        *in, [&](std::span<const sluice::FlowRecord> records) { aggregator_.add(records, now, rows); },
        [&](const sluice::Event& event) {
          // Events pass on at once; rows of a bin they follow leave first.
          rows.send();
          auto batch = sluice::make_batch(0);
          batch->add_event(event);
          out.emit(std::move(batch));
        });
    sent(rows, largest);
    // On the processing clock this input went into the bin just opened, and
    // the earlier ones into bins now closed.
    if (settings_.clock == Clock::processing && aggregator_.stats().bins_closed != bins_closed)
      host_.inputs_passed_on();
  }

  // Bins close on the processing clock whether flows come or not.
  std::chrono::milliseconds tick_period() const {
    return settings_.clock == Clock::processing && settings_.interval_ms != 0 ? std::chrono::milliseconds(250)
                                                                              : std::chrono::milliseconds(0);
  }

  void tick(sluice::Emitter& out) {
    const std::uint64_t bins_closed = aggregator_.stats().bins_closed;
    Largest largest(settings_.order);
    Outgoing rows(out, settings_.partitions > 1, largest);
    aggregator_.tick(host_.now_ms(), rows);
    sent(rows, largest);
    if (aggregator_.stats().bins_closed != bins_closed) host_.inputs_passed_on();  // the open bin held them all
  }

  void finish(sluice::Emitter& out) {
    Largest largest(settings_.order);
    Outgoing rows(out, settings_.partitions > 1, largest);
    aggregator_.finish(rows);
    sent(rows, largest);
  }

  // The partitions' output of one step: the same events and bins from each
  // (they close bins on the same flows and ticks), passed on once, merged.
  void merge(std::span<const std::vector<sluice::BatchPtr>> parts, sluice::Emitter& out) {
    std::vector<std::size_t> next(parts.size(), 0);
    const auto misaligned = [] { return std::logic_error("the partitions closed different bins"); };
    Largest largest(settings_.order);
    while (next[0] < parts[0].size()) {
      if (parts[0][next[0]]->records.empty()) {  // an event, which every partition passed on
        out.emit(parts[0][next[0]]);
        for (std::size_t& n : next) ++n;
        continue;
      }
      std::vector<sluice::BatchPtr> rows;
      std::vector<sluice::FlowRecord> totals;
      for (std::size_t p = 0; p < parts.size(); ++p) {
        for (;; ++next[p]) {
          if (next[p] == parts[p].size() || parts[p][next[p]]->records.empty()) throw misaligned();
          const sluice::BatchPtr& batch = parts[p][next[p]];
          if (batch->events.empty()) {
            rows.push_back(batch);
            continue;
          }
          totals.push_back(batch->records.front());
          ++next[p];
          break;
        }
      }
      send_merged(rows, totals, largest, out);
    }
    for (std::size_t p = 0; p < parts.size(); ++p)
      if (next[p] != parts[p].size()) throw misaligned();
    if (!largest.rows().empty()) publish_top_keys(largest.rows());
  }

  std::string report() const {
    const Stats s = aggregator_.stats();
    std::string text = settings_.partitions > 1
                           ? fmt::format("partition {} of {}: ", settings_.partition + 1, settings_.partitions)
                           : "";
    text += fmt::format("{} bins closed, key table {:.2f} MB at most\n", s.bins_closed,
                        static_cast<double>(peak_memory_) / 1e6);
    if (s.overflow_flows)
      text += fmt::format("{} flows ({} bytes) not aggregated: their bin held max_keys = {} keys\n", s.overflow_flows,
                          s.overflow_bytes, settings_.max_keys);
    return text;
  }

 private:
  // After the rows of bins that closed: the last of them, the console's
  // table, the metrics.
  void sent(Outgoing& rows, const Largest& largest) {
    rows.send();
    if (!largest.rows().empty()) publish_top_keys(largest.rows());
    Stats s = aggregator_.stats();
    if (settings_.partition != 0) s.bins_closed = 0;  // the partitions close the same bins: one counts them
    if (s.overflow_flows > overflow_warned_ && overflow_log_.allow()) {
      host_.log(sluice::LogLevel::warning,
                fmt::format("a bin reached max_keys = {}: flows of further keys are counted, not aggregated "
                            "({} so far)",
                            settings_.max_keys, s.overflow_flows));
      overflow_warned_ = s.overflow_flows;
    }
    metrics_.publish(s);
    peak_memory_ = std::max(peak_memory_, s.memory_bytes);
  }

  // One bin of every partition's: their rows as they are (in partition
  // order), or the top ones across them; then the bin's totals if asked.
  void send_merged(const std::vector<sluice::BatchPtr>& rows, std::span<const sluice::FlowRecord> totals,
                   Largest& largest, sluice::Emitter& out) {
    Outgoing merged(out, false, largest);
    if (settings_.top != 0) {
      std::vector<std::span<const sluice::FlowRecord>> spans(rows.size());
      std::transform(rows.begin(), rows.end(), spans.begin(),
                     [](const auto& batch) { return std::span(batch->records); });
      aggregator_.merge_top(spans, merged);
    } else {
      for (const auto& batch : rows) {
        for (const auto& record : batch->records) largest.offer(record);
        out.emit(batch);  // shared, not copied
      }
    }
    if (settings_.totals) merged.row(aggregator_.merged_totals(totals));
    merged.send();
  }

  // The largest keys of what just closed, as a table on the console: the key
  // fields, then flows, packets and bytes with the `order` one last (the
  // column the console charts).
  void publish_top_keys(std::span<const sluice::FlowRecord> largest) {
    using Value = std::pair<std::string_view, std::uint64_t (*)(const sluice::FlowRecord&)>;
    std::array<Value, 3> values{{{"flows", [](const sluice::FlowRecord& r) { return r.flows; }},
                                 {"packets", [](const sluice::FlowRecord& r) { return r.packets; }},
                                 {"bytes", [](const sluice::FlowRecord& r) { return r.bytes; }}}};
    std::stable_partition(values.begin(), values.end(), [&](const Value& v) { return v.first != order_name_; });
    std::vector<std::string> texts;
    for (const sluice::FlowRecord& r : largest) {
      for (const KeyPart& part : settings_.key) {
        std::string text(field_writer_.room(part.field, r), '\0');
        text.resize(static_cast<std::size_t>(field_writer_.put(text.data(), part.field, r) - text.data()));
        texts.push_back(std::move(text));
      }
      for (const Value& value : values) texts.push_back(std::to_string(value.second(r)));
    }
    std::vector<std::string_view> columns(key_names_.begin(), key_names_.end());
    for (const Value& value : values) columns.push_back(value.first);
    const std::vector<std::string_view> cells(texts.begin(), texts.end());
    host_.publish_table("top keys", columns, key_names_.size(), cells);
  }

  Settings settings_;
  const std::vector<std::string> key_names_;  // as the `key` option gave them
  const std::string order_name_;
  sluice::csv::FieldWriter field_writer_;  // the console's text of a key
  Aggregator aggregator_;
  sluice::Host& host_;
  sluice::stats::Published<Stats> metrics_;
  std::uint64_t overflow_warned_ = 0;  // overflowed flows when last logged
  std::size_t peak_memory_ = 0;
  sluice::RateLimit overflow_log_{std::chrono::seconds(60)};
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<AggregatePlugin>("aggregate",
                                                 "sums flows per key in time bins, optionally the top N keys of each",
                                                 options))
