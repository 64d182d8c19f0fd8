#include "mmdb.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "process.h"

namespace sluice::enrichment::test {

namespace {

constexpr const char* city_writer = R"PERL(
use strict; use warnings; use MaxMind::DB::Writer::Tree;
my ($out, $list, $count, $seed) = @ARGV; srand($seed);
my %types = (country => 'map', iso_code => 'utf8_string', autonomous_system_number => 'uint32',
  autonomous_system_organization => 'utf8_string', city => 'map', names => 'map', en => 'utf8_string',
  subdivisions => ['array', 'map']);
my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6, record_size => 28, database_type => 'GeoLite2-City',
  languages => ['en'], description => {en => 'sluice test'}, remove_reserved_networks => 0,
  map_key_type_callback => sub { $types{$_[0]} });
my @cc = qw(DE FR US NL GB JP BR IN ZA AU);
open my $l, '>', $list or die;
my @nets = ('10.0.0.0/8', '2001:db8::/32');
for my $i (1 .. $count - 2) {
  if ($i % 4 == 0) {
    push @nets, sprintf('2001:db8:%x:%x::/%d', int(rand(65536)), int(rand(65536)), 33 + int(rand(32)));
  } elsif ($i % 5 == 0) {
    push @nets, sprintf('10.%d.%d.0/%d', int(rand(256)), int(rand(256)), 12 + int(rand(13)));
  } else {
    push @nets, sprintf('%d.%d.%d.0/%d', 11 + int(rand(212)), int(rand(256)), int(rand(256)), 8 + int(rand(17)));
  }
}
for my $net (@nets) {
  my $rec = {country => {iso_code => $cc[rand @cc]}, autonomous_system_number => 64500 + int(rand(500)),
    autonomous_system_organization => 'Org ' . int(rand(300))};
  $rec->{city} = {names => {en => 'City ' . int(rand(100))}} if rand() < 0.7;
  $rec->{subdivisions} = [{names => {en => 'Region ' . int(rand(20))}}] if rand() < 0.5;
  $t->insert_network($net, $rec);
  print $l "$net\n";
}
open my $fh, '>', $out or die; $t->write_tree($fh);
)PERL";

constexpr const char* ipinfo_writer = R"PERL(
use strict; use warnings; use MaxMind::DB::Writer::Tree;
my ($out, @rows) = @ARGV;
my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6, record_size => 28, database_type => 'ipinfo country_asn.mmdb',
  languages => ['en'], description => {en => 'sluice test'}, remove_reserved_networks => 0,
  map_key_type_callback => sub { 'utf8_string' });
while (my ($net, $country, $asn, $name) = splice(@rows, 0, 4)) {
  my %record = (country => $country, asn => $asn, name => $name);
  delete @record{grep { $record{$_} eq '' } keys %record};
  $t->insert_network($net, \%record);
}
open my $fh, '>', $out or die; $t->write_tree($fh);
)PERL";

constexpr const char* reader = R"PERL(
use strict; use warnings; use MaxMind::DB::Reader;
my $r = MaxMind::DB::Reader->new(file => $ARGV[0]);
while (my $a = <STDIN>) {
  chomp $a;
  my $x = $r->record_for_address($a) // {};
  print join("\t", $x->{country}{iso_code} // '', $x->{autonomous_system_number} // 0,
    $x->{autonomous_system_organization} // '', $x->{city}{names}{en} // '',
    ($x->{subdivisions} // [{}])->[0]{names}{en} // ''), "\n";
}
)PERL";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

std::vector<std::string> write_city_asn_database(const std::filesystem::path& file, int networks, int seed) {
  const testing::TempDir scripts;
  const auto list = scripts / "networks.txt";
  const auto result = testing::run({"perl", scripts.write("writer.pl", city_writer).string(), file.string(),
                                    list.string(), std::to_string(networks), std::to_string(seed)});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return lines_of(testing::read_file(list));
}

void write_ipinfo_database(const std::filesystem::path& file,
                           const std::vector<std::pair<std::string, std::string>>& network_country_asn_name) {
  const testing::TempDir scripts;
  std::vector<std::string> argv{"perl", scripts.write("writer.pl", ipinfo_writer).string(), file.string()};
  for (const auto& [network, rest] : network_country_asn_name) {
    argv.push_back(network);
    // country|asn|name, any of them empty
    const auto first = rest.find('|'), second = rest.find('|', first + 1);
    argv.push_back(rest.substr(0, first));
    argv.push_back(rest.substr(first + 1, second - first - 1));
    argv.push_back(rest.substr(second + 1));
  }
  const auto result = testing::run(argv);
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

std::vector<std::string> perl_reader_answers(const std::filesystem::path& file,
                                             const std::vector<std::string>& addresses) {
  const testing::TempDir scripts;
  std::string input;
  for (const auto& a : addresses) input += a + "\n";
  const auto in = scripts.write("addresses.txt", input);
  const auto result = testing::run({"sh", "-c", "perl \"$0\" \"$1\" < \"$2\"",
                                    scripts.write("reader.pl", reader).string(), file.string(), in.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return lines_of(result.out);
}

std::string mmdblookup(const std::filesystem::path& file, const std::string& address, const std::string& path) {
  std::vector<std::string> argv{"mmdblookup", "--file", file.string(), "--ip", address};
  std::istringstream keys(path);
  for (std::string key; keys >> key;) argv.push_back(key);
  const auto result = testing::run(argv);
  return result.exit_code == 0 ? result.out : "";
}

std::string random_address_in(const std::string& prefix, unsigned long long random) {
  const auto slash = prefix.find('/');
  const std::string network = prefix.substr(0, slash);
  const unsigned length = static_cast<unsigned>(std::stoul(prefix.substr(slash + 1)));
  unsigned char bytes[16] = {};
  const bool v4 = network.find(':') == std::string::npos;
  inet_pton(v4 ? AF_INET : AF_INET6, network.c_str(), bytes);
  const unsigned bits = v4 ? 32 : 128;
  for (unsigned bit = length; bit < bits; ++bit, random = random * 6364136223846793005ULL + 1442695040888963407ULL)
    if ((random >> 33) & 1) bytes[bit / 8] |= static_cast<unsigned char>(0x80U >> (bit % 8));
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
  return text;
}

}  // namespace sluice::enrichment::test
