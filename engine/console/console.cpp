#include "console/console.h"

#include <sluice/clock.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

namespace sluice::engine::console {

namespace {

constexpr std::string_view busy_metric = "sluice_component_busy_seconds_total";
constexpr std::string_view kernel_drops_suffix = "_kernel_drops_total";
// A stage is saturated when busy this share of the time, or its queue this full.
constexpr double saturated_busy = 0.9;
constexpr double saturated_queue = 0.8;

std::string_view label(const MetricsRegistry::Value& v, std::string_view name) {
  for (const auto& [key, value] : v.labels)
    if (key == name) return value;
  return {};
}

// An exporter's or agent's address: the label the collectors give their
// per-sender series.
std::string_view sender_of(const MetricsRegistry::Value& v) {
  const std::string_view exporter = label(v, "exporter");
  return exporter.empty() ? label(v, "agent") : exporter;
}

bool is_secret_key(std::string_view key) {
  constexpr std::array<std::string_view, 5> words{"password", "secret", "token", "credential", "passphrase"};
  return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return key.find(w) != key.npos; });
}

// "https://user:pw@host/" -> "https://user:***@host/"
std::string mask_url_password(std::string text) {
  const auto scheme = text.find("://");
  if (scheme == std::string::npos) return text;
  const auto at = text.find('@', scheme + 3);
  const auto colon = text.find(':', scheme + 3);
  if (at == std::string::npos || colon == std::string::npos || colon > at || text.find('/', scheme + 3) < at)
    return text;
  return text.replace(colon + 1, at - colon - 1, "***");
}

void mask(toml::node& node, std::string_view key) {
  if (auto* table = node.as_table()) {
    for (auto&& [k, v] : *table) mask(v, k.str());
  } else if (auto* array = node.as_array()) {
    for (auto& element : *array) mask(element, key);
  } else if (auto* text = node.as_string()) {
    **text = is_secret_key(key) ? std::string("***") : mask_url_password(**text);
  }
}

double per_second(std::uint64_t now, std::uint64_t before, double seconds) {
  return seconds > 0 && now >= before ? static_cast<double>(now - before) / seconds : 0.0;
}

// Rates as the charts need them: a tenth is precision enough and keeps 15
// minutes of history small.
double rounded(double rate) { return std::round(rate * 10) / 10; }

}  // namespace

std::string masked_toml(const toml::table& root) {
  toml::table copy = root;
  mask(copy, {});
  std::ostringstream out;
  // Strings in double quotes, as pipeline files write them.
  out << toml::toml_formatter(copy, toml::toml_formatter::default_flags & ~toml::format_flags::allow_literal_strings);
  return out.str();
}

Console::Console(const PipelineConfig& config, const std::vector<std::unique_ptr<Node>>& nodes, const RunState& run,
                 std::function<std::string()> health)
    : nodes_(nodes),
      run_(run),
      health_(std::move(health)),
      file_(config.file),
      masked_config_(masked_toml(config.root)),
      silent_after_(config.engine.console_silent_after),
      started_(std::chrono::steady_clock::now()) {
  sample();
}

void Console::sample() {
  Sample next{.time_ms = static_cast<std::int64_t>(now_ms()), .nodes = std::vector<Counts>(nodes_.size())};
  std::map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    index.emplace(nodes_[i]->id, i);
    next.nodes[i].received = nodes_[i]->received.value();
    next.nodes[i].sent = nodes_[i]->sent.value();
  }
  std::map<SeriesKey, double> before;
  for (auto& v : values_) before.emplace(SeriesKey{std::move(v.name), std::move(v.labels)}, v.value);
  values_ = run_.metrics.snapshot();
  for (const auto& v : values_) {
    const auto node = index.find(label(v, "component_id"));
    if (node == index.end()) continue;
    if (v.name == busy_metric) next.nodes[node->second].busy_seconds += v.value;
    if (v.name.ends_with(kernel_drops_suffix))
      next.nodes[node->second].kernel_drops += static_cast<std::uint64_t>(v.value);
  }
  previous_ = std::move(before);
  previous_seconds_ = samples_.empty() ? 0 : static_cast<double>(next.time_ms - samples_.back().time_ms) / 1000;
  samples_.push_back(std::move(next));
  if (samples_.size() > history_seconds + 1) samples_.pop_front();
}

double Console::rate(const MetricsRegistry::Value& now) const {
  const auto before = previous_.find(SeriesKey{now.name, now.labels});
  if (before == previous_.end() || previous_seconds_ <= 0) return 0;
  return std::max(0.0, (now.value - before->second) / previous_seconds_);
}

std::optional<MetricsServer::Reply> Console::answer(std::string_view path) const {
  if (path == "/" || path == "/index.html") return MetricsServer::Reply{"text/html; charset=utf-8", std::string(page)};
  if (path == "/api/v1/status") return MetricsServer::Reply{"application/json", status()};
  if (path == "/api/v1/history") return MetricsServer::Reply{"application/json", history()};
  if (path == "/api/v1/config") return MetricsServer::Reply{"application/json", configuration()};
  return std::nullopt;
}

void Console::write_component(Json& json, std::size_t i) const {
  const Node& node = *nodes_[i];
  const Counts& now = samples_.back().nodes[i];
  const Counts& before = samples_.size() > 1 ? samples_[samples_.size() - 2].nodes[i] : now;
  const double seconds = previous_seconds_;
  json.begin_object()
      .field("id", node.id)
      .field("plugin", node.plugin)
      .field("kind", to_string(node.kind))
      .key("inputs")
      .begin_array();
  for (const auto& upstream : nodes_)
    if (std::find(upstream->downstream.begin(), upstream->downstream.end(), &node) != upstream->downstream.end())
      json.value(upstream->id);
  json.end_array()
      .field("received", node.received.value())
      .field("sent", node.sent.value())
      .field("dropped", node.dropped.value())
      .field("lost", node.lost_total())
      .field("errors", node.errors.value())
      .field("retries", node.retries.value())
      .field("in_per_s", rounded(per_second(now.received, before.received, seconds)))
      .field("out_per_s", rounded(per_second(now.sent, before.sent, seconds)))
      .field("kernel_drops", now.kernel_drops)
      .field("kernel_drops_per_s", rounded(per_second(now.kernel_drops, before.kernel_drops, seconds)));

  std::size_t workers = 0;
  for (const auto& v : values_)
    if (v.name == busy_metric && label(v, "component_id") == node.id) ++workers;
  const double busy = workers != 0 && seconds > 0 ? (now.busy_seconds - before.busy_seconds) / seconds / workers : -1;
  double fill = 0;
  if (node.queue) {
    const auto queued = node.queue->weight();
    fill = static_cast<double>(queued) / static_cast<double>(node.queue->capacity());
    json.field("queue", static_cast<std::uint64_t>(queued))
        .field("queue_capacity", static_cast<std::uint64_t>(node.queue->capacity()));
  }
  for (const auto& v : values_)
    if (v.name == "sluice_sink_oldest_undelivered_seconds" && label(v, "component_id") == node.id)
      json.field("oldest_undelivered_s", v.value);
  if (node.buffer) {
    const disk_buffer::Stats buffered = node.buffer->stats();
    json.field("buffer_records", buffered.records).field("buffer_bytes", buffered.bytes);
  }
  if (busy >= 0) json.field("busy", std::clamp(busy, 0.0, 1.0)).field("workers", static_cast<std::uint64_t>(workers));
  const char* saturated = busy >= saturated_busy                   ? "busy"
                          : fill >= saturated_queue                ? "queue full"
                          : now.kernel_drops > before.kernel_drops ? "kernel drops"
                                                                   : nullptr;
  if (saturated)
    json.field("saturated", saturated);
  else
    json.key("saturated").null();

  // The plugin's own series (summed over their other labels), but not the
  // per-exporter ones: those are rows of the exporters table.
  const std::string prefix = fmt::format("sluice_{}_", node.plugin);
  std::map<std::string_view, double> own;
  for (const auto& v : values_)
    if (v.name.starts_with(prefix) && label(v, "component_id") == node.id && sender_of(v).empty())
      own[std::string_view(v.name).substr(prefix.size())] += v.value;
  json.key("metrics").begin_object();
  for (const auto& [name, value] : own) json.field(name, value);
  json.end_object().end_object();
}

void Console::write_exporters(Json& json) const {
  struct Row {
    std::string_view component, plugin, address;
    std::vector<std::pair<std::string, std::string>> labels;  // the others: version, domain, sub_agent
    std::map<std::string_view, double> values, rates, malformed;
    double last_seen = 0;
  };
  std::map<std::vector<std::pair<std::string, std::string>>, Row> rows;
  for (const auto& v : values_) {
    const std::string_view address = sender_of(v), component = label(v, "component_id");
    if (address.empty() || component.empty()) continue;
    const auto node = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n->id == component; });
    if (node == nodes_.end()) continue;
    std::vector<std::pair<std::string, std::string>> key;
    for (const auto& l : v.labels)
      if (l.first != "reason") key.push_back(l);
    Row& row = rows[key];
    row.component = (*node)->id;
    row.plugin = (*node)->plugin;
    row.address = sender_of(v);
    for (const auto& l : v.labels)
      if (l.first != "reason" && l.first != "component_id" && l.first != "exporter" && l.first != "agent")
        if (std::find(row.labels.begin(), row.labels.end(), l) == row.labels.end()) row.labels.push_back(l);
    const std::string_view name = std::string_view(v.name).substr(fmt::format("sluice_{}_", row.plugin).size());
    if (const std::string_view reason = label(v, "reason"); !reason.empty()) {
      if (v.value > 0) row.malformed[reason] += v.value;
    } else if (name == "last_seen_seconds") {
      row.last_seen = v.value;
    } else {
      row.values[name] = v.value;
      if (name.ends_with("_total")) row.rates[name] = rounded(rate(v));
    }
  }
  const double now = static_cast<double>(now_ms()) / 1000;
  const double silent_after = std::chrono::duration<double>(silent_after_).count();
  json.begin_array();
  for (const auto& [key, row] : rows) {
    json.begin_object().field("component", row.component).field("plugin", row.plugin).field("address", row.address);
    json.key("labels").begin_object();
    for (const auto& [name, value] : row.labels) json.field(name, value);
    json.end_object();
    for (const auto* part : {&row.values, &row.rates, &row.malformed}) {
      json.key(part == &row.values ? "values" : part == &row.rates ? "rates" : "malformed").begin_object();
      for (const auto& [name, value] : *part) json.field(name, value);
      json.end_object();
    }
    if (row.last_seen > 0)
      json.field("last_seen", row.last_seen).field("silent", now - row.last_seen > silent_after);
    else
      json.key("last_seen").null().field("silent", false);
    json.end_object();
  }
  json.end_array();
}

std::string Console::status() const {
  Json json;
  json.begin_object()
      .field("pipeline", std::filesystem::path(file_).stem().string())
      .field("file", file_)
      .field("health", health_())
      .field("time_ms", samples_.back().time_ms)
      .field("uptime_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count())
      .field("silent_after_s", std::chrono::duration<double>(silent_after_).count());
  json.key("components").begin_array();
  for (std::size_t i = 0; i < nodes_.size(); ++i) write_component(json, i);
  json.end_array().key("exporters");
  write_exporters(json);
  json.key("tables");
  run_.tables.write(json);
  json.end_object();
  return json.text();
}

std::string Console::history() const {
  Json json;
  json.begin_object().field("interval_ms", std::int64_t{1000}).key("time_ms").begin_array();
  for (std::size_t s = 1; s < samples_.size(); ++s) json.value(samples_[s].time_ms);
  json.end_array().key("components").begin_array();
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    json.begin_object().field("id", nodes_[i]->id);
    for (const auto& [name, member] : {std::pair{"in", &Counts::received}, std::pair{"out", &Counts::sent},
                                       std::pair{"kernel_drops", &Counts::kernel_drops}}) {
      json.key(name).begin_array();
      for (std::size_t s = 1; s < samples_.size(); ++s) {
        const double seconds = static_cast<double>(samples_[s].time_ms - samples_[s - 1].time_ms) / 1000;
        json.value(rounded(per_second(samples_[s].nodes[i].*member, samples_[s - 1].nodes[i].*member, seconds)));
      }
      json.end_array();
    }
    json.end_object();
  }
  json.end_array().end_object();
  return json.text();
}

std::string Console::configuration() const {
  Json json;
  json.begin_object().field("file", file_).field("toml", masked_config_).end_object();
  return json.text();
}

}  // namespace sluice::engine::console
