// GeoIP and ASN answers against MaxMind's own writer and readers; database
// files replaced while flows pass.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "mmdb.h"
#include "process.h"
#include "sluice/enrichment/enricher.h"
#include "sluice/enrichment/geoip.h"

namespace sluice::enrichment {
namespace {

using testing::TempDir;

std::string text_of(const InternedTexts& texts, TextId id) { return std::string(texts.text(id)); }

std::string country_of(const GeoAnswer& a) { return a.country[0] == 0 ? "" : std::string(a.country.data(), 2); }

// Addresses: most inside the written networks (some of those then in a
// nested one), the rest anywhere, IPv4 and IPv6.
std::vector<std::string> random_addresses(const std::vector<std::string>& networks, std::size_t count, unsigned seed) {
  std::mt19937_64 random(seed);
  std::vector<std::string> addresses;
  for (std::size_t i = 0; i < count; ++i) {
    if (i % 5 == 4) {
      addresses.push_back(test::random_address_in(i % 10 == 4 ? "0.0.0.0/0" : "2001:db8::/29", random()));
    } else {
      addresses.push_back(test::random_address_in(networks[random() % networks.size()], random()));
    }
  }
  return addresses;
}

class GeoIpTest : public ::testing::Test {
 protected:
  TempDir dir;
  InternedTexts texts;
};

TEST_F(GeoIpTest, AnswersAsMaxMindsPerlReaderForTenThousandAddresses) {
  const auto file = dir / "city.mmdb";
  const auto networks = test::write_city_asn_database(file, 600, 7);
  ASSERT_EQ(networks.size(), 600U);
  const auto addresses = random_addresses(networks, 10'000, 11);
  const auto expected = test::perl_reader_answers(file, addresses);
  ASSERT_EQ(expected.size(), addresses.size());

  GeoDatabase db(file, texts);
  EXPECT_EQ(db.type(), "GeoLite2-City");
  std::size_t known = 0, v6_known = 0;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const GeoAnswer a = db.lookup(parse_address(addresses[i]));
    const std::string got = country_of(a) + "\t" + std::to_string(a.asn) + "\t" + text_of(texts, a.as_name) + "\t" +
                            text_of(texts, a.city) + "\t" + text_of(texts, a.region);
    ASSERT_EQ(got, expected[i]) << addresses[i];
    known += a.asn != 0;
    v6_known += a.asn != 0 && addresses[i].find(':') != std::string::npos;
  }
  EXPECT_GT(known, 7000U);  // the comparison covered answers, not only misses
  EXPECT_GT(v6_known, 500U);
}

// mmdblookup (libmaxminddb's own tool) takes one address a process, and has
// no batch mode: 1,000 processes took 15.9 s here (12.8 s two at a time),
// so 10,000 would take minutes of CI. A sample; the 10,000 above go
// through MaxMind's Perl reader in one process.
TEST_F(GeoIpTest, AnswersAsMmdblookup) {
  const auto file = dir / "city.mmdb";
  const auto networks = test::write_city_asn_database(file, 200, 3);
  GeoDatabase db(file, texts);
  for (const auto& address : random_addresses(networks, 60, 5)) {
    const GeoAnswer a = db.lookup(parse_address(address));
    const std::string country = test::mmdblookup(file, address, "country iso_code");
    const std::string asn = test::mmdblookup(file, address, "autonomous_system_number");
    if (a.country[0] == 0) {
      EXPECT_EQ(country, "") << address;
    } else {
      EXPECT_NE(country.find('"' + country_of(a) + '"'), std::string::npos) << address << ": " << country;
    }
    if (a.asn == 0)
      EXPECT_EQ(asn, "") << address;
    else
      EXPECT_NE(asn.find(std::to_string(a.asn) + " <uint32>"), std::string::npos) << address << ": " << asn;
  }
}

TEST_F(GeoIpTest, ReadsIpinfosLayout) {
  const auto file = dir / "country_asn.mmdb";
  test::write_ipinfo_database(file, {{"192.0.2.0/24", "DE|AS64500|Example GmbH"},
                                     {"2001:db8:1::/48", "JP|AS64501|Example KK"},
                                     {"198.51.100.0/24", "NL||"}});
  GeoDatabase db(file, texts);
  for (const char* address : {"192.0.2.77", "2001:db8:1::9", "198.51.100.1", "203.0.113.1"}) {
    const GeoAnswer a = db.lookup(parse_address(address));
    const std::string country = test::mmdblookup(file, address, "country");
    if (a.country[0] == 0)
      EXPECT_EQ(country, "") << address;
    else
      EXPECT_NE(country.find('"' + country_of(a) + '"'), std::string::npos) << address << ": " << country;
    const std::string asn = test::mmdblookup(file, address, "asn");
    if (a.asn != 0) {
      EXPECT_NE(asn.find("\"AS" + std::to_string(a.asn) + '"'), std::string::npos) << address;
    }
  }
  const GeoAnswer de = db.lookup(parse_address("192.0.2.1"));
  EXPECT_EQ(country_of(de), "DE");
  EXPECT_EQ(de.asn, 64500U);
  EXPECT_EQ(text_of(texts, de.as_name), "Example GmbH");
  EXPECT_EQ(db.lookup(parse_address("198.51.100.1")).asn, 0U);
  EXPECT_EQ(db.lookup(parse_address("203.0.113.1")), GeoAnswer{});
}

TEST_F(GeoIpTest, AMissingOrCorruptFileIsAnErrorNamingIt) {
  const auto missing = dir / "missing.mmdb";
  try {
    GeoDatabase db(missing, texts);
    FAIL() << "opened a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
  const auto corrupt = dir.write("corrupt.mmdb", "not a database");
  EXPECT_THROW(GeoDatabase(corrupt, texts), std::runtime_error);
}

EnrichSettings geo_settings(const std::filesystem::path& file, AsnSource asn = AsnSource::exporter_or_geoip) {
  EnrichSettings s;
  s.geo_database = file;
  s.asn = asn;
  return s;
}

FlowRecord flow_from(const std::string& src, const std::string& dst) {
  FlowRecord f;
  f.src_addr = parse_address(src);
  f.dst_addr = parse_address(dst);
  return f;
}

// The file replaced (by rename, as geoipupdate does) between batches: every
// flow comes out, those after the tick with the new file's answers; a
// corrupt replacement is refused and the file in use kept.
TEST_F(GeoIpTest, AReplacedFileIsTakenBetweenBatchesAndABadOneRefused) {
  const auto file = dir / "geo.mmdb";
  test::write_ipinfo_database(file, {{"192.0.2.0/24", "DE|AS64500|Old"}});
  Enricher enricher(geo_settings(file), texts);
  std::vector<std::string> warnings;
  enricher.warn = [&](const std::string& m) { warnings.push_back(m); };
  const std::vector<FlowRecord> batch(1000, flow_from("192.0.2.1", "203.0.113.9"));
  std::vector<FlowRecord> out;
  const auto now = std::chrono::steady_clock::now();

  enricher.enrich(batch, out);
  test::write_ipinfo_database(dir / "new.mmdb", {{"192.0.2.0/24", "FR|AS64501|New"}});
  std::filesystem::rename(dir / "new.mmdb", file);
  enricher.enrich(batch, out);  // still the old file until the tick looks
  enricher.tick(now);
  enricher.enrich(batch, out);
  ASSERT_EQ(out.size(), 3000U);
  EXPECT_EQ(std::string(out[1999].src_country.data(), 2), "DE");
  EXPECT_EQ(std::string(out[2000].src_country.data(), 2), "FR");
  EXPECT_EQ(out[2000].src_as, 64501U);
  EXPECT_EQ(text_of(texts, out[2999].src_as_name), "New");
  EXPECT_EQ(enricher.stats().reloads, 1U);

  dir.write("bad.mmdb", "half a file");
  std::filesystem::rename(dir / "bad.mmdb", file);
  enricher.tick(now);
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("keeping the database loaded before"), std::string::npos) << warnings[0];
  enricher.enrich(batch, out);
  EXPECT_EQ(std::string(out.back().src_country.data(), 2), "FR");
  EXPECT_EQ(enricher.stats().refused_reloads, 1U);
  enricher.tick(now);  // the same bad file is not warned about again
  EXPECT_EQ(warnings.size(), 1U);
}

TEST_F(GeoIpTest, AsnModesKeepOrReplaceTheExportersAs) {
  const auto file = dir / "asn.mmdb";
  test::write_ipinfo_database(file, {{"192.0.2.0/24", "DE|AS64500|Example"}});
  FlowRecord sent = flow_from("192.0.2.1", "203.0.113.1");
  sent.src_as = 65000;
  sent.set_present(Element::src_as);
  sent.dst_as = 0;
  sent.set_present(Element::dst_as);  // v5 always carries an AS: 0 is "none"
  auto run = [&](AsnSource mode) {
    Enricher enricher(geo_settings(file, mode), texts);
    std::vector<FlowRecord> out;
    enricher.enrich(std::span(&sent, 1), out);
    return out.at(0);
  };
  const FlowRecord keep = run(AsnSource::exporter_or_geoip);
  EXPECT_EQ(keep.src_as, 65000U);
  EXPECT_EQ(keep.src_as_name, 0U);          // the organisation is 64500's, not 65000's
  EXPECT_FALSE(keep.has(Element::dst_as));  // 203.0.113.1: no database knows it
  EXPECT_EQ(keep.dst_country, (std::array<char, 2>{}));
  const FlowRecord geo = run(AsnSource::geoip);
  EXPECT_EQ(geo.src_as, 64500U);
  EXPECT_EQ(text_of(texts, geo.src_as_name), "Example");
  const FlowRecord exporter = run(AsnSource::exporter);
  EXPECT_EQ(exporter.src_as, 65000U);
  EXPECT_TRUE(exporter.has(Element::dst_as));
  EXPECT_EQ(exporter.dst_as, 0U);
  EXPECT_EQ(std::string(exporter.src_country.data(), 2), "DE");
}

}  // namespace
}  // namespace sluice::enrichment
