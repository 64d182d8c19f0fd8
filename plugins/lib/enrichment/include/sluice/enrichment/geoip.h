// Countries, cities and AS from MaxMind DB files (libmaxminddb).
#pragma once

#include <sluice/enrichment/file_watch.h>
#include <sluice/flow_record.h>
#include <sluice/texts.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace sluice::enrichment {

// What a database says of an address; zero where it says nothing. Texts are
// ids of the TextTable the database was opened with.
struct GeoAnswer {
  std::array<char, 2> country{};
  std::uint32_t asn = 0;
  TextId as_name = 0;
  TextId city = 0;
  TextId region = 0;

  friend bool operator==(const GeoAnswer&, const GeoAnswer&) = default;
};

// One open .mmdb file. It recognises the layouts of GeoLite2 Country, City
// and ASN, DB-IP's lite databases (MaxMind's layout) and IPinfo's country,
// ASN and country_asn files (flat keys: country, asn "AS123", name/as_name).
class GeoDatabase {
 public:
  // Throws std::runtime_error naming the file when it is missing or not a
  // MaxMind DB.
  GeoDatabase(const std::filesystem::path& path, TextTable& texts);
  ~GeoDatabase();
  GeoDatabase(const GeoDatabase&) = delete;
  GeoDatabase& operator=(const GeoDatabase&) = delete;

  // What the file says of `address`; an address it does not know gets {}.
  GeoAnswer lookup(const IpAddress& address);

  // The file's database_type (metadata), e.g. "GeoLite2-City".
  const std::string& type() const noexcept { return type_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string type_;
};

// A database file watched for replacement: refresh() opens the file again
// when it changed on disk (or when asked to). A replacement that does not
// open is refused and the database in use kept.
class WatchedDatabase {
 public:
  WatchedDatabase(std::filesystem::path path, TextTable& texts);  // throws as GeoDatabase does

  GeoDatabase& database() noexcept { return *database_; }
  const std::filesystem::path& path() const noexcept { return watch_.path(); }

  // Whether a new file is in use; `refused` gets why a changed file was not
  // taken. `force`: open the file again even if it looks unchanged (SIGHUP).
  bool refresh(std::optional<std::string>& refused, bool force = false);

 private:
  FileWatch watch_;
  TextTable& texts_;
  std::unique_ptr<GeoDatabase> database_;
};

}  // namespace sluice::enrichment
