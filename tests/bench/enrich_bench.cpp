// enrich on one thread: GeoIP (a City+ASN database by MaxMind's writer) +
// networks + static interface names, flows a second, for pools of distinct
// addresses the cache holds (100k) and does not (10M: every lookup a miss,
// libmaxminddb's speed bounds it). Counters: the cache's hit share, its
// bytes, the process's peak RSS.
#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include <random>

#include "mmdb.h"
#include "process.h"
#include "sluice/enrichment/enricher.h"

using namespace sluice;
using namespace sluice::enrichment;

namespace {

struct Fixture {
  testing::TempDir dir;
  std::vector<std::string> networks;
  Fixture() : networks(test::write_city_asn_database(dir / "city.mmdb", 5000, 1)) {}
  static Fixture& shared() {
    static Fixture f;
    return f;
  }
};

// An IPv4 /16 or /24: many nest, as an operator's networks do.
std::string random_network(std::mt19937_64& random) {
  const std::string ab = std::to_string(11 + random() % 200) + "." + std::to_string(random() % 256) + ".";
  return random() % 2 == 0 ? ab + "0.0/16" : ab + std::to_string(random() % 256) + ".0/24";
}

void Enrich(benchmark::State& state) {
  Fixture& fixture = Fixture::shared();
  InternedTexts texts;
  EnrichSettings settings;
  settings.geo_database = fixture.dir / "city.mmdb";
  settings.interfaces_wanted = true;
  std::mt19937_64 random(2);
  for (int i = 0; i < 1000; ++i)
    settings.networks.push_back(
        network_from({{"prefix", random_network(random)}, {"name", "net " + std::to_string(i)}, {"site", "s"}}, texts));
  for (unsigned e = 1; e <= 4; ++e)
    settings.interfaces.interfaces.push_back({IpAddress::v4(0x7f000000 | e), 1, 64, "port", "transit: x", 10000});
  Enricher enricher(std::move(settings), texts);

  // The pool: addresses inside the database's networks, in random order.
  const auto distinct = static_cast<std::size_t>(state.range(0));
  std::vector<IpAddress> pool(distinct);
  for (auto& a : pool)
    a = parse_address(test::random_address_in(fixture.networks[random() % fixture.networks.size()], random()));
  std::vector<FlowRecord> batch(1024);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].exporter = IpAddress::v4(0x7f000001 + static_cast<std::uint32_t>(i / 256));
    batch[i].set_present(Element::exporter);
    batch[i].in_if = 1 + static_cast<std::uint32_t>(i % 64);
    batch[i].out_if = 1 + static_cast<std::uint32_t>((i * 7) % 64);
    batch[i].set_present(Element::in_if);
    batch[i].set_present(Element::out_if);
  }
  std::vector<FlowRecord> out;
  out.reserve(batch.size());
  std::size_t next = 0;
  for (auto _ : state) {
    for (auto& f : batch) {
      f.src_addr = pool[next];
      f.dst_addr = pool[(next + distinct / 2) % distinct];
      next = next + 1 == distinct ? 0 : next + 1;
    }
    out.clear();
    enricher.enrich(batch, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
  const auto& s = enricher.stats();
  state.counters["hit_share"] = s.lookups == 0 ? 0 : static_cast<double>(s.cache_hits) / static_cast<double>(s.lookups);
  state.counters["cache_MB"] = static_cast<double>(enricher.cache_bytes()) / 1e6;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["peak_rss_MB"] = static_cast<double>(usage.ru_maxrss) / 1e3;
}

}  // namespace

BENCHMARK(Enrich)->Arg(100'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->MinTime(3);

BENCHMARK_MAIN();
