#include "sluice/nfdump_text/text.h"

#include <cstdio>
#include <ctime>
#include <limits>

#include "sluice/csv/text.h"
#include "sluice/protocols.h"

namespace sluice::nfdump_text {

namespace {

// What snprintf writes, as a string.
template <class... Args>
std::string printed(const char* format, Args... args) {
  char text[128];
  const int n = std::snprintf(text, sizeof text, format, args...);
  return std::string(text, static_cast<std::size_t>(n > 0 ? n : 0));
}

}  // namespace

std::string number(std::uint64_t value, bool fixed_width, bool plain) {
  if (plain) return std::to_string(value);
  const auto f = static_cast<double>(value);
  constexpr struct {
    double unit;
    const char* fixed;
    const char* free;
  } scales[] = {{1e12, "%5.1f T", "%.1f T"}, {1e9, "%5.1f G", "%.1f G"}, {1e6, "%5.1f M", "%.1f M"}};
  for (const auto& scale : scales)
    if (f >= scale.unit) return printed(fixed_width ? scale.fixed : scale.free, f / scale.unit);
  return printed(fixed_width ? "%4.0f" : "%.0f", f);
}

namespace {

// nfdump computes a duration's fields with C casts to int, which x86 turns
// into INT_MIN when out of range (a flow ending before it starts lasts
// 2^64 ms), and with int products that wrap: the same here, defined.
int x86_int(double v) {
  return v >= -2147483648.0 && v < 2147483648.0 ? static_cast<int>(v) : std::numeric_limits<int>::min();
}
int wrapping_product(int a, int b) {
  return static_cast<int>(static_cast<std::uint32_t>(a) * static_cast<std::uint32_t>(b));
}

}  // namespace

std::string duration(double seconds) {
  const int days = x86_int(seconds / 86400);
  int sum = wrapping_product(86400, days);
  const int hours = x86_int((seconds - sum) / 3600);
  sum = static_cast<int>(static_cast<std::uint32_t>(sum) + static_cast<std::uint32_t>(wrapping_product(3600, hours)));
  const int minutes = x86_int((seconds - sum) / 60);
  const double rest = seconds - sum - wrapping_product(60, minutes);
  return days == 0 ? printed("    %02d:%02d:%06.3f", hours, minutes, rest)
                   : printed("%2dd %02d:%02d:%06.3f", days, hours, minutes, rest);
}

std::string protocol_text(std::uint8_t proto, bool plain) {
  const auto name = protocol_name(proto);
  return plain || name.empty() ? printed("%-5u", unsigned{proto})
                               : printed("%-5.*s", static_cast<int>(name.size()), name.data());
}

std::string local_time(std::int64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[32];
  return std::string(text, std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm));
}

std::string local_time_ms(std::uint64_t ms) {
  return local_time(static_cast<std::int64_t>(ms / 1000)) + printed(".%03u", static_cast<unsigned>(ms % 1000));
}

std::string address(const IpAddress& address, bool as_ipv6, bool long_v6) {
  char text[64];
  char* const end = as_ipv6 ? csv::text::put_address_as_ipv6(text, address) : csv::text::put_address(text, address);
  std::string s(text, static_cast<std::size_t>(end - text));
  if (!as_ipv6 || long_v6 || s.size() <= 16) return s;
  return s.substr(0, 7) + ".." + s.substr(s.size() - 7);
}

std::string summary_line(const nffile::FileStats& totals, bool plain) {
  const auto [bps, pps, bpp] = nffile::summary_rates(totals);
  return "Summary: total flows: " + std::to_string(totals.flows) +
         ", total bytes: " + number(totals.bytes, false, plain) +
         ", total packets: " + number(totals.packets, false, plain) + ", avg bps: " + number(bps, false, plain) +
         ", avg pps: " + number(pps, false, plain) + ", avg bpp: " + number(bpp, false, plain) + "\n";
}

}  // namespace sluice::nfdump_text
