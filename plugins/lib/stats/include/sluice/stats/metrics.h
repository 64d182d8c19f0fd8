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

  void publish(const Stats& now) {
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      const auto total = fields_[i].total;
      if (fields_[i].kind == Kind::counter)
        metrics_[i].counter.add(now.*total - published_.*total);
      else
        metrics_[i].gauge.set(static_cast<double>(now.*total));
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
};

// A decoder's per-sender statistics (each with a `malformed` array of N
// counts by Reason) as metrics labelled with the sender, registered when the
// sender first appears. Copying the decoder's table costs, so publish() works
// at most once a second unless told `now`; malformed warnings come at most
// every ten seconds per sender.
template <class Stats, class Reason, std::size_t N>
class SenderMetrics {
 public:
  using Identify = Sender (*)(const Stats&);

  SenderMetrics(Host& host, std::span<const Field<Stats>> fields, Identify identify,
                typename MalformedMetrics<Reason, N>::Name reason_name)
      : host_(host), fields_(fields), identify_(identify), reason_name_(reason_name) {}

  // `senders()` returns the decoder's table (called only when due).
  template <class Senders>
  void publish(const Senders& senders, bool now) {
    if (!now && !due_.allow()) return;
    const bool warn = warn_.allow();
    for (const Stats& s : senders()) {
      const Sender sender = identify_(s);
      Entry& e = entry_for(sender);
      e.stats.publish(s);
      e.malformed.publish(host_, s.malformed, warn, sender.description);
    }
  }

 private:
  struct Entry {
    Published<Stats> stats;
    MalformedMetrics<Reason, N> malformed;
  };

  Entry& entry_for(const Sender& sender) {
    std::string key;
    for (const auto& [name, value] : sender.labels) (key += value) += '\0';
    if (auto it = entries_.find(key); it != entries_.end()) return it->second;
    std::vector<Label> labels;
    for (const auto& [name, value] : sender.labels) labels.push_back({name, value});
    return entries_.emplace(key, Entry{{host_, fields_, labels}, {host_, labels, reason_name_}}).first->second;
  }

  Host& host_;
  std::span<const Field<Stats>> fields_;
  Identify identify_;
  typename MalformedMetrics<Reason, N>::Name reason_name_;
  std::map<std::string, Entry> entries_;  // by the labels' values
  RateLimit due_{std::chrono::seconds(1)};
  RateLimit warn_{std::chrono::seconds(10)};
};

}  // namespace sluice::stats
