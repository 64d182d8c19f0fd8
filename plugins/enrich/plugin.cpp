// enrich: countries, AS, networks and interface names for each flow (see
// sluice/enrichment/enricher.h and docs/enrichment.md).
#include "sluice/enrichment/enricher.h"

#include <sluice/plugin.h>

#include <fmt/format.h>

#include <chrono>
#include <optional>

namespace {

using namespace sluice::enrichment;
using sluice::OptionSpec;
using sluice::OptionType;

constexpr OptionSpec network_fields[] = {
    {.name = "prefix", .help = "IPv4 or IPv6 prefix, e.g. \"10.1.0.0/16\"", .required = true},
    {.name = "name", .help = "the network's name"},
    {.name = "role", .help = "its role (e.g. \"office\", \"customers\")"},
    {.name = "site", .help = "its site"},
    {.name = "region", .help = "its region"},
    {.name = "tenant", .help = "its tenant"},
    {.name = "country", .help = "ISO 3166 alpha-2 code; overrides GeoIP's for the network"},
    {.name = "asn", .type = OptionType::integer, .help = "AS number; overrides GeoIP's for the network"},
};

constexpr OptionSpec interface_fields[] = {
    {.name = "exporter", .help = "the exporter's address", .required = true},
    {.name = "index", .type = OptionType::integer, .help = "ifIndex", .required = true},
    {.name = "last_index", .type = OptionType::integer, .help = "the table covers index..last_index"},
    {.name = "name", .help = "interface name (as ifName)"},
    {.name = "description", .help = "description (as ifAlias); boundary and connectivity rules read it"},
    {.name = "speed", .type = OptionType::integer, .help = "speed in Mbit/s"},
};

constexpr OptionSpec exporter_fields[] = {
    {.name = "address", .help = "the exporter's address, as flows carry it", .required = true},
    {.name = "name", .help = "its name (instead of SNMP's sysName)"},
    {.name = "community", .help = "SNMP v2c community to poll it with (instead of snmp_community)"},
    {.name = "agent",
     .help = "where its SNMP agent listens, \"host:port\" (default: the exporter's address, port 161)"},
};

constexpr OptionSpec rule_fields[] = {
    {.name = "match", .help = "regular expression searched in the interface's description", .required = true},
    {.name = "value", .help = "the value when it matches", .required = true},
};

constexpr OptionSpec options[] = {
    {.name = "geo_database",
     .help = "MaxMind DB file with countries (and cities): GeoLite2 Country/City, DB-IP lite, IPinfo"},
    {.name = "asn_database", .help = "MaxMind DB file with AS numbers and organisations; may be geo_database"},
    {.name = "asn",
     .default_value = "\"exporter-or-geoip\"",
     .help = "AS numbers: as the exporter sent them, from the databases, or the exporter's where non-zero",
     .choices = "exporter|geoip|exporter-or-geoip"},
    {.name = "networks_file",
     .help = "CSV file of networks: a header (prefix,name,role,site,region,tenant,country,asn)"},
    {.name = "networks",
     .type = OptionType::table_list,
     .default_value = "[]",
     .help = "networks: [[transforms.NAME.networks]] prefix, name, role, site, region, tenant, country, asn",
     .fields = network_fields},
    {.name = "interfaces",
     .type = OptionType::table_list,
     .default_value = "[]",
     .help = "static interfaces: exporter, index (last_index for a range), name, description, speed; win over SNMP",
     .fields = interface_fields},
    {.name = "snmp_community", .help = "SNMP v2c community for every exporter (unset: poll only exporters given one)"},
    {.name = "exporters",
     .type = OptionType::table_list,
     .default_value = "[]",
     .help = "exporters: address, name, community, agent",
     .fields = exporter_fields},
    {.name = "boundary",
     .type = OptionType::table_list,
     .default_value = "[]",
     .help = "rules on the interface description: [{ match = \"^transit:\", value = \"external\" }] (or internal)",
     .fields = rule_fields},
    {.name = "connectivity",
     .type = OptionType::table_list,
     .default_value = "[]",
     .help = "rules on the interface description: [{ match = \"^transit:\", value = \"transit\" }]",
     .fields = rule_fields},
    {.name = "snmp_refresh",
     .type = OptionType::duration,
     .default_value = "\"30m\"",
     .help = "poll a known interface again after this (its names stay in use meanwhile)"},
    {.name = "snmp_expiry",
     .type = OptionType::duration,
     .default_value = "\"2h\"",
     .help = "forget SNMP's names when no refresh succeeded for this long"},
    {.name = "snmp_timeout",
     .type = OptionType::duration,
     .default_value = "\"1s\"",
     .help = "an SNMP request's time to answer (one retry)"},
    {.name = "snmp_backoff",
     .type = OptionType::duration,
     .default_value = "\"30s\"",
     .help = "after 3 unanswered requests, an exporter's polls pause this long (circuit breaker)"},
    {.name = "cache_size",
     .type = OptionType::integer,
     .default_value = "131072",
     .help = "addresses whose answers are kept (104 bytes each: the table stays half empty)"},
};

std::string optional_string(const sluice::Options& o, std::string_view key) { return o.has(key) ? o.string(key) : ""; }

template <class F>
auto in_table(std::string_view list, std::size_t i, std::string_view key, F&& f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    throw sluice::OptionError(fmt::format("{}[{}].{}", list, i, key), e.what());
  }
}

std::vector<Network> networks_from(const sluice::Options& options, sluice::TextTable& texts) {
  std::vector<Network> networks;
  const auto& tables = options.tables("networks");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    std::vector<std::pair<std::string, std::string>> attributes;
    for (std::string_view key : {"prefix", "name", "role", "site", "region", "tenant", "country"})
      if (tables[i].has(key)) attributes.emplace_back(key, tables[i].string(key));
    if (tables[i].has("asn")) attributes.emplace_back("asn", std::to_string(tables[i].integer("asn")));
    try {
      networks.push_back(network_from(attributes, texts));
    } catch (const AttributeError& e) {
      throw sluice::OptionError(fmt::format("networks[{}].{}", i, e.attribute), e.what());
    }
  }
  return networks;
}

std::uint32_t u32(const sluice::Options& table, std::string_view list, std::size_t i, std::string_view key) {
  const std::int64_t v = table.integer(key);
  if (v < 0 || v > UINT32_MAX)
    throw sluice::OptionError(fmt::format("{}[{}].{}", list, i, key), "must be 0 to 4294967295");
  return static_cast<std::uint32_t>(v);
}

InterfaceSettings interfaces_from(const sluice::Options& options) {
  InterfaceSettings s;
  const auto& interfaces = options.tables("interfaces");
  for (std::size_t i = 0; i < interfaces.size(); ++i) {
    const auto& t = interfaces[i];
    StaticInterface in{
        .exporter = in_table("interfaces", i, "exporter", [&] { return parse_address(t.string("exporter")); }),
        .first_index = u32(t, "interfaces", i, "index"),
        .name = optional_string(t, "name"),
        .description = optional_string(t, "description")};
    in.last_index = t.has("last_index") ? u32(t, "interfaces", i, "last_index") : in.first_index;
    if (in.last_index < in.first_index)
      throw sluice::OptionError(fmt::format("interfaces[{}].last_index", i), "must be >= index");
    if (t.has("speed")) in.speed = u32(t, "interfaces", i, "speed");
    s.interfaces.push_back(std::move(in));
  }
  const auto& exporters = options.tables("exporters");
  for (std::size_t i = 0; i < exporters.size(); ++i) {
    const auto& t = exporters[i];
    s.exporters.push_back(
        {.address = in_table("exporters", i, "address", [&] { return parse_address(t.string("address")); }),
         .name = optional_string(t, "name"),
         .community = optional_string(t, "community"),
         .agent = optional_string(t, "agent")});
  }
  s.community = optional_string(options, "snmp_community");
  for (std::string_view list : {"boundary", "connectivity"})
    for (const auto& t : options.tables(list))
      (list == "boundary" ? s.boundary : s.connectivity).push_back({t.string("match"), t.string("value")});
  s.refresh = options.duration("snmp_refresh");
  s.expiry = options.duration("snmp_expiry");
  s.timeout = options.duration("snmp_timeout");
  s.backoff = options.duration("snmp_backoff");
  if (s.timeout.count() <= 0) throw sluice::OptionError("snmp_timeout", "must be > 0");
  if (s.refresh.count() <= 0) throw sluice::OptionError("snmp_refresh", "must be > 0");
  if (s.expiry < s.refresh) throw sluice::OptionError("snmp_expiry", "must be >= snmp_refresh");
  return s;
}

EnrichSettings settings_from(const sluice::Options& options, sluice::TextTable& texts) {
  EnrichSettings s;
  s.geo_database = optional_string(options, "geo_database");
  s.asn_database = optional_string(options, "asn_database");
  const std::string& asn = options.string("asn");
  s.asn = asn == "exporter" ? AsnSource::exporter : asn == "geoip" ? AsnSource::geoip : AsnSource::exporter_or_geoip;
  s.networks_file = optional_string(options, "networks_file");
  s.networks = networks_from(options, texts);
  s.interfaces = interfaces_from(options);
  s.interfaces_wanted =
      !s.interfaces.interfaces.empty() || !s.interfaces.exporters.empty() || !s.interfaces.community.empty();
  // Rules are checked now, so that a bad one names its key before anything starts.
  try {
    Classifier check(s.interfaces.boundary, s.interfaces.connectivity, texts);
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    throw sluice::OptionError(what.substr(0, what.find(':')), what.substr(what.find(':') + 2));
  }
  const std::int64_t cache = options.integer("cache_size");
  if (cache < 64 || cache > (std::int64_t{1} << 30)) throw sluice::OptionError("cache_size", "must be 64 to 2^30");
  s.cache_size = static_cast<std::size_t>(cache);
  if (s.geo_database.empty() && s.asn_database.empty() && s.networks.empty() && s.networks_file.empty() &&
      !s.interfaces_wanted)
    throw sluice::OptionError("geo_database",
                              "enrich has nothing to do: give a database, networks, interfaces, exporters or "
                              "snmp_community");
  return s;
}

class EnrichPlugin {
 public:
  EnrichPlugin(const sluice::Options& options, sluice::Host& host)
      : host_(host),
        settings_(settings_from(options, host.texts())),
        polls_snmp_(settings_.interfaces_wanted),
        lookups_(host.counter("lookups_total", "Addresses looked up")),
        cache_hits_(host.counter("cache_hits_total", "Address lookups the cache answered")),
        flows_(host.counter("flows_total", "Flows enriched")),
        unnamed_(host.counter("flows_without_interface_names_total",
                              "Flows that passed while an interface of theirs had no name (yet)")),
        reloads_(host.counter("database_reloads_total", "Database files taken anew after they changed")),
        refused_(host.counter("database_refused_total", "Changed database files refused (the old one kept)")),
        polls_(host.counter("snmp_polls_total", "SNMP requests sent")),
        failures_(host.counter("snmp_failures_total", "SNMP requests unanswered or refused")),
        unknown_(host.counter("snmp_unknown_interfaces_total", "SNMP answers without the interface (cached)")),
        breakers_(host.gauge("snmp_breakers_open", "Exporters whose SNMP polls are paused by the circuit breaker")),
        cache_bytes_(host.gauge("cache_bytes", "Memory of the address cache")) {}

  // The files are read here (a constructor does no I/O): a missing or bad
  // one fails the start naming its key, which the engine reports as a
  // configuration error (exit 78) before any flow moves.
  void start() {
    try {
      enricher_.emplace(std::move(settings_), host_.texts());
    } catch (const sluice::enrichment::FileError& e) {
      throw sluice::OptionError(e.setting(), e.setting() + ": " + e.what());
    }
    enricher_->info = [this](const std::string& m) { host_.log(sluice::LogLevel::info, m); };
    enricher_->warn = [this](const std::string& m) { host_.log(sluice::LogLevel::warning, m); };
    cache_bytes_.set(static_cast<double>(enricher_->cache_bytes()));
    reload_requests_ = host_.reload_requests();
  }

  void process(const sluice::BatchPtr& in, sluice::Emitter& out) {
    auto enriched = sluice::make_batch(in->records.size());
    sluice::visit(
        *in, [&](std::span<const sluice::FlowRecord> records) { enricher_->enrich(records, enriched->records); },
        [&](const sluice::Event& event) { enriched->add_event(event); });
    publish();
    out.emit(std::move(enriched));
  }

  void tick(sluice::Emitter& /*out*/) {
    // SIGHUP: every file read again, changed or not.
    if (const std::uint64_t requests = host_.reload_requests(); requests != reload_requests_) {
      reload_requests_ = requests;
      enricher_->reload_files();
    }
    enricher_->tick(std::chrono::steady_clock::now());
    publish();
    breakers_.set(static_cast<double>(enricher_->open_breakers().size()));
  }

  std::string report() const {
    if (!enricher_) return {};
    const EnrichStats& s = enricher_->stats();
    auto share = [](std::uint64_t part, std::uint64_t whole) { return whole == 0 ? 0.0 : 100.0 * part / whole; };
    std::string text =
        fmt::format("{} addresses looked up, {:.1f}% from the cache; {} flows without interface names ({:.1f}%)",
                    s.lookups, share(s.cache_hits, s.lookups), s.flows_without_interface_names,
                    share(s.flows_without_interface_names, s.flows));
    if (const InterfaceStats* i = enricher_->interface_stats(); i && enricher_->polls_snmp())
      text += fmt::format("; SNMP: {} polls, {} failed, {} interfaces unknown", i->polls, i->failures, i->unknown);
    return text;
  }

  // SNMP answers are read on ticks: often enough that names arrive within a
  // poll's round trip.
  std::chrono::milliseconds tick_period() const {
    return polls_snmp_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(1000);
  }

 private:
  // The library's running totals into the engine's counters.
  void publish() {
    const EnrichStats& s = enricher_->stats();
    advance(lookups_, s.lookups, published_.lookups);
    advance(cache_hits_, s.cache_hits, published_.cache_hits);
    advance(flows_, s.flows, published_.flows);
    advance(unnamed_, s.flows_without_interface_names, published_.flows_without_interface_names);
    advance(reloads_, s.reloads, published_.reloads);
    advance(refused_, s.refused_reloads, published_.refused_reloads);
    if (const InterfaceStats* i = enricher_->interface_stats()) {
      advance(polls_, i->polls, published_snmp_.polls);
      advance(failures_, i->failures, published_snmp_.failures);
      advance(unknown_, i->unknown, published_snmp_.unknown);
    }
  }
  static void advance(const sluice::Counter& counter, std::uint64_t total, std::uint64_t& published) {
    if (total > published) counter.add(total - published);
    published = total;
  }

  sluice::Host& host_;
  EnrichSettings settings_;  // until start()
  const bool polls_snmp_;
  std::optional<Enricher> enricher_;
  std::uint64_t reload_requests_ = 0;  // SIGHUPs seen
  EnrichStats published_;
  InterfaceStats published_snmp_;
  sluice::Counter lookups_, cache_hits_, flows_, unnamed_, reloads_, refused_, polls_, failures_, unknown_;
  sluice::Gauge breakers_, cache_bytes_;
};

}  // namespace

SLUICE_PLUGIN(sluice::transform<EnrichPlugin>("enrich",
                                              "countries and AS from MaxMind DB files, network names by prefix, "
                                              "exporter and interface names from tables and SNMP",
                                              options))
