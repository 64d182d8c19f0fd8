// What a run tells its user: the periodic stats line, the progress line and
// the end-of-run summary, all read from the metrics the nodes count into.
#include "pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

namespace sluice::engine {

namespace {

std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string per_second(std::uint64_t n, double seconds) {
  return grouped(seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(n) / seconds) : 0);
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The independent paths of a graph (its weakly connected parts), each as
// the indices of its nodes. A generator feeding an exporter and a collector
// feeding a CSV writer are two paths even when the UDP between them makes
// the same flows.
std::vector<std::vector<std::size_t>> paths_of(const std::vector<std::unique_ptr<Node>>& nodes) {
  std::vector<std::size_t> parent(nodes.size());
  std::iota(parent.begin(), parent.end(), 0);
  const auto root = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (const Node* next : nodes[i]->downstream)
      for (std::size_t j = 0; j < nodes.size(); ++j)
        if (nodes[j].get() == next) parent[root(i)] = root(j);
  std::map<std::size_t, std::vector<std::size_t>> by_root;
  for (std::size_t i = 0; i < nodes.size(); ++i) by_root[root(i)].push_back(i);
  std::vector<std::vector<std::size_t>> paths;
  paths.reserve(by_root.size());
  for (auto& [r, members] : by_root) paths.push_back(std::move(members));
  return paths;
}

// A JSON string: quotes, backslashes and control characters escaped.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\')
      (out += '\\') += c;
    else if (c == '\n')
      out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    else
      out += c;
  }
  return out + '"';
}

// The ids of a path's sources or sinks, as the table's last lines name them
// (a source of several instances once, by its configured id).
std::vector<std::string> path_ends(const std::vector<std::unique_ptr<Node>>& nodes,
                                   const std::vector<std::size_t>& path, PluginKind kind) {
  std::vector<std::string> ids;
  for (std::size_t i : path) {
    const Node& node = *nodes[i];
    if (node.kind == kind && !(node.instance_count > 1 && node.instance_index > 0)) ids.push_back(node.config_id);
  }
  return ids;
}

// Records the sources of a path sent, every instance counted.
std::uint64_t path_records(const std::vector<std::unique_ptr<Node>>& nodes, const std::vector<std::size_t>& path) {
  std::uint64_t records = 0;
  for (std::size_t i : path)
    if (nodes[i]->kind == PluginKind::source) records += nodes[i]->sent.value();
  return records;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// What the plugin reports, and the disk buffer's line; each line ends in a newline.
// A keyed transform's partitions each report on their share of the keys.
std::string report_of(const Node& node) {
  std::string report;
  const std::size_t reporting =
      node.keyed ? node.instances_by_worker.size() : std::min<std::size_t>(1, node.instances_by_worker.size());
  for (std::size_t i = 0; i < reporting; ++i) {
    report += node.instances_by_worker[i]->report();
    if (!report.empty() && report.back() != '\n') report += '\n';
  }
  if (node.buffer) report += "  " + node.buffer->report() + "\n";
  return report;
}

}  // namespace

std::string Pipeline::summary_json() const {
  std::string out = fmt::format(R"({{"wall_time_s":{:.3f},"failed":{},"components":[)",
                                std::chrono::duration<double>(wall_time_).count(), run_.failed ? "true" : "false");
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    const Node& node = *nodes_[n];
    std::string lost_by_reason;
    for (std::size_t r = 0; r < loss_reasons; ++r)
      lost_by_reason += fmt::format("{}{}:{}", r ? "," : "", json_string(to_string(static_cast<LossReason>(r))),
                                    node.lost[r].value());
    fmt::format_to(std::back_inserter(out),
                   R"({}{{"id":{},"plugin":{},"kind":"{}","records_in":{},"records_out":{},"dropped":{},"lost":{},)"
                   R"("lost_by_reason":{{{}}},"errors":{},"retries":{},"report":{}}})",
                   n ? "," : "", json_string(node.id), json_string(node.plugin), to_string(node.kind),
                   node.received.value(), node.sent.value(), node.dropped.value(), node.lost_total(), lost_by_reason,
                   node.errors.value(), node.retries.value(), json_string(report_of(node)));
  }
  out += R"(],"paths":[)";
  const auto paths = paths_of(nodes_);
  for (std::size_t p = 0; p < paths.size(); ++p) {
    const auto list = [](const std::vector<std::string>& ids) {
      std::string items;
      for (const auto& id : ids) items += (items.empty() ? "" : ",") + json_string(id);
      return "[" + items + "]";
    };
    fmt::format_to(std::back_inserter(out), R"({}{{"sources":{},"sinks":{},"records":{}}})", p ? "," : "",
                   list(path_ends(nodes_, paths[p], PluginKind::source)),
                   list(path_ends(nodes_, paths[p], PluginKind::sink)), path_records(nodes_, paths[p]));
  }
  return out + "]}\n";
}

std::string Pipeline::stats_line() const {
  const double seconds = seconds_since(started_at_);
  std::string line = "stats:";
  for (const auto& node : nodes_) {
    const bool is_source = node->kind == PluginKind::source;
    const std::uint64_t n = is_source ? node->sent.value() : node->received.value();
    fmt::format_to(std::back_inserter(line), " {} {} {} ({}/s)", node->id, is_source ? "out" : "in", grouped(n),
                   per_second(n, seconds));
    if (const auto d = node->dropped.value()) fmt::format_to(std::back_inserter(line), " dropped {}", grouped(d));
    if (const auto l = node->lost_total()) fmt::format_to(std::back_inserter(line), " lost {}", grouped(l));
    if (const auto e = node->errors.value()) fmt::format_to(std::back_inserter(line), " errors {}", grouped(e));
    if (node->queue)
      if (const auto q = node->queue->weight()) fmt::format_to(std::back_inserter(line), " queued {}", grouped(q));
    line += ';';
  }
  line.pop_back();
  return line;
}

std::string Pipeline::progress_line() const {
  std::uint64_t records = 0;
  double fraction = 2;  // the least advanced source's; > 1: none reports
  for (const auto& node : nodes_) {
    if (node->kind != PluginKind::source) continue;
    records += node->sent.value();
    if (const double f = node->progress_fraction.load(); f >= 0) fraction = std::min(fraction, f);
  }
  if (fraction > 1) return {};
  const double seconds = seconds_since(started_at_);
  std::string line =
      fmt::format("{} records, {}/s, {:.0f}%", grouped(records), per_second(records, seconds), fraction * 100);
  if (fraction > 0.001 && fraction < 1) {
    const auto eta = static_cast<std::uint64_t>(seconds * (1 - fraction) / fraction);
    line += fmt::format(", ETA {}:{:02}:{:02}", eta / 3600, eta / 60 % 60, eta % 60);
  }
  return line;
}

std::string Pipeline::summary() const {
  std::size_t id_width = 9, plugin_width = 6;
  for (const auto& node : nodes_) {
    id_width = std::max(id_width, node->id.size());
    plugin_width = std::max(plugin_width, node->plugin.size());
  }
  const auto row = [&](std::string& out, std::string_view id, std::string_view plugin, std::string_view kind,
                       std::string_view in, std::string_view sent, std::string_view dropped, std::string_view lost,
                       std::string_view errors) {
    fmt::format_to(std::back_inserter(out), "{:<{}}  {:<{}}  {:<9}  {:>14}  {:>14}  {:>12}  {:>12}  {:>8}\n", id,
                   id_width, plugin, plugin_width, kind, in, sent, dropped, lost, errors);
  };
  std::string out = "\n";
  row(out, "component", "plugin", "kind", "records in", "records out", "dropped", "lost", "errors");
  for (const auto& node : nodes_) {
    const bool is_source = node->kind == PluginKind::source;
    row(out, node->id, node->plugin, to_string(node->kind), is_source ? "-" : grouped(node->received.value()),
        grouped(node->sent.value()), grouped(node->dropped.value()), grouped(node->lost_total()),
        grouped(node->errors.value()));
  }

  const double seconds = std::chrono::duration<double>(wall_time_).count();
  fmt::format_to(std::back_inserter(out), "wall time {:.3f} s\n", seconds);
  for (const auto& path : paths_of(nodes_)) {
    const auto sources = path_ends(nodes_, path, PluginKind::source);
    const std::uint64_t records = path_records(nodes_, path);
    fmt::format_to(std::back_inserter(out), "{} -> {}: {} records from the source{}, {}/s\n", join_ids(sources),
                   join_ids(path_ends(nodes_, path, PluginKind::sink)), grouped(records), sources.size() > 1 ? "s" : "",
                   per_second(records, seconds));
  }
  for (const auto& node : nodes_)
    if (const auto n = node->retries.value())
      fmt::format_to(std::back_inserter(out), "{}: {} retries after transient failures\n", node->id, grouped(n));
  for (const auto& node : nodes_) {
    if (node->lost_total() == 0) continue;
    std::string reasons;
    for (std::size_t r = 0; r < loss_reasons; ++r)
      if (const auto n = node->lost[r].value())
        reasons +=
            fmt::format("{}{} {}", reasons.empty() ? "" : ", ", grouped(n), to_string(static_cast<LossReason>(r)));
    fmt::format_to(std::back_inserter(out), "LOST: {} records at {} ({})\n", grouped(node->lost_total()), node->id,
                   reasons);
  }

  for (const auto& node : nodes_)
    if (const std::string report = report_of(*node); !report.empty())
      fmt::format_to(std::back_inserter(out), "\n[{}]\n{}", node->id, report);
  if (run_.failed) out += "\nthe pipeline stopped because a component failed (see the error above)\n";
  return out;
}

}  // namespace sluice::engine
