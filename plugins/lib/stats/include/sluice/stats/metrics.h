// A library's statistics as metrics. Codecs and aggregators keep plain
// running totals (they know no Host); a plugin declares once which total
// feeds which metric, and publishes: a counter grows by what its total grew
// since the last publish, a gauge takes the value. A collector's decoder keeps
// such totals per sender: SenderMetrics labels them with the sender and warns
// when its malformed counts grow.
#pragma once

#include <sluice/clock.h>
#include <sluice/host.h>
#include <sluice/metrics.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::stats {

enum class Kind : std::uint8_t { counter, gauge };

// One running total of `Stats` and the metric it feeds.
template <class Stats>
struct Field {
  std::uint64_t Stats::*total;
  std::string_view name;  // as Host::counter takes it: counters end in _total
  std::string_view help;
  Kind kind = Kind::counter;
};

// The metrics of one Stats (one sender's, or a component's own).
template <class Stats>
class Published {
 public:
  Published() = default;
  Published(Host& host, std::span<const Field<Stats>> fields, std::span<const Label> labels) : fields_(fields) {
    metrics_.reserve(fields.size());
    for (const auto& f : fields)
      metrics_.push_back(f.kind == Kind::counter ? Metric{.counter = host.counter(f.name, f.help, labels)}
                                                 : Metric{.gauge = host.gauge(f.name, f.help, labels)});
  }

  // The totals the metrics hold (all 0 before the first publish).
  const Stats& published() const { return published_; }

  void publish(const Stats& now) {
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      const auto total = fields_[i].total;
      if (fields_[i].kind == Kind::counter)
        metrics_[i].counter.add(now.*total - published_.*total);
      else  // by difference too: instances publishing to one series (a keyed transform's partitions) add up
        metrics_[i].gauge.add(static_cast<double>(now.*total) - static_cast<double>(published_.*total));
    }
    published_ = now;
  }

 private:
  struct Metric {  // the one its field's kind asks for
    Counter counter = {};
    Gauge gauge = {};
  };
  std::span<const Field<Stats>> fields_;
  std::vector<Metric> metrics_;
  Stats published_{};  // what the counters hold
};

// One sender's counts of bad input by reason (a decoder's Malformed kinds),
// kept in step with the decoder's running totals: counters labelled with the
// sender and the reason, the component's error count, and a warning such as
// "exporter 192.0.2.1 (...): 4 malformed so far (3 truncated, 1 bad version)".
template <class Reason, std::size_t N>
class MalformedMetrics {
 public:
  using Name = std::string_view (*)(Reason) noexcept;

  MalformedMetrics() = default;
  // `labels` name the sender; each counter adds {"reason", name(reason)}.
  MalformedMetrics(Host& host, std::span<const Label> labels, Name name) : name_(name) {
    std::vector<Label> with_reason(labels.begin(), labels.end());
    with_reason.push_back({"reason", {}});
    for (std::size_t k = 0; k < N; ++k) {
      with_reason.back().value = name(static_cast<Reason>(k));
      counters_[k] = host.counter("malformed_total", "Datagrams or parts not decoded, by reason", with_reason);
    }
  }

  // Adds what grew since the last call; with `warn`, logs `sender` and the
  // counts if they grew since the last warning.
  void publish(Host& host, const std::array<std::uint64_t, N>& totals, bool warn, std::string_view sender) {
    std::uint64_t total = 0, grown = 0;
    for (std::size_t k = 0; k < N; ++k) {
      counters_[k].add(totals[k] - published_[k]);
      grown += totals[k] - published_[k];
      total += totals[k];
    }
    published_ = totals;
    host.count_errors(grown);
    if (!warn || total == warned_) return;
    std::string reasons;
    for (std::size_t k = 0; k < N; ++k)
      if (totals[k])
        reasons += (reasons.empty() ? "" : ", ") + std::to_string(totals[k]) + " " +
                   std::string(name_(static_cast<Reason>(k)));
    host.log(LogLevel::warning,
             std::string(sender) + ": " + std::to_string(total) + " malformed so far (" + reasons + ")");
    warned_ = total;
  }

 private:
  Name name_ = nullptr;
  std::array<Counter, N> counters_;
  std::array<std::uint64_t, N> published_{};
  std::uint64_t warned_ = 0;
};

// Who a sender is: the labels of its metrics and how a warning names it.
struct Sender {
  std::vector<std::pair<std::string, std::string>> labels;  // {"exporter", "192.0.2.1"}, ...
  std::string description;                                  // "exporter 192.0.2.1 (version 9, domain 0)"

  std::vector<Label> metric_labels() const {
    std::vector<Label> out;
    for (const auto& [name, value] : labels) out.push_back({name, value});
    return out;
  }
};

// A decoder's per-sender statistics as metrics labelled with the sender:
// the fields' totals, `malformed` (N counts by Reason) and last_seen_seconds
// (Unix time, set when `datagrams` grew). The decoder forgets senders (idle,
// or to make room): a sender publish() no longer finds loses its metrics,
// and one whose `first_seen_ms` changed (forgotten, then heard again) is
// registered anew, its counters from 0 as after a restart. Copying the
// decoder's table costs, so publish() works at most once a second unless
// told `now`; malformed warnings come at most every ten seconds per sender.
template <class Stats, class Reason, std::size_t N>
class SenderMetrics {
 public:
  using Identify = Sender (*)(const Stats&);

  SenderMetrics(Host& host, std::span<const Field<Stats>> fields, Identify identify,
                typename MalformedMetrics<Reason, N>::Name reason_name)
      : host_(host), fields_(fields), identify_(identify), reason_name_(reason_name) {}

  // `senders()` returns the decoder's table (called only when due);
  // `forgotten(stats)` is called for each sender whose metrics were removed,
  // for the plugin to drop what else it keeps under the sender's labels.
  template <class Senders, class Forgotten>
  void publish(const Senders& senders, bool now, const Forgotten& forgotten) {
    if (!now && !due_.allow()) return;
    const bool warn = warn_.allow();
    const double now_seconds = static_cast<double>(now_ms()) / 1000;
    ++round_;
    for (const Stats& s : senders()) {
      Entry& e = entry_for(s, identify_(s), forgotten);
      if (s.datagrams != e.stats.published().datagrams) e.last_seen.set(now_seconds);
      e.stats.publish(s);
      e.malformed.publish(host_, s.malformed, warn, e.sender.description);
      e.round = round_;
    }
    std::erase_if(entries_, [&](auto& entry) {
      if (entry.second.round == round_) return false;
      remove(entry.second, forgotten);
      return true;
    });
  }

  template <class Senders>
  void publish(const Senders& senders, bool now) {
    publish(senders, now, [](const Stats&) {});
  }

 private:
  struct Entry {
    Published<Stats> stats;
    MalformedMetrics<Reason, N> malformed;
    Gauge last_seen;
    Sender sender;
    std::uint64_t first_seen_ms = 0;  // when the decoder first heard it: another value is another sender
    std::uint64_t round = 0;          // the last publish() that found the sender
  };

  template <class Forgotten>
  Entry& entry_for(const Stats& s, Sender&& sender, const Forgotten& forgotten) {
    std::string key;
    for (const auto& [name, value] : sender.labels) (key += value) += '\0';
    if (auto it = entries_.find(key); it != entries_.end()) {
      if (it->second.first_seen_ms == s.first_seen_ms) return it->second;
      remove(it->second, forgotten);
      entries_.erase(it);
    }
    const std::vector<Label> labels = sender.metric_labels();
    Entry e{.stats = {host_, fields_, labels},
            .malformed = {host_, labels, reason_name_},
            .last_seen =
                host_.gauge("last_seen_seconds", "When the sender's latest datagram was decoded, Unix time", labels),
            .sender = std::move(sender),
            .first_seen_ms = s.first_seen_ms,
            .round = 0};
    return entries_.emplace(std::move(key), std::move(e)).first->second;
  }

  template <class Forgotten>
  void remove(const Entry& e, const Forgotten& forgotten) {
    host_.remove_metrics(e.sender.metric_labels());
    forgotten(e.stats.published());
  }

  Host& host_;
  std::span<const Field<Stats>> fields_;
  Identify identify_;
  typename MalformedMetrics<Reason, N>::Name reason_name_;
  std::map<std::string, Entry> entries_;  // by the labels' values
  std::uint64_t round_ = 0;               // publish() calls that found the table due
  RateLimit due_{std::chrono::seconds(1)};
  RateLimit warn_{std::chrono::seconds(10)};
};

}  // namespace sluice::stats
