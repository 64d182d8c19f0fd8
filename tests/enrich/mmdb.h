// Test support: MaxMind DB files written by Debian's libmaxmind-db-writer-perl
// (MaxMind's own writer, independent of libmaxminddb) and read back by its
// Perl reader and by mmdblookup.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sluice::enrichment::test {

// A database in GeoLite2-City's layout (country.iso_code, city.names.en,
// subdivisions[0].names.en, autonomous_system_number/_organization) with
// `networks` random IPv4 and IPv6 networks (a quarter IPv6, some nested),
// 10/8 and 2001:db8::/32 among them; `seed` repeats it. Returns the
// networks written ("a.b.c.d/n").
std::vector<std::string> write_city_asn_database(const std::filesystem::path& file, int networks, int seed);

// A database in IPinfo's flat layout: country, asn ("AS64500"), name.
void write_ipinfo_database(const std::filesystem::path& file,
                           const std::vector<std::pair<std::string, std::string>>& network_country_asn_name);

// What MaxMind's Perl reader says of each address: "country\tasn\torg\tcity\tregion".
std::vector<std::string> perl_reader_answers(const std::filesystem::path& file,
                                             const std::vector<std::string>& addresses);

// mmdblookup's text for the address (the whole record), "" when not found.
std::string mmdblookup(const std::filesystem::path& file, const std::string& address, const std::string& path = "");

// A random address inside "a.b.c.d/n" or "x:y::/n".
std::string random_address_in(const std::string& prefix, unsigned long long random);

}  // namespace sluice::enrichment::test
