#include "sluice/enrichment/enricher.h"

#include <fmt/format.h>

namespace sluice::enrichment {

namespace {

// One direction's members, so source and destination share one code path.
struct Side {
  IpAddress FlowRecord::*address;
  std::array<char, 2> FlowRecord::*country;
  std::uint32_t FlowRecord::*as;
  Element as_element;
  TextId FlowRecord::*as_name;
  TextId FlowRecord::*city;
  TextId FlowRecord::*region;
  TextId FlowRecord::*net_name;
  TextId FlowRecord::*net_role;
  TextId FlowRecord::*net_site;
  TextId FlowRecord::*net_region;
  TextId FlowRecord::*net_tenant;
};

constexpr Side source{&FlowRecord::src_addr,     &FlowRecord::src_country,    &FlowRecord::src_as,
                      Element::src_as,           &FlowRecord::src_as_name,    &FlowRecord::src_city,
                      &FlowRecord::src_region,   &FlowRecord::src_net_name,   &FlowRecord::src_net_role,
                      &FlowRecord::src_net_site, &FlowRecord::src_net_region, &FlowRecord::src_net_tenant};
constexpr Side destination{&FlowRecord::dst_addr,     &FlowRecord::dst_country,    &FlowRecord::dst_as,
                           Element::dst_as,           &FlowRecord::dst_as_name,    &FlowRecord::dst_city,
                           &FlowRecord::dst_region,   &FlowRecord::dst_net_name,   &FlowRecord::dst_net_role,
                           &FlowRecord::dst_net_site, &FlowRecord::dst_net_region, &FlowRecord::dst_net_tenant};

void apply(FlowRecord& flow, const Side& side, const AddressInfo& info, AsnSource asn) {
  flow.*side.country = info.country;
  flow.*side.city = info.city;
  flow.*side.region = info.region;
  flow.*side.net_name = info.net_name;
  flow.*side.net_role = info.net_role;
  flow.*side.net_site = info.net_site;
  flow.*side.net_region = info.net_region;
  flow.*side.net_tenant = info.net_tenant;
  // An AS of 0 is "none" whether or not the source marked it present (v5 always carries the field).
  if (asn == AsnSource::geoip || (asn == AsnSource::exporter_or_geoip && flow.*side.as == 0)) {
    flow.*side.as = info.asn;
    if (info.asn != 0)
      flow.set_present(side.as_element);
    else
      flow.set_absent(side.as_element);
  }
  // The organisation names the flow's AS, whoever gave the number.
  flow.*side.as_name = flow.*side.as == info.asn && info.asn != 0 ? info.as_name : 0;
}

struct InterfaceSide {
  std::uint32_t FlowRecord::*index;
  TextId FlowRecord::*name;
  TextId FlowRecord::*description;
  TextId FlowRecord::*connectivity;
  std::uint32_t FlowRecord::*speed;
  Element speed_element;
  Boundary FlowRecord::*boundary;
  Element boundary_element;
};

constexpr InterfaceSide input{
    &FlowRecord::in_if,       &FlowRecord::in_if_name, &FlowRecord::in_if_description, &FlowRecord::in_if_connectivity,
    &FlowRecord::in_if_speed, Element::in_if_speed,    &FlowRecord::in_if_boundary,    Element::in_if_boundary};
constexpr InterfaceSide output{&FlowRecord::out_if,
                               &FlowRecord::out_if_name,
                               &FlowRecord::out_if_description,
                               &FlowRecord::out_if_connectivity,
                               &FlowRecord::out_if_speed,
                               Element::out_if_speed,
                               &FlowRecord::out_if_boundary,
                               Element::out_if_boundary};

// Whether the interface, if the flow has one, got a name.
bool apply(FlowRecord& flow, const InterfaceSide& side, const InterfaceInfo& info) {
  flow.*side.name = info.name;
  flow.*side.description = info.description;
  flow.*side.connectivity = info.connectivity;
  flow.*side.speed = info.speed;
  if (info.speed != 0)
    flow.set_present(side.speed_element);
  else
    flow.set_absent(side.speed_element);
  flow.*side.boundary = info.boundary;
  if (info.boundary != Boundary::undefined)
    flow.set_present(side.boundary_element);
  else
    flow.set_absent(side.boundary_element);
  return info.name != 0;
}

std::unique_ptr<WatchedDatabase> open_database(const std::filesystem::path& path, const char* setting,
                                               TextTable& texts) {
  if (path.empty()) return nullptr;
  try {
    return std::make_unique<WatchedDatabase>(path, texts);
  } catch (const std::runtime_error& e) {
    throw FileError(setting, e.what());
  }
}

std::optional<FileWatch> watch(const std::filesystem::path& path) {
  return path.empty() ? std::nullopt : std::optional<FileWatch>(path);
}

std::vector<Network> file_then_inline(std::vector<Network> file, const std::vector<Network>& inline_networks) {
  file.insert(file.end(), inline_networks.begin(), inline_networks.end());
  return file;
}

}  // namespace

Enricher::Enricher(EnrichSettings settings, TextTable& texts)
    : texts_(texts),
      asn_(settings.asn),
      geo_(open_database(settings.geo_database, "geo_database", texts)),
      asn_database_(settings.asn_database == settings.geo_database
                        ? nullptr
                        : open_database(settings.asn_database, "asn_database", texts)),
      networks_file_(watch(settings.networks_file)),  // before the file is read
      inline_networks_(std::move(settings.networks)),
      cache_(settings.cache_size) {
  try {
    networks_ = NetworkTable(file_then_inline(
        networks_file_ ? read_networks_csv(networks_file_->path(), texts) : std::vector<Network>{}, inline_networks_));
  } catch (const std::runtime_error& e) {
    throw FileError("networks_file", e.what());
  }
  if (settings.interfaces_wanted) {
    interfaces_ = std::make_unique<InterfaceDirectory>(std::move(settings.interfaces), texts);
    interfaces_->warn = [this](const std::string& message) { warn(message); };
  }
}

Enricher::~Enricher() = default;

AddressInfo Enricher::look_up(const IpAddress& address) {
  AddressInfo info;
  if (geo_) {
    const GeoAnswer geo = geo_->database().lookup(address);
    info.country = geo.country;
    info.city = geo.city;
    info.region = geo.region;
    info.asn = geo.asn;
    info.as_name = geo.as_name;
  }
  if (asn_database_) {
    const GeoAnswer as = asn_database_->database().lookup(address);
    info.asn = as.asn;
    info.as_name = as.as_name;
  }
  if (const NetworkInfo* net = networks_.find(address)) {
    info.net_name = net->name;
    info.net_role = net->role;
    info.net_site = net->site;
    info.net_region = net->region;
    info.net_tenant = net->tenant;
    if (net->country[0] != 0) info.country = net->country;
    if (net->asn != 0 && net->asn != info.asn) {
      info.asn = net->asn;
      info.as_name = 0;
    }
  }
  return info;
}

const AddressInfo& Enricher::address_info(const IpAddress& address) {
  ++stats_.lookups;
  if (const AddressInfo* cached = cache_.find(address)) {
    ++stats_.cache_hits;
    return *cached;
  }
  return cache_.insert(address, look_up(address));
}

void Enricher::enrich_addresses(FlowRecord& flow) {
  apply(flow, source, address_info(flow.src_addr), asn_);
  apply(flow, destination, address_info(flow.dst_addr), asn_);
}

void Enricher::enrich_interfaces(FlowRecord& flow) {
  // ifIndex 0 and an exporter of :: are "none", with or without a presence bit.
  if (flow.exporter.is_unspecified()) return;
  InterfaceDirectory::Exporter& exporter = interfaces_->exporter(flow.exporter);
  flow.exporter_name = interfaces_->name_of(exporter);
  bool named = true;
  for (const InterfaceSide* side : {&input, &output})
    if (flow.*side->index != 0) named &= apply(flow, *side, interfaces_->interface(exporter, flow.*side->index));
  if (!named) ++stats_.flows_without_interface_names;
}

void Enricher::enrich(std::span<const FlowRecord> in, std::vector<FlowRecord>& out) {
  constexpr std::size_t ahead = 8;  // flows whose cache lines are fetched while this one is enriched
  const bool addresses = geo_ || asn_database_ || !networks_.empty();
  stats_.flows += in.size();
  for (std::size_t i = 0; i < in.size(); ++i) {
    FlowRecord& flow = out.emplace_back(in[i]);
    if (addresses) {
      if (i + ahead < in.size()) {
        cache_.prefetch(in[i + ahead].src_addr);
        cache_.prefetch(in[i + ahead].dst_addr);
      }
      enrich_addresses(flow);
    }
    if (interfaces_) enrich_interfaces(flow);
  }
}

void Enricher::refuse(const std::string& why) {
  ++stats_.refused_reloads;
  warn(why);
}

void Enricher::reload(std::unique_ptr<WatchedDatabase>& database, bool force) {
  if (!database) return;
  std::optional<std::string> refused;
  if (database->refresh(refused, force)) {
    ++stats_.reloads;
    cache_.clear();
    info(fmt::format("{}: reloaded ({})", database->path().string(), database->database().type()));
  }
  if (refused) refuse(*refused);
}

void Enricher::reload_networks(bool force) {
  if (!networks_file_ || (!networks_file_->changed() && !force)) return;
  const std::string path = networks_file_->path().string();
  if (!networks_file_->exists()) {
    refuse(fmt::format("{}: gone; keeping the networks loaded before", path));
    return;
  }
  std::vector<Network> networks;
  try {
    networks = file_then_inline(read_networks_csv(path, texts_), inline_networks_);
  } catch (const std::runtime_error& e) {
    refuse(fmt::format("{}; keeping the networks loaded before", e.what()));
    return;
  }
  networks_ = NetworkTable(networks);
  ++stats_.reloads;
  cache_.clear();
  info(fmt::format("{}: reloaded ({} networks)", path, networks.size()));
}

void Enricher::tick(std::chrono::steady_clock::time_point now) {
  reload(geo_, false);
  reload(asn_database_, false);
  reload_networks(false);
  if (interfaces_) interfaces_->poll(now);
}

void Enricher::reload_files() {
  reload(geo_, true);
  reload(asn_database_, true);
  reload_networks(true);
}

const InterfaceStats* Enricher::interface_stats() const noexcept {
  return interfaces_ ? &interfaces_->stats() : nullptr;
}

std::vector<IpAddress> Enricher::open_breakers() const {
  return interfaces_ ? interfaces_->open_breakers() : std::vector<IpAddress>{};
}

bool Enricher::polls_snmp() const noexcept { return interfaces_ && interfaces_->polls_any(); }

}  // namespace sluice::enrichment
