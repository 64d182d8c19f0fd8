// The networks table: longest prefix against a brute-force scan, the CSV
// file, what a network's country and AS override.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "process.h"
#include "sluice/enrichment/enricher.h"
#include "sluice/enrichment/networks.h"

namespace sluice::enrichment {
namespace {

IpAddress random_address(std::mt19937_64& random, bool v4) {
  if (v4) return IpAddress::v4(static_cast<std::uint32_t>(random()));
  std::uint8_t bytes[16];
  for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
  bytes[0] = 0x20;  // 2000::/8, so that prefixes overlap
  return IpAddress::v6(bytes);
}

Prefix random_prefix(std::mt19937_64& random) {
  const bool v4 = random() % 2 == 0;
  Prefix p{random_address(random, v4), 0};
  // IPv4 /8 to /32 (mapped: 104 to 128), IPv6 /8 to /64: many nest.
  p.length = v4 ? 104 + static_cast<unsigned>(random() % 25) : 8 + static_cast<unsigned>(random() % 57);
  for (unsigned bit = p.length; bit < 128; ++bit)
    p.address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
  return p;
}

TEST(NetworksTest, LongestPrefixAgreesWithABruteForceScan) {
  std::mt19937_64 random(42);
  InternedTexts texts;
  // The scan: every prefix length from the longest, the first network of
  // that length holding the address wins (exhaustive, by another road than
  // the table's, and fast enough for 100,000 addresses under ASan).
  // Keys are the prefix's bytes and length, so that lookups allocate nothing.
  using Key = std::pair<std::array<std::uint8_t, 16>, int>;
  const auto hash = [](const Key& k) {
    return std::hash<std::string_view>{}({reinterpret_cast<const char*>(k.first.data()), k.first.size()}) ^
           static_cast<std::size_t>(k.second);
  };
  std::unordered_map<Key, TextId, decltype(hash)> by_prefix(0, hash);
  const auto key = [](const IpAddress& masked, int length) { return Key{masked.bytes, length}; };  // host bits clear
  std::vector<Network> networks;
  for (int i = 0; networks.size() < 10'000; ++i) {
    const Prefix p = random_prefix(random);
    const TextId name = texts.intern("net " + std::to_string(i));
    if (!by_prefix.emplace(key(p.address, static_cast<int>(p.length)), name).second) continue;  // drawn before
    networks.push_back({p, {.name = name}});
  }
  const NetworkTable table(networks);
  std::size_t found = 0;
  for (int i = 0; i < 100'000; ++i) {
    // Most addresses inside a network (and maybe a nested one), some anywhere.
    IpAddress a = random_address(random, random() % 2 == 0);
    if (i % 4 != 0) {
      const Prefix& p = networks[random() % networks.size()].prefix;
      for (unsigned bit = 0; bit < p.length; ++bit) {
        const auto mask = static_cast<std::uint8_t>(0x80U >> (bit % 8));
        a.bytes[bit / 8] = static_cast<std::uint8_t>((a.bytes[bit / 8] & ~mask) | (p.address.bytes[bit / 8] & mask));
      }
    }
    TextId expected = 0;
    IpAddress masked = a;
    for (int length = 128; length >= 0 && expected == 0; --length) {
      if (length < 128) masked.bytes[length / 8] &= static_cast<std::uint8_t>(~(0x80U >> (length % 8)));
      if (const auto it = by_prefix.find(key(masked, length)); it != by_prefix.end()) expected = it->second;
    }
    const NetworkInfo* got = table.find(a);
    ASSERT_EQ(got ? got->name : 0, expected) << i;
    found += expected != 0;
  }
  EXPECT_GT(found, 70'000U);
}

TEST(NetworksTest, PrefixesParseAndRefuseHostBits) {
  EXPECT_EQ(Prefix::parse("10.0.0.0/8").length, 104U);
  EXPECT_EQ(Prefix::parse("2001:db8::/32").length, 32U);
  EXPECT_EQ(Prefix::parse("192.0.2.1").length, 128U);
  EXPECT_TRUE(Prefix::parse("10.0.0.0/8").contains(parse_address("10.255.1.2")));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/8").contains(parse_address("11.0.0.1")));
  EXPECT_THROW(Prefix::parse("10.0.0.1/8"), std::invalid_argument);
  EXPECT_THROW(Prefix::parse("10.0.0.0/33"), std::invalid_argument);
  EXPECT_THROW(Prefix::parse("office"), std::invalid_argument);
}

TEST(NetworksTest, ReadsACsvFileAndNamesTheBadLine) {
  testing::TempDir dir;
  InternedTexts texts;
  const auto file = dir.write("networks.csv",
                              "prefix,name,role,site,region,tenant,country,asn\n"
                              "# offices\n"
                              "10.1.0.0/16,office,users,fra1,eu-central,acme,DE,64512\n"
                              "2001:db8:1::/48,\"office v6\",users,fra1,eu-central,acme,,\n");
  const auto networks = read_networks_csv(file, texts);
  ASSERT_EQ(networks.size(), 2U);
  EXPECT_EQ(texts.text(networks[0].info.site), "fra1");
  EXPECT_EQ(networks[0].info.asn, 64512U);
  EXPECT_EQ(texts.text(networks[1].info.name), "office v6");

  const auto bad = dir.write("bad.csv", "prefix,name\n10.0.0.0/8,a\n10.0.0.1/8,b\n");
  try {
    read_networks_csv(bad, texts);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:3:"), std::string::npos) << e.what();
  }
}

TEST(NetworksTest, NetworkAttributesReachFlowsAndOverrideCountryAndAs) {
  InternedTexts texts;
  EnrichSettings settings;
  settings.asn = AsnSource::geoip;
  settings.networks = {
      network_from({{"prefix", "10.0.0.0/8"}, {"name", "corp"}}, texts),
      network_from({{"prefix", "10.1.0.0/16"}, {"name", "office"}, {"country", "DE"}, {"asn", "64512"}}, texts)};
  Enricher enricher(std::move(settings), texts);
  FlowRecord f;
  f.src_addr = parse_address("10.1.2.3");
  f.dst_addr = parse_address("10.9.9.9");
  std::vector<FlowRecord> out;
  enricher.enrich(std::span(&f, 1), out);
  EXPECT_EQ(texts.text(out[0].src_net_name), "office");
  EXPECT_EQ(std::string(out[0].src_country.data(), 2), "DE");
  EXPECT_EQ(out[0].src_as, 64512U);
  EXPECT_TRUE(out[0].has(Element::src_as));
  EXPECT_EQ(texts.text(out[0].dst_net_name), "corp");
  EXPECT_FALSE(out[0].has(Element::dst_as));
}

// The networks file is watched as the databases are: a replacement is read
// on the next tick (the pipeline's networks still after it), one that does
// not parse is refused with a warning naming its line and the networks in
// use kept, reload_files() (SIGHUP) reads a file even when it looks
// unchanged, and a missing file at start names its setting.
TEST(NetworksTest, AChangedFileIsReadAgainAndABadOneRefused) {
  testing::TempDir dir;
  InternedTexts texts;
  const auto file = dir.write("networks.csv", "prefix,name\n10.0.0.0/8,old\n");
  EnrichSettings settings;
  settings.networks_file = file;
  settings.networks = {network_from({{"prefix", "192.0.2.0/24"}, {"name", "inline"}}, texts)};
  Enricher enricher(std::move(settings), texts);
  std::vector<std::string> warnings;
  enricher.warn = [&](const std::string& m) { warnings.push_back(m); };
  const auto name_of = [&](const char* address) {
    FlowRecord f;
    f.src_addr = parse_address(address);
    std::vector<FlowRecord> out;
    enricher.enrich(std::span(&f, 1), out);
    return std::string(texts.text(out[0].src_net_name));
  };
  const auto replace = [&](const std::string& content) {
    std::filesystem::rename(dir.write("next.csv", content), file);
  };
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(name_of("10.1.2.3"), "old");

  replace("prefix,name\n10.0.0.0/8,new\n10.1.0.0/16,office\n");
  EXPECT_EQ(name_of("10.1.2.3"), "old") << "until the tick looks";
  enricher.tick(now);
  EXPECT_EQ(name_of("10.1.2.3"), "office");
  EXPECT_EQ(name_of("10.9.9.9"), "new");
  EXPECT_EQ(name_of("192.0.2.1"), "inline");
  EXPECT_EQ(enricher.stats().reloads, 1U);

  replace("prefix,name\n10.0.0.0/8,x\n10.0.0.1/8,y\n");
  enricher.tick(now);
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("networks.csv:3:"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("keeping the networks loaded before"), std::string::npos) << warnings[0];
  EXPECT_EQ(name_of("10.1.2.3"), "office");
  enricher.tick(now);
  EXPECT_EQ(warnings.size(), 1U) << "the same bad file is not warned about again";
  EXPECT_EQ(enricher.stats().refused_reloads, 1U);

  replace("prefix,name\n10.0.0.0/8,aaa\n");
  enricher.tick(now);
  EXPECT_EQ(name_of("10.1.2.3"), "aaa");
  // Rewritten in place, same size, its modification time put back: only a
  // forced reload sees it.
  const auto mtime = std::filesystem::last_write_time(file);
  dir.write("networks.csv", "prefix,name\n10.0.0.0/8,bbb\n");
  std::filesystem::last_write_time(file, mtime);
  enricher.tick(now);
  EXPECT_EQ(name_of("10.1.2.3"), "aaa");
  enricher.reload_files();
  EXPECT_EQ(name_of("10.1.2.3"), "bbb");
  EXPECT_EQ(enricher.stats().reloads, 3U);

  EnrichSettings missing;
  missing.networks_file = dir / "missing.csv";
  try {
    Enricher never(std::move(missing), texts);
    FAIL() << "started without its networks file";
  } catch (const FileError& e) {
    EXPECT_EQ(e.setting(), "networks_file");
    EXPECT_NE(std::string(e.what()).find("missing.csv"), std::string::npos) << e.what();
  }
}

TEST(AddressCacheTest, AnswersWhatItHoldsAndForgetsOnClear) {
  AddressCache cache(1024);
  EXPECT_EQ(cache.capacity(), 1024U);
  std::mt19937_64 random(1);
  std::vector<IpAddress> addresses;
  for (int i = 0; i < 512; ++i) addresses.push_back(random_address(random, i % 2 == 0));
  for (std::size_t i = 0; i < addresses.size(); ++i)
    cache.insert(addresses[i], {.asn = static_cast<std::uint32_t>(i + 1)});
  std::size_t held = 0;
  for (std::size_t i = 0; i < addresses.size(); ++i)
    if (const AddressInfo* info = cache.find(addresses[i])) {
      ASSERT_EQ(info->asn, i + 1);
      ++held;
    }
  EXPECT_EQ(held, addresses.size());
  // One more starts over: the cache holds at most its capacity.
  for (std::size_t i = addresses.size(); i < 1024; ++i)
    cache.insert(random_address(random, i % 2 == 0), {.asn = static_cast<std::uint32_t>(i + 1)});
  EXPECT_NE(cache.find(addresses.back()), nullptr);
  const IpAddress extra = random_address(random, true);
  EXPECT_EQ(cache.insert(extra, {.asn = 7}).asn, 7U);
  EXPECT_EQ(cache.find(addresses.back()), nullptr);
  EXPECT_EQ(cache.find(extra)->asn, 7U);
  cache.clear();
  for (const auto& a : addresses) EXPECT_EQ(cache.find(a), nullptr);
  EXPECT_EQ(cache.find(extra), nullptr);
}

// Slots hold an index into a table of distinct answers: addresses that share
// an answer share its entry, and an IPv4 address is never taken for an IPv6
// one that ends in the same four bytes.
TEST(AddressCacheTest, SharesAnswersAndTellsIpv4FromIpv6) {
  AddressCache cache(4096);
  const IpAddress v4 = IpAddress::v4(0x01020304);
  std::uint8_t same_end[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
  const IpAddress v6 = IpAddress::v6(same_end);
  same_end[10] = same_end[11] = 0xff;  // ::ffff:1.2.3.4 with another /32 in front
  const IpAddress almost_mapped = IpAddress::v6(same_end);
  cache.insert(v4, {.asn = 1});
  EXPECT_EQ(cache.find(v6), nullptr);
  EXPECT_EQ(cache.find(almost_mapped), nullptr);
  cache.insert(v6, {.asn = 2});
  cache.insert(almost_mapped, {.asn = 3});
  EXPECT_EQ(cache.find(v4)->asn, 1U);
  EXPECT_EQ(cache.find(v6)->asn, 2U);
  EXPECT_EQ(cache.find(almost_mapped)->asn, 3U);

  std::mt19937_64 random(3);
  std::vector<IpAddress> addresses;
  for (int i = 0; i < 2000; ++i) {
    addresses.push_back(random_address(random, i % 3 != 0));
    cache.insert(addresses.back(), {.country = {'D', 'E'}, .asn = static_cast<std::uint32_t>(i % 5)});
  }
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const AddressInfo* info = cache.find(addresses[i]);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->asn, i % 5);
    EXPECT_EQ(info, cache.find(addresses[i % 5]));  // one entry for each distinct answer
  }
}

}  // namespace
}  // namespace sluice::enrichment
