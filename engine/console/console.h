// The console of a running pipeline: a page at / and a JSON API under
// /api/v1/ (docs/console.md) served beside /metrics. Its numbers are the
// metrics registry's; once a second the control thread adds a sample to a
// ring of 15 minutes, so a console opened late still shows the past. It
// only reads: nothing here can change the running pipeline.
#pragma once

#include "config.h"
#include "metrics_server.h"
#include "node.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::engine::console {

// The console's page: HTML, CSS and JavaScript in one (page.cpp).
extern const std::string_view page;

class Console {
 public:
  static constexpr std::size_t history_seconds = 900;

  Console(const PipelineConfig& config, const std::vector<std::unique_ptr<Node>>& nodes, const RunState& run,
          std::function<std::string()> health);

  // The next second's sample: call once a second, on the thread that answers.
  void sample();

  // GET `path`: the page, or an API answer; nullopt for a path not the console's.
  std::optional<MetricsServer::Reply> answer(std::string_view path) const;

 private:
  // One second of one node, as counted since the start.
  struct Counts {
    std::uint64_t received = 0, sent = 0, kernel_drops = 0;
    double busy_seconds = 0;
  };
  struct Sample {
    std::int64_t time_ms = 0;   // Unix time
    std::vector<Counts> nodes;  // as nodes_
  };
  // A series of the registry by name and labels, for rates between samples.
  using SeriesKey = std::pair<std::string, std::vector<std::pair<std::string, std::string>>>;

  std::string status() const;
  std::string history() const;
  std::string configuration() const;
  void write_component(Json& json, std::size_t index) const;
  void write_exporters(Json& json) const;
  double rate(const SeriesKey& key) const;  // per second between the last two samples

  const std::vector<std::unique_ptr<Node>>& nodes_;
  const RunState& run_;
  const std::function<std::string()> health_;
  const std::string file_;
  const std::string masked_config_;
  const std::chrono::milliseconds silent_after_;
  const std::chrono::steady_clock::time_point started_;
  std::deque<Sample> samples_;                  // oldest first, at most history_seconds + 1
  std::vector<MetricsRegistry::Value> values_;  // the registry at the last sample
  std::map<SeriesKey, double> previous_;        // and at the one before
  double previous_seconds_ = 0;                 // between those two
};

// The pipeline as TOML, values of keys that name secrets (password, token,
// secret, credentials) and passwords in URLs replaced by "***".
std::string masked_toml(const toml::table& root);

}  // namespace sluice::engine::console
