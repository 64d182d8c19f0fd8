#include "sluice/enrichment/networks.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>

namespace sluice::enrichment {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::array<std::uint64_t, 2> halves(const IpAddress& a) noexcept {
  std::uint64_t high = 0, low = 0;
  std::memcpy(&high, a.bytes.data(), 8);
  std::memcpy(&low, a.bytes.data() + 8, 8);
  if constexpr (std::endian::native == std::endian::little) {
    high = __builtin_bswap64(high);
    low = __builtin_bswap64(low);
  }
  return {high, low};
}

std::uint64_t mask_of(unsigned bits) noexcept { return bits == 0 ? 0 : ~std::uint64_t{0} << (64 - bits); }

}  // namespace

std::string to_string(const IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.is_v4())
    inet_ntop(AF_INET, address.bytes.data() + 12, text, sizeof text);
  else
    inet_ntop(AF_INET6, address.bytes.data(), text, sizeof text);
  return text;
}

IpAddress parse_address(std::string_view text) {
  const std::string s(text);
  if (std::uint8_t v4[4]; inet_pton(AF_INET, s.c_str(), v4) == 1)
    return IpAddress::v4(std::uint32_t{v4[0]} << 24 | std::uint32_t{v4[1]} << 16 | std::uint32_t{v4[2]} << 8 | v4[3]);
  if (std::uint8_t v6[16]; inet_pton(AF_INET6, s.c_str(), v6) == 1) return IpAddress::v6(v6);
  throw std::invalid_argument(fmt::format("\"{}\" is not an IPv4 or IPv6 address", text));
}

Prefix Prefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  Prefix p;
  try {
    p.address = parse_address(text.substr(0, slash));
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(fmt::format("\"{}\" is not an IPv4 or IPv6 prefix", text));
  }
  const unsigned max_length = p.address.is_v4() ? 32 : 128;
  unsigned length = max_length;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc{} || end != digits.data() + digits.size() || length > max_length)
      throw std::invalid_argument(fmt::format("\"{}\": the length must be 0 to {}", text, max_length));
  }
  p.length = length + (128 - max_length);
  IpAddress network = p.address;
  for (unsigned bit = p.length; bit < 128; ++bit)
    network.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
  if (network != p.address)
    throw std::invalid_argument(
        fmt::format("\"{}\" has bits set past its length (did you mean another length?)", text));
  return p;
}

bool Prefix::contains(const IpAddress& a) const noexcept {
  const auto [h, l] = halves(a);
  const auto [ph, pl] = halves(address);
  return (h & mask_of(std::min(length, 64U))) == ph && (l & mask_of(length > 64 ? length - 64 : 0)) == pl;
}

NetworkTable::Key NetworkTable::masked(const IpAddress& address, unsigned length) noexcept {
  const auto [h, l] = halves(address);
  return {h & mask_of(std::min(length, 64U)), l & mask_of(length > 64 ? length - 64 : 0)};
}

NetworkTable::NetworkTable(const std::vector<Network>& networks) {
  std::map<unsigned, Level, std::greater<>> by_length;
  for (const Network& n : networks) {
    Level& level = by_length.try_emplace(n.prefix.length, Level{n.prefix.length, {}}).first->second;
    level.networks.insert_or_assign(masked(n.prefix.address, n.prefix.length),
                                    n.info);  // a repeated prefix: the last wins
  }
  for (auto& [length, level] : by_length) levels_.push_back(std::move(level));
}

const NetworkInfo* NetworkTable::find(const IpAddress& address) const noexcept {
  for (const Level& level : levels_)
    if (auto it = level.networks.find(masked(address, level.length)); it != level.networks.end()) return &it->second;
  return nullptr;
}

Network network_from(const std::vector<std::pair<std::string, std::string>>& attributes, TextTable& texts) {
  Network n;
  bool has_prefix = false;
  for (const auto& [key, value] : attributes) {
    if (key == "prefix") {
      try {
        n.prefix = Prefix::parse(value);
      } catch (const std::invalid_argument& e) {
        throw AttributeError(key, e.what());
      }
      has_prefix = true;
    } else if (key == "name") {
      n.info.name = texts.intern(value);
    } else if (key == "role") {
      n.info.role = texts.intern(value);
    } else if (key == "site") {
      n.info.site = texts.intern(value);
    } else if (key == "region") {
      n.info.region = texts.intern(value);
    } else if (key == "tenant") {
      n.info.tenant = texts.intern(value);
    } else if (key == "country") {
      if (value.empty()) continue;
      if (value.size() != 2) throw AttributeError(key, fmt::format("country \"{}\" is not a two-letter code", value));
      n.info.country = {value[0], value[1]};
    } else if (key == "asn") {
      std::string_view digits = value;
      if (digits.starts_with("AS")) digits.remove_prefix(2);
      if (digits.empty()) continue;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n.info.asn);
      if (ec != std::errc{} || end != digits.data() + digits.size())
        throw AttributeError(key, fmt::format("asn \"{}\" is not an AS number", value));
    } else {
      throw AttributeError(
          key,
          fmt::format("unknown attribute \"{}\" (known: prefix, name, role, site, region, tenant, country, asn)", key));
    }
  }
  if (!has_prefix) throw AttributeError("prefix", "a network needs a prefix");
  return n;
}

std::vector<Network> read_networks_csv(const std::filesystem::path& path, TextTable& texts) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  std::vector<std::string> columns;
  std::vector<Network> networks;
  std::string line;
  for (unsigned number = 1; std::getline(in, line); ++number) {
    if (trim(line).empty() || trim(line).starts_with('#')) continue;
    std::vector<std::string> cells;
    for (std::size_t start = 0;;) {
      const auto comma = line.find(',', start);
      cells.emplace_back(trim(std::string_view(line).substr(start, comma - start)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (columns.empty()) {
      columns = std::move(cells);
      if (std::find(columns.begin(), columns.end(), "prefix") == columns.end())
        throw std::runtime_error(fmt::format("{}:{}: the header needs a \"prefix\" column", path.string(), number));
      continue;
    }
    if (cells.size() != columns.size())
      throw std::runtime_error(
          fmt::format("{}:{}: {} cells where the header has {}", path.string(), number, cells.size(), columns.size()));
    std::vector<std::pair<std::string, std::string>> attributes;
    for (std::size_t i = 0; i < cells.size(); ++i) attributes.emplace_back(columns[i], cells[i]);
    try {
      networks.push_back(network_from(attributes, texts));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(fmt::format("{}:{}: {}", path.string(), number, e.what()));
    }
  }
  return networks;
}

}  // namespace sluice::enrichment
