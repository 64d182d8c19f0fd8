#include "summary.h"

#include <simdjson.h>

#include <stdexcept>

namespace sluice::testing {

const ComponentSummary& RunSummary::component(const std::string& id) const {
  for (const auto& c : components)
    if (c.id == id) return c;
  throw std::out_of_range("no component \"" + id + "\" in the summary");
}

namespace {

std::vector<std::string> strings_of(simdjson::dom::array array) {
  std::vector<std::string> out;
  for (std::string_view s : array) out.emplace_back(s);
  return out;
}

}  // namespace

std::optional<RunSummary> parse_summary(const std::string& err) {
  const auto start = err.rfind("{\"wall_time_s\":");
  if (start == std::string::npos) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(err.substr(start, err.find('\n', start) - start)).get(root)) return std::nullopt;
  try {
    RunSummary s;
    s.wall_time_s = double(root["wall_time_s"]);
    s.failed = bool(root["failed"]);
    for (simdjson::dom::object c : root["components"].get_array()) {
      ComponentSummary& out = s.components.emplace_back();
      out.id = std::string_view(c["id"]);
      out.plugin = std::string_view(c["plugin"]);
      out.kind = std::string_view(c["kind"]);
      out.records_in = std::uint64_t(c["records_in"]);
      out.records_out = std::uint64_t(c["records_out"]);
      out.dropped = std::uint64_t(c["dropped"]);
      out.lost = std::uint64_t(c["lost"]);
      out.errors = std::uint64_t(c["errors"]);
      out.retries = std::uint64_t(c["retries"]);
      out.report = std::string_view(c["report"]);
      for (auto [reason, n] : c["lost_by_reason"].get_object())
        out.lost_by_reason[std::string(reason)] = std::uint64_t(n);
    }
    for (simdjson::dom::object p : root["paths"].get_array())
      s.paths.push_back({.sources = strings_of(p["sources"]),
                         .sinks = strings_of(p["sinks"]),
                         .records = std::uint64_t(p["records"])});
    return s;
  } catch (const simdjson::simdjson_error&) {
    return std::nullopt;
  }
}

}  // namespace sluice::testing
