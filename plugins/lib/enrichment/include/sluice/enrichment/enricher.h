// The enrich transform's work on a run of flows: countries, cities and AS
// from MaxMind DB files, network attributes from the networks table,
// exporter and interface names, descriptions, speeds and classes.
#pragma once

#include <sluice/enrichment/address_cache.h>
#include <sluice/enrichment/geoip.h>
#include <sluice/enrichment/interfaces.h>
#include <sluice/enrichment/networks.h>
#include <sluice/flow_record.h>
#include <sluice/texts.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace sluice::enrichment {

// Where a flow's AS numbers come from.
enum class AsnSource : std::uint8_t {
  exporter,           // as the exporter sent them
  geoip,              // the databases' (and networks') always
  exporter_or_geoip,  // the exporter's where non-zero, else the databases'
};

struct EnrichSettings {
  std::filesystem::path geo_database;  // country, city, region (and AS, if it has them and asn_database is unset)
  std::filesystem::path asn_database;  // AS number and organisation; may be geo_database
  AsnSource asn = AsnSource::exporter_or_geoip;
  std::filesystem::path networks_file;  // CSV (networks.h)
  std::vector<Network> networks;        // after the file's: a prefix in both is the pipeline's
  InterfaceSettings interfaces;
  bool interfaces_wanted = false;     // look up exporter and interface names at all
  std::size_t cache_size = 1U << 17;  // addresses
};

// A file of the settings that is missing or bad at start: setting() names
// its key (geo_database, asn_database, networks_file), what() the file and why.
class FileError : public std::runtime_error {
 public:
  FileError(std::string setting, const std::string& what) : std::runtime_error(what), setting_(std::move(setting)) {}
  const std::string& setting() const noexcept { return setting_; }

 private:
  std::string setting_;
};

struct EnrichStats {
  std::uint64_t flows = 0;
  std::uint64_t lookups = 0;                        // addresses looked up
  std::uint64_t cache_hits = 0;                     // of those, answered by the cache
  std::uint64_t flows_without_interface_names = 0;  // an interface of the flow had no name yet
  std::uint64_t reloads = 0;                        // database and networks files taken anew
  std::uint64_t refused_reloads = 0;                // changed files that did not open or parse
};

class Enricher {
 public:
  // Opens the databases and reads the networks file: throws FileError
  // naming a file that is missing or bad.
  Enricher(EnrichSettings settings, TextTable& texts);
  ~Enricher();
  Enricher(const Enricher&) = delete;
  Enricher& operator=(const Enricher&) = delete;

  // Appends each flow of `in`, enriched, to `out`. Never waits for SNMP.
  void enrich(std::span<const FlowRecord> in, std::vector<FlowRecord>& out);
  // Takes database and networks files that changed on disk, sends due SNMP
  // polls and reads their answers. Never blocks on the network.
  void tick(std::chrono::steady_clock::time_point now);
  // Reads every file again, changed or not (SIGHUP); a file that does not
  // open or parse is refused, the one in use kept.
  void reload_files();

  // What enrichment knows of one address (through the cache).
  const AddressInfo& address_info(const IpAddress& address);

  const EnrichStats& stats() const noexcept { return stats_; }
  const InterfaceStats* interface_stats() const noexcept;
  std::vector<IpAddress> open_breakers() const;
  bool polls_snmp() const noexcept;
  std::size_t cache_bytes() const noexcept { return cache_.bytes(); }

  // Where reloads and refusals are told.
  std::function<void(const std::string&)> info = [](const std::string&) {};
  std::function<void(const std::string&)> warn = [](const std::string&) {};

 private:
  AddressInfo look_up(const IpAddress& address);
  void enrich_addresses(FlowRecord& flow);
  void enrich_interfaces(FlowRecord& flow);
  void reload(std::unique_ptr<WatchedDatabase>& database, bool force);
  void reload_networks(bool force);
  void refuse(const std::string& why);

  TextTable& texts_;
  AsnSource asn_;
  std::unique_ptr<WatchedDatabase> geo_, asn_database_;  // asn_database_ null when it is geo_'s file or unset
  std::optional<FileWatch> networks_file_;
  std::vector<Network> inline_networks_;  // after the file's: a prefix in both is the pipeline's
  NetworkTable networks_;
  std::unique_ptr<InterfaceDirectory> interfaces_;
  AddressCache cache_;
  EnrichStats stats_;
};

}  // namespace sluice::enrichment
