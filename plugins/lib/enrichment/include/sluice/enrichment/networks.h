// A table of IPv4 and IPv6 networks and what is known of them; the most
// specific network holding an address answers for it.
#pragma once

#include <sluice/flow_record.h>
#include <sluice/texts.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::enrichment {

// An address's text ("10.0.0.1", "2001:db8::1"); IPv4-mapped shown as IPv4.
std::string to_string(const IpAddress& address);
// Parses an IPv4 or IPv6 address; throws std::invalid_argument.
IpAddress parse_address(std::string_view text);

// A prefix in IPv4-mapped form: an IPv4 /8 is ::ffff:a.0.0.0/104.
struct Prefix {
  IpAddress address;
  unsigned length = 0;  // 0..128

  // "10.0.0.0/8", "2001:db8::/32", or an address alone (a host route).
  // Throws std::invalid_argument on bad text or host bits set.
  static Prefix parse(std::string_view text);
  bool contains(const IpAddress& a) const noexcept;
};

// A network's attributes (texts interned); country and asn, when set,
// override what GeoIP says of the network's addresses.
struct NetworkInfo {
  TextId name = 0, role = 0, site = 0, region = 0, tenant = 0;
  std::array<char, 2> country{};
  std::uint32_t asn = 0;
};

struct Network {
  Prefix prefix;
  NetworkInfo info;
};

// Networks by the attribute names of a CSV file or a pipeline's table:
// prefix, name, role, site, region, tenant, country, asn.
class NetworkTable {
 public:
  NetworkTable() = default;
  explicit NetworkTable(const std::vector<Network>& networks);

  // The most specific network holding `address`, or nullptr.
  const NetworkInfo* find(const IpAddress& address) const noexcept;
  bool empty() const noexcept { return levels_.empty(); }

 private:
  struct Key {
    std::uint64_t high = 0, low = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return static_cast<std::size_t>((k.high ^ (k.low * 0x9E3779B97F4A7C15ULL)) * 0xBF58476D1CE4E5B9ULL >> 17);
    }
  };
  static Key masked(const IpAddress& address, unsigned length) noexcept;

  // One map per prefix length present, longest first.
  struct Level {
    unsigned length;
    std::unordered_map<Key, NetworkInfo, KeyHash> networks;
  };
  std::vector<Level> levels_;
};

// A bad value of one attribute of a network.
struct AttributeError : std::invalid_argument {
  AttributeError(std::string name, const std::string& message)
      : std::invalid_argument(message), attribute(std::move(name)) {}
  std::string attribute;
};

// One network from its textual attributes (a CSV row or a pipeline table):
// attribute name -> value. Throws AttributeError naming the bad one.
Network network_from(const std::vector<std::pair<std::string, std::string>>& attributes, TextTable& texts);

// A CSV file: a header naming the columns (prefix first or anywhere; the
// others optional), then one network a line. Throws std::runtime_error
// naming file and line.
std::vector<Network> read_networks_csv(const std::filesystem::path& path, TextTable& texts);

}  // namespace sluice::enrichment
