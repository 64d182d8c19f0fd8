#include "sluice/enrichment/interfaces.h"

#include <fmt/format.h>

#include <cstring>
#include <optional>
#include <stdexcept>

namespace sluice::enrichment {

namespace {

std::regex compile(const Rule& rule, std::string_view list, std::size_t position) {
  try {
    return std::regex(rule.match, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument(
        fmt::format("{}[{}].match: \"{}\" is not a regular expression: {}", list, position, rule.match, e.what()));
  }
}

}  // namespace

Classifier::Classifier(const std::vector<Rule>& boundary, const std::vector<Rule>& connectivity, TextTable& texts) {
  for (std::size_t i = 0; i < boundary.size(); ++i) {
    const std::string& v = boundary[i].value;
    if (v != "external" && v != "internal")
      throw std::invalid_argument(
          fmt::format("boundary[{}].value: \"{}\" is not a boundary; give \"external\" or \"internal\"", i, v));
    boundary_.emplace_back(compile(boundary[i], "boundary", i),
                           v == "external" ? Boundary::external : Boundary::internal);
  }
  for (std::size_t i = 0; i < connectivity.size(); ++i)
    connectivity_.emplace_back(compile(connectivity[i], "connectivity", i), texts.intern(connectivity[i].value));
}

void Classifier::classify(std::string_view description, InterfaceInfo& info) const {
  info.boundary = Boundary::undefined;
  info.connectivity = 0;
  for (const auto& [pattern, value] : boundary_)
    if (std::regex_search(description.begin(), description.end(), pattern)) {
      info.boundary = value;
      break;
    }
  for (const auto& [pattern, value] : connectivity_)
    if (std::regex_search(description.begin(), description.end(), pattern)) {
      info.connectivity = value;
      break;
    }
}

namespace {

using Clock = std::chrono::steady_clock;

// What a flow's interface gets, and where its SNMP poll stands.
struct Slot {
  InterfaceInfo info;
  bool is_static = false;  // from the pipeline: never polled
  enum class State : std::uint8_t { unasked, due, in_flight, known, unknown } state = State::unasked;
  Clock::time_point due{};      // next poll (refresh ahead of expiry, or a retry)
  Clock::time_point expires{};  // SNMP's answer forgotten then, unless refreshed
};

// Interfaces by ifIndex: a vector for the small indexes most devices use, a
// map for the rest.
class Slots {
 public:
  Slot& at(std::uint32_t index) {
    if (index < dense_limit) {
      if (index >= dense_.size()) dense_.resize(std::max<std::size_t>(index + 1, dense_.size() * 2));
      return dense_[index];
    }
    return sparse_[index];
  }
  template <class F>
  void each(F&& f) {
    for (std::uint32_t i = 0; i < dense_.size(); ++i) f(i, dense_[i]);
    for (auto& [i, slot] : sparse_) f(i, slot);
  }

 private:
  static constexpr std::uint32_t dense_limit = 1U << 16;
  std::vector<Slot> dense_;
  std::unordered_map<std::uint32_t, Slot> sparse_;
};

std::string key_of(const IpAddress& a) { return {reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size()}; }

}  // namespace

struct InterfaceDirectory::Exporter {
  IpAddress address;
  TextId name = 0;
  bool static_name = false;
  Slots slots;
  std::unique_ptr<SnmpAgent> agent;  // null: not polled
  std::string agent_address, community;
  std::vector<std::uint32_t> wanted;  // ifIndexes flows asked for, not yet polled
  unsigned failures_in_a_row = 0;
  std::optional<Clock::time_point> breaker_open_until;
};

InterfaceDirectory::InterfaceDirectory(InterfaceSettings settings, TextTable& texts)
    : settings_(std::move(settings)), texts_(texts), classifier_(settings_.boundary, settings_.connectivity, texts) {
  for (const ExporterSettings& e : settings_.exporters) {
    Exporter& exporter = make_exporter(e.address);
    if (!e.name.empty()) {
      exporter.name = texts_.intern(e.name);
      exporter.static_name = true;
    }
  }
  for (const StaticInterface& s : settings_.interfaces) {
    Exporter& exporter = this->exporter(s.exporter);
    InterfaceInfo info{.name = texts_.intern(s.name), .description = texts_.intern(s.description), .speed = s.speed};
    classifier_.classify(s.description, info);
    for (std::uint64_t i = s.first_index; i <= s.last_index; ++i) {
      Slot& slot = exporter.slots.at(static_cast<std::uint32_t>(i));
      slot.info = info;
      slot.is_static = true;
    }
  }
}

InterfaceDirectory::~InterfaceDirectory() = default;

InterfaceDirectory::Exporter& InterfaceDirectory::make_exporter(const IpAddress& address) {
  auto e = std::make_unique<Exporter>();
  e->address = address;
  e->community = settings_.community;
  for (const ExporterSettings& s : settings_.exporters)
    if (s.address == address) {
      if (!s.community.empty()) e->community = s.community;
      e->agent_address = s.agent;
    }
  if (e->agent_address.empty())
    e->agent_address = address.is_v4() ? to_string(address) + ":161" : "[" + to_string(address) + "]:161";
  Exporter& ref = *e;
  exporters_.emplace(key_of(address), std::move(e));
  return ref;
}

InterfaceDirectory::Exporter& InterfaceDirectory::exporter(const IpAddress& address) {
  if (last_ != nullptr && last_->address == address) return *last_;
  auto it = exporters_.find(key_of(address));
  last_ = it != exporters_.end() ? it->second.get() : &make_exporter(address);
  return *last_;
}

TextId InterfaceDirectory::name_of(const Exporter& exporter) const noexcept { return exporter.name; }

InterfaceInfo InterfaceDirectory::interface(Exporter& exporter, std::uint32_t index) {
  Slot& slot = exporter.slots.at(index);
  if (slot.state == Slot::State::unasked && !slot.is_static && !exporter.community.empty()) {
    slot.state = Slot::State::due;
    exporter.wanted.push_back(index);
  }
  return slot.info;
}

bool InterfaceDirectory::polls_any() const noexcept {
  if (!settings_.community.empty()) return true;
  for (const ExporterSettings& e : settings_.exporters)
    if (!e.community.empty()) return true;
  return false;
}

std::vector<IpAddress> InterfaceDirectory::open_breakers() const {
  std::vector<IpAddress> open;
  for (const auto& [key, e] : exporters_)
    if (e->breaker_open_until) open.push_back(e->address);
  return open;
}

void InterfaceDirectory::poll(Clock::time_point now) {
  for (auto& [key, e] : exporters_)
    if (!e->community.empty()) poll_exporter(*e, now);
}

void InterfaceDirectory::poll_exporter(Exporter& e, Clock::time_point now) {
  if (!e.agent) {
    try {
      e.agent = std::make_unique<SnmpAgent>(e.agent_address, e.community, settings_.timeout, 1);
    } catch (const std::runtime_error& error) {
      e.community.clear();  // not polled again; its flows keep static names
      warn(fmt::format("exporter {}: {}; it gets static names only", to_string(e.address), error.what()));
      return;
    }
  }
  e.agent->pump([&](std::uint32_t index, const SnmpAnswer& answer) { take_answer(e, index, answer, now); });

  // Known interfaces due for a refresh, negative answers due for a retry,
  // answers expired; then new interfaces, in the order flows asked.
  e.slots.each([&](std::uint32_t index, Slot& slot) {
    if ((slot.state == Slot::State::known || slot.state == Slot::State::unknown) && slot.due <= now) {
      slot.state = Slot::State::due;
      e.wanted.push_back(index);
    }
    if (slot.state != Slot::State::in_flight && !slot.is_static && slot.expires != Clock::time_point{} &&
        slot.expires <= now) {
      slot.info = {};
      slot.expires = {};
    }
  });
  if (e.breaker_open_until) {
    if (now < *e.breaker_open_until || e.agent->in_flight() > 0) return;
    // Half open: one request tries the agent again.
  }
  const std::size_t limit = e.breaker_open_until ? 1 : settings_.max_in_flight;
  while (!e.wanted.empty() && e.agent->in_flight() < limit) {
    const std::uint32_t index = e.wanted.back();
    Slot& slot = e.slots.at(index);
    ++stats_.polls;
    if (!e.agent->ask(index)) {
      ++stats_.failures;
      break;
    }
    e.wanted.pop_back();
    slot.state = Slot::State::in_flight;
  }
}

void InterfaceDirectory::take_answer(Exporter& e, std::uint32_t index, const SnmpAnswer& answer,
                                     Clock::time_point now) {
  Slot& slot = e.slots.at(index);
  if (!answer.answered) {
    ++stats_.failures;
    slot.state = Slot::State::due;
    e.wanted.push_back(index);
    if (++e.failures_in_a_row >= settings_.failures_to_open) {
      if (!e.breaker_open_until)
        warn(fmt::format("exporter {}: SNMP agent {} did not answer {} times; polls suspended for {} s",
                         to_string(e.address), e.agent_address, e.failures_in_a_row,
                         std::chrono::duration_cast<std::chrono::seconds>(settings_.backoff).count()));
      e.breaker_open_until = now + settings_.backoff;
    }
    return;
  }
  if (e.breaker_open_until) warn(fmt::format("exporter {}: SNMP agent answers again", to_string(e.address)));
  e.breaker_open_until.reset();
  e.failures_in_a_row = 0;
  if (!e.static_name && !answer.sys_name.empty()) e.name = texts_.intern(answer.sys_name);
  slot.due = now + settings_.refresh;
  if (!answer.knows_interface()) {
    ++stats_.unknown;
    slot.state = Slot::State::unknown;
    return;
  }
  slot.state = Slot::State::known;
  slot.expires = now + settings_.expiry;
  InterfaceInfo info{.name = texts_.intern(answer.if_name),
                     .description = texts_.intern(answer.if_alias),
                     .speed = answer.speed.value_or(0)};
  classifier_.classify(answer.if_alias, info);
  slot.info = info;
}

}  // namespace sluice::enrichment
