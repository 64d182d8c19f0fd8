#include "console/top.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

namespace sluice::engine::console {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto request_timeout = std::chrono::seconds(2);
constexpr auto refresh_every = std::chrono::seconds(1);

struct Endpoint {
  std::string host, port;
};

Endpoint endpoint_of(std::string address) {
  if (address.starts_with("http://")) address.erase(0, 7);
  if (const auto slash = address.find('/'); slash != std::string::npos) address.erase(slash);
  const auto colon = address.rfind(':');
  Endpoint e{address.substr(0, colon), colon == std::string::npos ? "80" : address.substr(colon + 1)};
  if (e.host.size() >= 2 && e.host.front() == '[' && e.host.back() == ']') e.host = e.host.substr(1, e.host.size() - 2);
  return e;
}

// The body of GET `target`, or the reason there is none.
struct Fetched {
  std::string body;
  std::string error;
};

Fetched http_get(const Endpoint& at, const std::string& target) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, at.host);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::error_code result;
  stream.expires_after(request_timeout);
  resolver.async_resolve(
      at.host, at.port, [&](beast::error_code ec, const asio::ip::tcp::resolver::results_type& found) {
        if (ec) return void(result = ec);
        stream.async_connect(found, [&](beast::error_code ec, const auto&) {
          if (ec) return void(result = ec);
          http::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
            if (ec) return void(result = ec);
            http::async_read(stream, buffer, response, [&](beast::error_code ec, std::size_t) { result = ec; });
          });
        });
      });
  io.run();
  if (result) return {{}, result.message()};
  if (response.result() != http::status::ok) return {{}, fmt::format("HTTP {}", response.result_int())};
  return {std::move(response.body()), {}};
}

// 3 significant digits and a unit: what fits a column.
std::string short_number(double n) {
  struct Unit {
    double divisor;
    const char* name;
  };
  static constexpr Unit units[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  const double a = std::fabs(n);
  for (const auto& [divisor, unit] : units)
    if (a >= divisor)
      return fmt::format("{:.{}f}{}", n / divisor, a / divisor >= 100 ? 0 : a / divisor >= 10 ? 1 : 2, unit);
  return n == std::floor(n) ? fmt::format("{}", n) : fmt::format("{:.1f}", n);
}

std::string fit(std::string_view text, std::size_t width) {
  if (text.size() <= width) return std::string(text);
  return std::string(text.substr(0, width - 1)) + "~";
}

double number(simdjson::dom::element e, std::string_view key) {
  double value = 0;
  if (e[key].get_double().get(value) != simdjson::SUCCESS) return 0;
  return value;
}

std::string text(simdjson::dom::element e, std::string_view key) {
  std::string_view value;
  if (e[key].get_string().get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

enum class SortKey { name, in, out, drops, errors };

struct SortChoice {
  char key;
  SortKey sort;
  const char* label;
};
constexpr SortChoice sort_choices[] = {{'n', SortKey::name, "name"},
                                       {'i', SortKey::in, "in/s"},
                                       {'o', SortKey::out, "out/s"},
                                       {'d', SortKey::drops, "drops"},
                                       {'e', SortKey::errors, "errors"}};

struct ComponentRow {
  std::string id, plugin, saturated;
  double in = 0, out = 0, queue = -1, drops = 0, lost = 0, errors = 0;
};

struct ExporterRow {
  std::string address, protocol;
  double datagrams = 0, flows = 0, loss = 0, malformed = 0, seen_ago = -1;
  bool silent = false;
};

// The first of the names present in the object `values`.
double first_of(simdjson::dom::element values, std::initializer_list<std::string_view> names) {
  for (const auto name : names)
    if (double v = 0; values[name].get_double().get(v) == simdjson::SUCCESS) return v;
  return 0;
}

ExporterRow exporter_row(simdjson::dom::element e, double now_s) {
  ExporterRow row;
  row.address = text(e, "address");
  row.protocol = text(e, "plugin");
  if (row.protocol.ends_with("_udp")) row.protocol.resize(row.protocol.size() - 4);
  if (const auto version = text(e["labels"], "version"); !version.empty()) row.protocol += " v" + version;
  row.datagrams = first_of(e["rates"], {"datagrams_total"});
  row.flows = first_of(e["rates"], {"records_total", "flow_samples_total"});
  row.loss = first_of(e["values"], {"lost_records_total", "lost_datagrams_total"});
  simdjson::dom::object malformed;
  if (e["malformed"].get_object().get(malformed) == simdjson::SUCCESS)
    for (const auto field : malformed) row.malformed += field.value.get_double().value_unsafe();
  if (double seen = 0; e["last_seen"].get_double().get(seen) == simdjson::SUCCESS) row.seen_ago = now_s - seen;
  bool silent = false;
  if (e["silent"].get_bool().get(silent) == simdjson::SUCCESS) row.silent = silent;
  return row;
}

std::string seen_text(double ago) {
  if (ago < 0) return "-";
  if (ago < 1) return "now";
  if (ago < 90) return fmt::format("{:.0f}s", ago);
  if (ago < 5400) return fmt::format("{:.0f}m", ago / 60);
  return fmt::format("{:.0f}h", ago / 3600);
}

// The screen for one status answer: lines of at most `width` characters.
std::vector<std::string> screen(simdjson::dom::element status, const std::string& address, SortKey sort,
                                std::size_t width) {
  std::vector<std::string> lines;
  const double uptime = number(status, "uptime_s");
  lines.push_back(fmt::format("sluice top · {} · {} · up {}h{:02}m · {}", text(status, "pipeline"),
                              text(status, "health"), static_cast<int>(uptime / 3600),
                              static_cast<int>(uptime / 60) % 60, address));
  std::string keys = "sort:";
  for (const auto& c : sort_choices)
    keys += fmt::format(" {}{}={}", c.sort == sort ? "[" : "", c.key, c.label) + (c.sort == sort ? "]" : "");
  lines.push_back(keys + "  q quits");
  lines.emplace_back();

  std::vector<ComponentRow> components;
  for (const auto c : status["components"].get_array()) {
    ComponentRow row;
    row.id = text(c, "id");
    row.plugin = text(c, "plugin");
    row.saturated = text(c, "saturated");
    row.in = number(c, "in_per_s");
    row.out = number(c, "out_per_s");
    if (const double capacity = number(c, "queue_capacity"); capacity > 0)
      row.queue = 100 * number(c, "queue") / capacity;
    row.drops = number(c, "dropped");
    row.lost = number(c, "lost");
    row.errors = number(c, "errors");
    components.push_back(std::move(row));
  }
  const auto by = [sort](const ComponentRow& a, const ComponentRow& b) {
    switch (sort) {
      case SortKey::in: return a.in > b.in;
      case SortKey::out: return a.out > b.out;
      case SortKey::drops: return a.drops + a.lost > b.drops + b.lost;
      case SortKey::errors: return a.errors > b.errors;
      case SortKey::name: break;
    }
    return a.id < b.id;
  };
  std::stable_sort(components.begin(), components.end(), by);
  lines.push_back(fmt::format("{:<16} {:<13} {:>8} {:>8} {:>6} {:>8} {:>7} {:>7}", "COMPONENT", "PLUGIN", "IN/S",
                              "OUT/S", "QUEUE", "DROPPED", "LOST", "ERRORS"));
  std::vector<std::string> saturated;
  for (const auto& c : components) {
    lines.push_back(fmt::format("{:<16} {:<13} {:>8} {:>8} {:>6} {:>8} {:>7} {:>7}", fit(c.id, 16), fit(c.plugin, 13),
                                short_number(c.in), short_number(c.out),
                                c.queue < 0 ? "-" : fmt::format("{:.0f}%", c.queue), short_number(c.drops),
                                short_number(c.lost), short_number(c.errors)));
    if (!c.saturated.empty()) saturated.push_back(c.id + " (" + c.saturated + ")");
  }
  if (!saturated.empty()) {
    std::string line = "saturated:";
    for (const auto& s : saturated) line += " " + s;
    lines.push_back(line);
  }

  const double now_s = number(status, "time_ms") / 1000;
  std::vector<ExporterRow> exporters;
  for (const auto e : status["exporters"].get_array()) exporters.push_back(exporter_row(e, now_s));
  if (!exporters.empty()) {
    std::stable_sort(exporters.begin(), exporters.end(), [sort](const ExporterRow& a, const ExporterRow& b) {
      return sort == SortKey::name ? a.address < b.address : a.flows > b.flows;
    });
    lines.emplace_back();
    lines.push_back(fmt::format("{:<28} {:<12} {:>9} {:>8} {:>7} {:>6} {:>5}", "EXPORTER", "PROTOCOL", "DGRAMS/S",
                                "FLOWS/S", "LOSS", "MALF", "SEEN"));
    for (const auto& e : exporters)
      lines.push_back(fmt::format("{:<28} {:<12} {:>9} {:>8} {:>7} {:>6} {:>5}{}", fit(e.address, 28),
                                  fit(e.protocol, 12), short_number(e.datagrams), short_number(e.flows),
                                  short_number(e.loss), short_number(e.malformed), seen_text(e.seen_ago),
                                  e.silent ? " SILENT" : ""));
  }
  for (auto& line : lines)
    if (line.size() > width) line.resize(width);
  return lines;
}

// The screen, or nullopt when `body` is not a status answer.
std::optional<std::vector<std::string>> parse_screen(simdjson::dom::parser& parser, const std::string& body,
                                                     const std::string& address, SortKey sort, std::size_t width) {
  simdjson::dom::element status;
  if (parser.parse(body).get(status) != simdjson::SUCCESS) return std::nullopt;
  try {
    return screen(status, address, sort, width);
  } catch (const simdjson::simdjson_error&) {
    return std::nullopt;  // a member missing or of another type
  }
}

// The terminal in raw mode (keys without Enter, no echo) and the alternate
// screen while it lives; as it was afterwards.
class Terminal {
 public:
  Terminal() : interactive_(isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved_) == 0) {
    if (interactive_) {
      termios raw = saved_;
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      raw.c_cc[VMIN] = 0;
      raw.c_cc[VTIME] = 0;
      tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    write_out("\x1b[?1049h\x1b[?25l");
  }
  ~Terminal() {
    write_out("\x1b[?25h\x1b[?1049l");
    if (interactive_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  std::size_t width() const {
    winsize size{};
    return ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 80;
  }

  // Redraws in place: each line over the last, the rest cleared.
  void draw(const std::vector<std::string>& lines) {
    std::string out = "\x1b[H";
    for (const auto& line : lines) out += line + "\x1b[K\r\n";
    out += "\x1b[J";
    write_out(out);
  }

  // A key pressed within `wait`, or nullopt once `wait` has passed.
  std::optional<char> key(std::chrono::milliseconds wait) {
    pollfd fd{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
    // Once the input has ended there are no more keys, only refreshes.
    if (poll(&fd, closed_ ? 0 : 1, static_cast<int>(wait.count())) <= 0) return std::nullopt;
    char c = 0;
    if (read(STDIN_FILENO, &c, 1) != 1) {
      closed_ = true;
      return std::nullopt;
    }
    return c;
  }

 private:
  static void write_out(std::string_view text) {
    while (!text.empty()) {
      const auto n = ::write(STDOUT_FILENO, text.data(), text.size());
      if (n <= 0) return;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  bool interactive_;
  termios saved_{};
  bool closed_ = false;
};

}  // namespace

int run_top(const std::string& address) {
  const Endpoint at = endpoint_of(address);
  const std::string shown = at.host + ":" + at.port;
  Terminal terminal;
  simdjson::dom::parser parser;
  SortKey sort = SortKey::name;
  while (true) {
    const auto next = std::chrono::steady_clock::now() + refresh_every;
    const Fetched fetched = http_get(at, "/api/v1/status");
    if (!fetched.error.empty())
      terminal.draw({fmt::format("sluice top · {}: {} (trying again every second; q quits)", shown, fetched.error)});
    else if (auto lines = parse_screen(parser, fetched.body, shown, sort, terminal.width()))
      terminal.draw(*lines);
    else
      terminal.draw({fmt::format("sluice top · {}: the answer is not the console's JSON", shown)});
    for (auto now = std::chrono::steady_clock::now(); now < next; now = std::chrono::steady_clock::now()) {
      const auto key = terminal.key(std::chrono::ceil<std::chrono::milliseconds>(next - now));
      if (!key) continue;
      if (*key == 'q' || *key == 'Q') return 0;
      const auto* choice = std::find_if(std::begin(sort_choices), std::end(sort_choices),
                                        [&](const SortChoice& c) { return c.key == *key; });
      if (choice != std::end(sort_choices)) {
        sort = choice->sort;
        break;  // redraw at once in the new order
      }
    }
  }
}

}  // namespace sluice::engine::console
