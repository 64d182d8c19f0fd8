// The enrich plugin through the real CLI: bad options and files are errors
// that name them; flows pass through it whole.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "mmdb.h"
#include "process.h"
#include "summary.h"

using namespace sluice::testing;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

std::string pipeline(const std::string& enrich_lines) {
  return "[sources.gen]\nplugin = \"generator\"\ncount = 20000\nrate = 0\n"
         "[transforms.e]\nplugin = \"enrich\"\ninputs = [\"gen\"]\n" +
         enrich_lines + "\n[sinks.csv]\nplugin = \"csv_writer\"\ninputs = [\"e\"]\npath = \"flows.csv\"\n";
}

struct BadOption {
  std::string name, lines, key, message;
};
void PrintTo(const BadOption& c, std::ostream* os) { *os << c.name; }

class EnrichOptions : public ::testing::TestWithParam<BadOption> {};

TEST_P(EnrichOptions, AreRejectedWithFileLineAndKey) {
  TempDir dir;
  const auto r = run_sluice({"validate", dir.write("p.toml", pipeline(GetParam().lines)).string()});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("p.toml:"), HasSubstr(GetParam().key), HasSubstr(GetParam().message)));
}

INSTANTIATE_TEST_SUITE_P(
    EveryClass, EnrichOptions,
    ::testing::Values(
        BadOption{"NothingToDo", "asn = \"geoip\"", "transforms.e.geo_database", "nothing to do"},
        BadOption{"HostBits", "[[transforms.e.networks]]\nprefix = \"10.0.0.1/8\"", "transforms.e.networks[0].prefix",
                  "bits set past its length"},
        BadOption{"BadCountry", "[[transforms.e.networks]]\nprefix = \"10.0.0.0/8\"\ncountry = \"DEU\"",
                  "transforms.e.networks[0].country", "not a two-letter code"},
        BadOption{"BadExporter", "[[transforms.e.exporters]]\naddress = \"edge1\"", "transforms.e.exporters[0].address",
                  "not an IPv4 or IPv6 address"},
        BadOption{"BackwardsRange", "[[transforms.e.interfaces]]\nexporter = \"192.0.2.1\"\nindex = 9\nlast_index = 3",
                  "transforms.e.interfaces[0].last_index", "must be >= index"},
        BadOption{"BadBoundary", "snmp_community = \"public\"\nboundary = [{ match = \"^x\", value = \"outside\" }]",
                  "transforms.e.boundary[0].value", "give \"external\" or \"internal\""},
        BadOption{"BadRegex", "snmp_community = \"public\"\nconnectivity = [{ match = \"(\", value = \"x\" }]",
                  "transforms.e.connectivity[0].match", "not a regular expression"},
        BadOption{"UnknownAsnMode", "geo_database = \"g.mmdb\"\nasn = \"bgp\"", "transforms.e.asn", "\"bgp\""}),
    [](const auto& info) { return info.param.name; });

// A missing or bad file stops the start naming its option and the file, as a
// configuration error (exit 78): no flow moves.
TEST(EnrichPlugin, AMissingDatabaseOrNetworksFileStopsTheStartNamingIt) {
  TempDir dir;
  dir.write("bad.csv", "prefix,name\n10.0.0.1/8,x\n");
  for (const auto& [lines, message] :
       {std::pair{"geo_database = \"no-such.mmdb\"", "geo_database: no-such.mmdb: cannot open as a MaxMind DB"},
        std::pair{"asn_database = \"bad.csv\"", "asn_database: bad.csv: cannot open as a MaxMind DB"},
        std::pair{"networks_file = \"bad.csv\"", "networks_file: bad.csv:2:"}}) {
    const auto r = run_sluice({"run", dir.write("p.toml", pipeline(lines)).string()}, {.cwd = dir.path(), .env = {}});
    EXPECT_EQ(r.exit_code, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr(message));
    // Sinks start first (a header may be written); no flow went through.
    const std::string csv = std::filesystem::exists(dir / "flows.csv") ? read_file(dir / "flows.csv") : "";
    EXPECT_LE(std::count(csv.begin(), csv.end(), '\n'), 1);
  }
}

TEST(EnrichPlugin, PassesEveryFlowAndReportsItsLookups) {
  TempDir dir;
  sluice::enrichment::test::write_ipinfo_database(dir / "geo.mmdb", {{"10.0.0.0/8", "DE|AS64500|Example"}});
  const auto r = run_sluice({"run",
                             dir.write("p.toml", pipeline("geo_database = \"geo.mmdb\"\n"
                                                          "[[transforms.e.networks]]\n"
                                                          "prefix = \"10.1.0.0/16\"\nname = \"office\"\n"))
                                 .string(),
                             "--stats-interval", "0"},
                            {.cwd = dir.path(), .env = {}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file(dir / "flows.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 20001);  // a header and every flow
  EXPECT_THAT(r.err, HasSubstr("40000 addresses looked up"));
}

// The rows of a CSV file without its header, sorted.
std::vector<std::string> rows_of(const std::filesystem::path& file) {
  std::vector<std::string> rows;
  std::istringstream in(read_file(file));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) rows.push_back(line);
  std::sort(rows.begin(), rows.end());
  return rows;
}

// The filter's words for the enrichment's fields on what enrich filled in
// from a file MaxMind's Perl writer built: each filter keeps exactly the
// flows whose country or AS organisation is the one it names.
TEST(EnrichPlugin, TheFilterSelectsFlowsByCountryAndAsName) {
  TempDir dir;
  sluice::enrichment::test::write_ipinfo_database(
      dir / "geo.mmdb", {{"10.0.0.0/9", "DE|AS64500|Example"}, {"10.128.0.0/9", "FR|AS64501|Exemple FR/Paris"}});
  const std::string fields = "fields = [\"src_addr\", \"dst_addr\", \"src_port\", \"src_country\", \"src_as_name\"]\n";
  const auto sink = [&](const std::string& name, const std::string& input) {
    return "[sinks." + name + "]\nplugin = \"csv_writer\"\ninputs = [\"" + input + "\"]\npath = \"" + name +
           ".csv\"\n" + fields;
  };
  const auto filter = [](const std::string& name, const std::string& expression) {
    return "[transforms." + name + "]\nplugin = \"filter\"\ninputs = [\"e\"]\nexpression = \"" + expression + "\"\n";
  };
  const std::string toml =
      "[sources.gen]\nplugin = \"generator\"\ncount = 20000\nrate = 0\n"
      "[transforms.e]\nplugin = \"enrich\"\ninputs = [\"gen\"]\ngeo_database = \"geo.mmdb\"\nasn = \"geoip\"\n" +
      filter("in_de", "src country de") + filter("in_fr", "src as name 'Exemple FR/Paris'") + sink("all", "e") +
      sink("de", "in_de") + sink("fr", "in_fr");
  const auto r =
      run_sluice({"run", dir.write("p.toml", toml).string(), "--stats-interval", "0"}, {.cwd = dir.path(), .env = {}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto all = rows_of(dir / "all.csv");
  ASSERT_EQ(all.size(), 20000u);
  std::vector<std::string> de, fr;
  for (const auto& row : all) {
    const bool low_half = row.starts_with("10.") && std::stoi(row.substr(3)) < 128;
    const bool high_half = row.starts_with("10.") && !low_half;
    // src_addr,dst_addr,src_port,src_country,src_as_name
    EXPECT_EQ(row.ends_with(",DE,Example"), low_half) << row;
    EXPECT_EQ(row.ends_with(",FR,Exemple FR/Paris"), high_half) << row;
    if (low_half) de.push_back(row);
    if (high_half) fr.push_back(row);
  }
  EXPECT_GT(de.size(), 1000u);
  EXPECT_GT(fr.size(), 1000u);
  EXPECT_LT(de.size() + fr.size(), all.size()) << "some flows come from outside 10/8";
  EXPECT_EQ(rows_of(dir / "de.csv"), de);
  EXPECT_EQ(rows_of(dir / "fr.csv"), fr);
}

// Whether a running sluice logs `text` (within 30 s).
bool logs(const Process& sluice, const std::string& text) {
  return eventually([&] { return sluice.err_so_far().find(text) != std::string::npos; }, std::chrono::seconds(30));
}

// SIGHUP reaches transforms: enrich reads its networks file again even when
// it looks unchanged (rewritten in place, same size, modification time put
// back), and the flows after carry the new names.
TEST(EnrichPlugin, SighupReadsTheNetworksFileAgain) {
  TempDir dir;
  const auto networks = dir.write("networks.csv", "prefix,name\n10.0.0.0/8,before\n");
  const std::string toml =
      "[sources.gen]\nplugin = \"generator\"\ncount = 0\nrate = 2000\n"
      "[transforms.e]\nplugin = \"enrich\"\ninputs = [\"gen\"]\nnetworks_file = \"networks.csv\"\n"
      "[sinks.csv]\nplugin = \"csv_writer\"\ninputs = [\"e\"]\npath = \"flows.csv\"\n"
      "fields = [\"src_addr\", \"src_net_name\"]\n";
  Process sluice({sluice_exe(), "run", dir.write("p.toml", toml).string(), "--stats-interval", "0"},
                 {.cwd = dir.path(), .env = {}});
  // csv_writer writes flows.csv.tmp and renames it at a rotation (SIGHUP) or the end.
  const auto csv_has = [&](const std::string& text) {
    for (const char* name : {"flows.csv.tmp", "flows.csv"})
      if (read_file(dir / name).find(text) != std::string::npos) return true;
    return false;
  };

  ASSERT_TRUE(eventually([&] { return csv_has(",before\n"); }, std::chrono::seconds(30))) << sluice.err_so_far();
  const auto mtime = std::filesystem::last_write_time(networks);
  dir.write("networks.csv", "prefix,name\n10.0.0.0/8,second\n");
  std::filesystem::last_write_time(networks, mtime);
  sluice.signal(SIGHUP);
  ASSERT_TRUE(logs(sluice, "networks.csv: reloaded (1 networks)")) << sluice.err_so_far();
  EXPECT_TRUE(eventually([&] { return csv_has(",second\n"); }, std::chrono::seconds(30))) << sluice.err_so_far();
  sluice.signal(SIGTERM);
  const auto r = sluice.wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(read_file(dir / "flows.csv"), HasSubstr(",second\n"));
}

// The last `bytes` bytes of a file (fewer when it is shorter; none when it is missing).
std::string tail_of(const std::filesystem::path& file, std::streamoff bytes) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - bytes));
  return {std::istreambuf_iterator<char>(in), {}};
}

// A database replaced by rename (as geoipupdate does) while about a million
// flows a second pass through a running `sluice run`: the flows before the
// reload have the old file's answers (DE), every one after it the new
// file's (FR), and none is lost: the CSV holds what the generator sent.
TEST(EnrichPlugin, ADatabaseReplacedWhileAMillionFlowsASecondPassLosesNone) {
  TempDir dir;
  sluice::enrichment::test::write_ipinfo_database(dir / "geo.mmdb", {{"0.0.0.0/1", "DE||"}, {"128.0.0.0/1", "DE||"}});
  sluice::enrichment::test::write_ipinfo_database(dir / "new.mmdb", {{"0.0.0.0/1", "FR||"}, {"128.0.0.0/1", "FR||"}});
  const std::string toml =
      "[sources.gen]\nplugin = \"generator\"\ncount = 0\nrate = 1000000\nipv6_ratio = 0\n"
      "[transforms.e]\nplugin = \"enrich\"\ninputs = [\"gen\"]\ngeo_database = \"geo.mmdb\"\n"
      "[sinks.csv]\nplugin = \"csv_writer\"\ninputs = [\"e\"]\npath = \"flows.csv\"\nfields = [\"src_country\"]\n";
  Process sluice(
      {sluice_exe(), "run", dir.write("p.toml", toml).string(), "--stats-interval", "0", "--summary", "json"},
      {.cwd = dir.path(), .env = {}});
  // The last rows csv_writer wrote (to NAME.tmp until the run ends) hold `row`.
  const auto lately = [&](const std::string& row) {
    return tail_of(dir / "flows.csv.tmp", 64).find(row) != std::string::npos;
  };
  ASSERT_TRUE(eventually([&] { return lately("DE\n"); }, std::chrono::seconds(30))) << sluice.err_so_far();
  std::filesystem::rename(dir / "new.mmdb", dir / "geo.mmdb");
  ASSERT_TRUE(logs(sluice, "geo.mmdb: reloaded")) << sluice.err_so_far();
  ASSERT_TRUE(eventually([&] { return lately("FR\n"); }, std::chrono::seconds(30))) << sluice.err_so_far();
  sluice.signal(SIGTERM);
  const auto r = sluice.wait(std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::ifstream csv(dir / "flows.csv");
  std::string line;
  ASSERT_TRUE(std::getline(csv, line));
  EXPECT_EQ(line, "src_country");
  std::uint64_t old_answers = 0, new_answers = 0, others = 0;
  while (std::getline(csv, line)) {
    if (line == "DE" && new_answers == 0)
      ++old_answers;
    else if (line == "FR")
      ++new_answers;
    else
      ++others;  // an old answer after a new one, or none
  }
  EXPECT_GT(old_answers, 0u);
  EXPECT_GT(new_answers, 0u);
  EXPECT_EQ(others, 0u);
  const auto summary = parse_summary(r.err);
  ASSERT_TRUE(summary) << r.err;
  EXPECT_EQ(old_answers + new_answers, summary->component("gen").records_out) << "every flow the generator sent";
  EXPECT_EQ(summary->component("csv").lost, 0u);
  RecordProperty("flows", std::to_string(old_answers + new_answers));
  RecordProperty("flows_per_second", std::to_string(static_cast<std::uint64_t>(
                                         static_cast<double>(old_answers + new_answers) / summary->wall_time_s)));
}

}  // namespace
