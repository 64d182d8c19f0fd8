#include "sluice/enrichment/geoip.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace sluice::enrichment {

struct GeoDatabase::Impl {
  MMDB_s mmdb{};
  TextTable& texts;
  // Answers by the data record an address led to: the networks of one
  // answer share it, so a record is decoded and its texts interned once.
  std::unordered_map<std::uint32_t, GeoAnswer> by_record;

  explicit Impl(TextTable& t) : texts(t) {}
};

namespace {

// The value at a path of the entry's map, if it is there with the given type.
template <class... Path>
std::optional<MMDB_entry_data_s> value_at(MMDB_entry_s& entry, std::uint32_t type, Path... path) {
  MMDB_entry_data_s data{};
  if (MMDB_get_value(&entry, &data, path..., nullptr) != MMDB_SUCCESS || !data.has_data || data.type != type)
    return std::nullopt;
  return data;
}

template <class... Path>
std::string_view text_at(MMDB_entry_s& entry, Path... path) {
  auto data = value_at(entry, MMDB_DATA_TYPE_UTF8_STRING, path...);
  return data ? std::string_view(data->utf8_string, data->data_size) : std::string_view{};
}

// "AS64500" (IPinfo), "64500", or a number.
std::uint32_t asn_at(MMDB_entry_s& entry, const char* key) {
  if (auto n = value_at(entry, MMDB_DATA_TYPE_UINT32, key)) return n->uint32;
  if (auto n = value_at(entry, MMDB_DATA_TYPE_UINT16, key)) return n->uint16;
  std::string_view text = text_at(entry, key);
  if (text.starts_with("AS") || text.starts_with("as")) text.remove_prefix(2);
  std::uint32_t asn = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), asn);
  return ec == std::errc{} && end == text.data() + text.size() ? asn : 0;
}

GeoAnswer decode(MMDB_entry_s& entry, TextTable& texts) {
  GeoAnswer answer;
  std::string_view country = text_at(entry, "country", "iso_code");  // MaxMind, DB-IP
  if (country.empty()) country = text_at(entry, "country");          // IPinfo
  if (country.empty()) country = text_at(entry, "country_code");     // IPinfo lite
  if (country.size() == 2) std::memcpy(answer.country.data(), country.data(), 2);

  std::string_view as_name;
  if (auto n = value_at(entry, MMDB_DATA_TYPE_UINT32, "autonomous_system_number")) {
    answer.asn = n->uint32;
    as_name = text_at(entry, "autonomous_system_organization");
  } else if ((answer.asn = asn_at(entry, "asn")) != 0) {
    as_name = text_at(entry, "as_name");
    if (as_name.empty()) as_name = text_at(entry, "name");
  }
  answer.as_name = texts.intern(as_name);

  std::string_view city = text_at(entry, "city", "names", "en");
  if (city.empty()) city = text_at(entry, "city");
  answer.city = texts.intern(city);
  std::string_view region = text_at(entry, "subdivisions", "0", "names", "en");
  if (region.empty()) region = text_at(entry, "region");
  answer.region = texts.intern(region);
  return answer;
}

}  // namespace

GeoDatabase::GeoDatabase(const std::filesystem::path& path, TextTable& texts) : impl_(std::make_unique<Impl>(texts)) {
  if (const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &impl_->mmdb); status != MMDB_SUCCESS) {
    const std::string why = status == MMDB_IO_ERROR ? std::strerror(errno) : MMDB_strerror(status);
    throw std::runtime_error(fmt::format("{}: cannot open as a MaxMind DB: {}", path.string(), why));
  }
  if (impl_->mmdb.metadata.database_type != nullptr) type_ = impl_->mmdb.metadata.database_type;
}

GeoDatabase::~GeoDatabase() { MMDB_close(&impl_->mmdb); }

GeoAnswer GeoDatabase::lookup(const IpAddress& address) {
  sockaddr_storage storage{};
  if (address.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(address.v4_value());
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    std::memcpy(in6->sin6_addr.s6_addr, address.bytes.data(), 16);
  }
  int error = MMDB_SUCCESS;
  MMDB_lookup_result_s result = MMDB_lookup_sockaddr(&impl_->mmdb, reinterpret_cast<sockaddr*>(&storage), &error);
  // An IPv6 address in an IPv4-only file, or a corrupt tree: unknown, as any
  // address the file does not hold.
  if (error != MMDB_SUCCESS || !result.found_entry) return {};
  auto [it, fresh] = impl_->by_record.try_emplace(result.entry.offset);
  if (fresh) it->second = decode(result.entry, impl_->texts);
  return it->second;
}

WatchedDatabase::WatchedDatabase(std::filesystem::path path, TextTable& texts)
    : watch_(std::move(path)), texts_(texts), database_(std::make_unique<GeoDatabase>(watch_.path(), texts)) {}

bool WatchedDatabase::refresh(std::optional<std::string>& refused, bool force) {
  // A change is remembered even when refused: a half-written file is tried
  // again once it changes again, not warned about on every look.
  if (!watch_.changed() && !force) return false;
  if (!watch_.exists()) {
    refused = fmt::format("{}: gone; keeping the database loaded before", path().string());
    return false;
  }
  try {
    database_ = std::make_unique<GeoDatabase>(path(), texts_);
    return true;
  } catch (const std::runtime_error& e) {
    refused = fmt::format("{}; keeping the database loaded before", e.what());
    return false;
  }
}

}  // namespace sluice::enrichment
