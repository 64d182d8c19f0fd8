#include "sluice/net/exporter.h"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace sluice::net {
namespace {

std::vector<Target> targets_with_metrics(const std::vector<Endpoint>& endpoints, Host& host) {
  std::vector<Target> targets;
  for (const auto& e : endpoints) {
    const std::string name = to_string(e);
    const Label collector[] = {{"collector", name}};
    targets.push_back(
        {e, host.counter("datagrams_sent_total", "Datagrams sent", collector),
         host.counter("send_errors_total", "Datagrams not sent (a collector down, a full buffer)", collector)});
  }
  return targets;
}

}  // namespace

std::vector<Endpoint> exporter_targets(const Options& options) {
  std::vector<std::pair<std::string, std::string>> texts;  // key, text
  if (options.has("target")) texts.emplace_back("target", options.string("target"));
  if (options.has("targets"))
    for (const auto& t : options.strings("targets")) texts.emplace_back("targets", t);
  if (texts.empty()) throw OptionError("target", "missing: give target = \"host:port\" or targets = [...]");
  std::vector<Endpoint> targets;
  for (const auto& [key, text] : texts) {
    try {
      targets.push_back(parse_endpoint(text));
    } catch (const std::invalid_argument& e) {
      throw OptionError(key, e.what());
    }
  }
  return targets;
}

std::optional<IpAddress> exporter_source(const Options& options) {
  if (!options.has("source")) return std::nullopt;
  try {
    return parse_address(options.string("source"));
  } catch (const std::invalid_argument& e) {
    throw OptionError("source", e.what());
  }
}

UdpExporter::UdpExporter(const std::vector<Endpoint>& targets, Host& host, double max_burst,
                         std::optional<IpAddress> source)
    : host_(host),
      sender_(targets_with_metrics(targets, host), source),
      pacer_(max_burst > 0 ? std::optional<Pacer>(max_burst) : std::nullopt),
      errors_logged_(targets.size()),
      error_log_(std::chrono::seconds(10)) {}

void UdpExporter::log_errors() {
  if (!error_log_.allow()) return;
  for (std::size_t i = 0; i < sender_.targets().size(); ++i) {
    const Target& t = sender_.targets()[i];
    const auto errors = t.errors.value();
    if (errors == errors_logged_[i]) continue;
    host_.log(LogLevel::warning,
              fmt::format("{} datagrams to {} not delivered (is the collector running?); still sending",
                          errors - errors_logged_[i], to_string(t.endpoint)));
    host_.count_errors(errors - errors_logged_[i]);
    errors_logged_[i] = errors;
  }
}

std::string UdpExporter::report() const {
  std::string r;
  for (const auto& t : sender_.targets())
    if (const auto errors = t.errors.value())
      r += fmt::format("  {}: {} datagrams not delivered\n", to_string(t.endpoint), errors);
  return r;
}

}  // namespace sluice::net
