#include "metrics_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sluice::engine {

namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

void escape_label_value(std::string_view value, std::string& out) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string render_labels(std::span<const Label> labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (const Label& label : labels) {
    if (!valid_name(label.name))
      throw std::invalid_argument(fmt::format("invalid metric label name \"{}\"", label.name));
    if (out.size() > 1) out += ',';
    out.append(label.name);
    out += "=\"";
    escape_label_value(label.value, out);
    out += '"';
  }
  out += '}';
  return out;
}

void escape_help(std::string_view help, std::string& out) {
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void append_value(double value, std::string& out) {
  if (std::isnan(value))
    out += "NaN";
  else if (std::isinf(value))
    out += value > 0 ? "+Inf" : "-Inf";
  else
    fmt::format_to(std::back_inserter(out), "{}", value);
}

}  // namespace

MetricsRegistry::Series& MetricsRegistry::series(Type type, std::string_view name, std::string_view help,
                                                 std::span<const Label> labels) {
  if (!valid_name(name)) throw std::invalid_argument(fmt::format("invalid metric name \"{}\": use [a-z0-9_]", name));
  if (type == Type::counter && !name.ends_with("_total"))
    throw std::invalid_argument(fmt::format("counter \"{}\" must end in _total", name));
  std::string rendered = render_labels(labels);
  std::lock_guard lock(mutex_);
  auto [family, created] = families_.try_emplace(std::string(name));
  if (created) {
    family->second.type = type;
    family->second.help = help;
  } else if (family->second.type != type) {
    throw std::invalid_argument(fmt::format("metric \"{}\" is already registered as another type", name));
  }
  auto& by_labels = family->second.series;
  if (auto it = by_labels.find(rendered); it != by_labels.end()) return *it->second;
  Series& cell = free_cells_.empty() ? cells_.emplace_back() : *free_cells_.back();
  if (!free_cells_.empty()) free_cells_.pop_back();
  cell.labels = rendered;
  for (const Label& label : labels) cell.label_values.emplace_back(label.name, label.value);
  by_labels.emplace(std::move(rendered), &cell);
  return cell;
}

Counter MetricsRegistry::counter(std::string_view name, std::string_view help, std::span<const Label> labels) {
  return Counter(series(Type::counter, name, help, labels).count);
}

Gauge MetricsRegistry::gauge(std::string_view name, std::string_view help, std::span<const Label> labels) {
  return Gauge(series(Type::gauge, name, help, labels).value);
}

void MetricsRegistry::computed_gauge(std::string_view name, std::string_view help, std::span<const Label> labels,
                                     std::function<double()> read) {
  computed(Type::gauge, name, help, labels, std::move(read));
}

void MetricsRegistry::computed_counter(std::string_view name, std::string_view help, std::span<const Label> labels,
                                       std::function<double()> read) {
  computed(Type::counter, name, help, labels, std::move(read));
}

void MetricsRegistry::computed(Type type, std::string_view name, std::string_view help, std::span<const Label> labels,
                               std::function<double()> read) {
  Series& cell = series(type, name, help, labels);
  std::lock_guard lock(mutex_);
  cell.read = std::move(read);
}

void MetricsRegistry::remove(std::string_view prefix, std::span<const Label> labels) {
  // The rendered labels of the series to remove begin so: each ends in a
  // closing quote, so "10.0.0.1" does not take "10.0.0.11".
  std::string first = render_labels(labels);
  if (!first.empty()) first.pop_back();  // the '}'
  std::lock_guard lock(mutex_);
  for (auto family = families_.lower_bound(prefix); family != families_.end() && family->first.starts_with(prefix);) {
    auto& series = family->second.series;
    for (auto it = series.lower_bound(first); it != series.end() && it->first.starts_with(first);) {
      Series& cell = *it->second;
      cell.count = 0;
      cell.value = 0;
      cell.read = nullptr;
      free_cells_.push_back(&cell);
      it = series.erase(it);
    }
    family = series.empty() ? families_.erase(family) : std::next(family);
  }
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    escape_help(family.help, out);
    fmt::format_to(std::back_inserter(out), "\n# TYPE {} {}\n", name,
                   family.type == Type::counter ? "counter" : "gauge");
    for (const auto& [labels, series] : family.series) {
      out += name;
      out += labels;
      out += ' ';
      if (family.type == Type::counter && !series->read)
        fmt::format_to(std::back_inserter(out), "{}", series->count.load(std::memory_order_relaxed));
      else
        append_value(value_of(family.type, *series), out);
      out += '\n';
    }
  }
  return out;
}

double MetricsRegistry::value_of(Type type, const Series& series) {
  if (type == Type::counter) return static_cast<double>(series.count.load(std::memory_order_relaxed));
  return series.read ? series.read() : series.value.load(std::memory_order_relaxed);
}

std::vector<MetricsRegistry::Value> MetricsRegistry::snapshot() const {
  std::vector<Value> values;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_)
    for (const auto& [labels, series] : family.series)
      values.push_back({name, series->label_values, value_of(family.type, *series)});
  return values;
}

}  // namespace sluice::engine
