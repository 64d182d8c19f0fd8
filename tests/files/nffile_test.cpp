// The nfcapd file codec against itself and against nfdump 1.7.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include <algorithm>
#include <fstream>
#include <random>

#include "sluice/nffile/reader.h"
#include "sluice/nffile/writer.h"
#include "support.h"

namespace sluice::nffile {
namespace {

using test::TempDir;
using ::testing::HasSubstr;

std::vector<FlowRecord> read_all(const std::filesystem::path& file) {
  Reader reader(file);
  std::vector<FlowRecord> flows;
  while (reader.read_block(flows)) {
  }
  return flows;
}

void write_all(const std::filesystem::path& file, const std::vector<FlowRecord>& flows,
               const WriterOptions& options = {}) {
  Writer writer(file, options);
  writer.write(flows);
  writer.close();
}

// Four flows whose nfdump lines are written out by hand below.
std::vector<FlowRecord> hand_made_flows() {
  std::vector<FlowRecord> flows(4);
  auto& tcp = flows[0];
  tcp.first_ms = 1'700'000'000'123;  // 2023-11-14 22:13:20.123 UTC
  tcp.last_ms = 1'700'000'001'623;
  tcp.received_ms = 1'700'000'005'000;
  tcp.src_addr = IpAddress::v4(0x0a010203);
  tcp.dst_addr = IpAddress::v4(0xc000020a);
  tcp.src_port = 40000;
  tcp.dst_port = 443;
  tcp.proto = 6;
  tcp.tcp_flags = 0x1b;
  tcp.packets = 10;
  tcp.bytes = 5000;
  tcp.in_if = 3;
  tcp.out_if = 4;
  tcp.src_as = 64500;
  tcp.dst_as = 64501;
  tcp.src_mask = 24;
  tcp.dst_mask = 16;
  tcp.next_hop = IpAddress::v4(0xac100001);
  tcp.exporter = IpAddress::v4(0x7f000001);
  tcp.engine_type = 1;
  tcp.engine_id = 2;

  auto& udp6 = flows[1];
  const std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  const std::uint8_t nh[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::uint8_t ex[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99};
  udp6.first_ms = 1'700'000'060'000;
  udp6.last_ms = 1'700'000'060'250;
  udp6.received_ms = 1'700'000'061'000;
  udp6.src_addr = IpAddress::v6(a);
  udp6.dst_addr = IpAddress::v6(b);
  udp6.src_port = 53;
  udp6.dst_port = 5353;
  udp6.proto = 17;
  udp6.packets = 3;
  udp6.bytes = 300;
  udp6.reverse_packets = 2;
  udp6.reverse_bytes = 200;
  udp6.fwd_status = 64;
  udp6.tos = 16;
  udp6.dst_tos = 32;
  udp6.in_if = 1;
  udp6.out_if = 2;
  udp6.src_mask = 64;
  udp6.dst_mask = 48;
  udp6.direction = 1;
  udp6.next_hop = IpAddress::v6(nh);
  udp6.exporter = IpAddress::v6(ex);
  udp6.observation_domain = 7;
  udp6.sampling_interval = 100;

  auto& icmp = flows[2];
  icmp.first_ms = icmp.last_ms = 1'700'003'600'999;
  icmp.received_ms = 1'700'003'601'000;
  icmp.src_addr = IpAddress::v4(0x0a000001);
  icmp.dst_addr = IpAddress::v4(0x0a000002);
  icmp.proto = 1;
  icmp.dst_port = 3 << 8 | 1;
  icmp.packets = 1;
  icmp.bytes = 56;
  icmp.exporter = IpAddress::v4(0x7f000001);
  icmp.engine_type = 1;
  icmp.engine_id = 2;

  auto& other = flows[3];
  other.first_ms = 1'700'000'000'000;
  other.last_ms = 1'700'000'002'000;
  other.src_addr = IpAddress::v4(0xc0a80001);
  other.dst_addr = IpAddress::v4(0xc0a80002);
  other.proto = 200;
  other.packets = 4;
  other.bytes = 400;

  // What each flow has: what its file record holds (the misc element holds
  // interfaces, masks, direction and destination ToS together).
  constexpr Element misc[] = {Element::in_if,    Element::out_if,    Element::src_mask,
                              Element::dst_mask, Element::direction, Element::dst_tos};
  for (auto& f : flows)
    for (const Element e : {Element::received, Element::engine, Element::observation_domain}) f.set_present(e);
  for (auto* f : {&tcp, &udp6, &icmp}) f->set_present(Element::exporter);  // `other` has none
  for (auto* f : {&tcp, &udp6}) {
    for (const Element e : misc) f->set_present(e);
    f->set_present(Element::next_hop);
  }
  tcp.set_present(Element::src_as);
  tcp.set_present(Element::dst_as);
  udp6.set_present(Element::reverse_counters);
  udp6.set_present(Element::sampling);
  return flows;
}

const std::string no_macs_mpls_latency =
    "0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,"
    "0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,";

const std::vector<std::string> hand_made_nfdump_lines = {
    "2023-11-14 22:13:20,2023-11-14 "
    "22:13:21,1.500,10.1.2.3,192.0.2.10,40000,443,TCP,...AP.SF,0,0,10,5000,0,0,3,4,64500,"
    "64501,24,16,0,0,172.16.0.1,0.0.0.0," +
        no_macs_mpls_latency + "127.0.0.1,1/2,1,2023-11-14 22:13:25.000",
    "2023-11-14 22:14:20,2023-11-14 "
    "22:14:20,0.250,2001:db8::1,2001:db8::2,53,5353,UDP,........,64,16,3,300,2,200,1,2,0,0,"
    "64,48,32,1,fe80::1,0.0.0.0," +
        no_macs_mpls_latency + "2001:db8::99,0/0,2,2023-11-14 22:14:21.000",
    "2023-11-14 23:13:20,2023-11-14 23:13:20,0.000,10.0.0.1,10.0.0.2,0,769,ICMP,........,0,0,1,56,0,0,0,0,0,0,0,0,0,0,"
    "0.0.0.0,0.0.0.0," +
        no_macs_mpls_latency + "127.0.0.1,1/2,1,2023-11-14 23:13:21.000",
    "2023-11-14 22:13:20,2023-11-14 22:13:22,2.000,192.168.0.1,192.168.0.2,0,0,200  "
    ",........,0,0,4,400,0,0,0,0,0,0,0,0,0,"
    "0,0.0.0.0,0.0.0.0," +
        no_macs_mpls_latency + "0.0.0.0,0/0,3,1970-01-01 00:00:00.000",
};

class NffileTest : public ::testing::TestWithParam<Compression> {
 protected:
  WriterOptions options() const { return {GetParam(), "sluice-test"}; }
  TempDir dir;
};

TEST_P(NffileTest, NfdumpPrintsExactlyTheFlowsWeWrote) {
  const auto file = dir / "hand.nf";
  write_all(file, hand_made_flows(), options());
  EXPECT_EQ(test::nfdump_csv_lines(file), hand_made_nfdump_lines);
}

TEST_P(NffileTest, ReaderReturnsEveryFieldWeWrote) {
  const auto flows = test::sample_flows(30000);
  const auto file = dir / "sample.nf";
  Writer writer(file, options());
  writer.write(flows);
  writer.close();
  ASSERT_GT(writer.blocks(), 2u) << "the sample should span several blocks";

  EXPECT_EQ(read_all(file), flows);
  Reader reader(file);
  EXPECT_EQ(reader.compression(), GetParam());
  EXPECT_EQ(reader.blocks(), writer.blocks());
  EXPECT_TRUE(reader.has_appendix());
  EXPECT_EQ(reader.ident(), "sluice-test");
  EXPECT_EQ(reader.stats().flows, 30000u);
}

// binary_reader hands flows on in pieces smaller than a block: they must add
// up to the blocks, whatever the piece size, across block boundaries.
TEST_P(NffileTest, ReadingInPiecesGivesTheFlowsOfTheBlocksInOrder) {
  const auto flows = test::sample_flows(30000, 5);
  const auto file = dir / "pieces.nf";
  write_all(file, flows, options());
  for (const std::size_t piece : {std::size_t{1}, std::size_t{777}, std::size_t{2048}, std::size_t{100000}}) {
    Reader reader(file);
    std::vector<FlowRecord> read;
    std::size_t calls = 0;
    for (std::vector<FlowRecord> some; reader.read(some, piece); some.clear()) {
      EXPECT_LE(some.size(), piece);
      read.insert(read.end(), some.begin(), some.end());
      ++calls;
    }
    EXPECT_EQ(read, flows) << "pieces of " << piece;
    EXPECT_EQ(reader.blocks_read(), reader.blocks());
    EXPECT_GE(calls, (flows.size() + piece - 1) / piece) << "pieces of " << piece;
  }
}

TEST_P(NffileTest, NfdumpReadsEveryFlowAndTheAppendixOfALargeFile) {
  const auto flows = test::sample_flows(30000, 7);
  const auto file = dir / "large.nf";
  write_all(file, flows, options());

  EXPECT_EQ(test::nfdump_csv_lines(file).size(), flows.size());
  const auto info = testing::run({"nfdump", "-I", "-r", file.string()});
  ASSERT_EQ(info.exit_code, 0);
  std::uint64_t packets = 0, tcp = 0;
  for (const auto& f : flows) packets += f.packets + f.reverse_packets, tcp += f.proto == 6;
  EXPECT_THAT(info.out, HasSubstr("Ident: sluice-test\n"));
  EXPECT_THAT(info.out, HasSubstr("Flows: 30000\n"));
  EXPECT_THAT(info.out, HasSubstr("Flows_tcp: " + std::to_string(tcp) + "\n"));
  EXPECT_THAT(info.out, HasSubstr("Packets: " + std::to_string(packets) + "\n"));
}

// Copies the first `size` bytes of `from`, with the header of `header_from`:
// what a crash leaves on disk.
void copy_cut(const std::filesystem::path& from, std::size_t size, const std::filesystem::path& header_from,
              const std::filesystem::path& to) {
  const std::string data = testing::read_file(from).substr(0, size);
  const std::string header = testing::read_file(header_from).substr(0, 40);
  std::ofstream(to, std::ios::binary) << header << data.substr(header.size());
}

TEST_P(NffileTest, AFileCutAfterKBlocksReadsKBlocks) {
  const auto flows = test::sample_flows(40000, 3);
  const auto file = dir / "crash.nf";
  const std::size_t per_block = 5000;
  Writer writer(file, options());
  std::vector<std::filesystem::path> snapshots;  // the file as it was after block k
  for (std::size_t k = 0; k * per_block < flows.size(); ++k) {
    writer.write(std::span(flows).subspan(k * per_block, per_block));
    writer.flush();
    snapshots.push_back(dir / ("after-" + std::to_string(k + 1)));
    std::filesystem::copy_file(file, snapshots.back());
  }
  writer.close();
  ASSERT_EQ(writer.blocks(), 8u);

  const std::size_t k = 3;
  const auto after_k = std::filesystem::file_size(snapshots[k - 1]);
  const auto after_next = std::filesystem::file_size(snapshots[k]);
  const auto cut = dir / "cut";
  // The writer died halfway through block k + 1: header and k blocks are whole.
  copy_cut(snapshots[k], (after_k + after_next) / 2, snapshots[k - 1], cut);

  const std::vector<FlowRecord> first_k(flows.begin(), flows.begin() + k * per_block);
  EXPECT_EQ(read_all(cut), first_k);
  EXPECT_FALSE(Reader(cut).has_appendix());
  EXPECT_EQ(test::nfdump_csv_lines(cut).size(), first_k.size());
}

TEST_P(NffileTest, AFileCopiedWhileABlockIsUnderWayReadsTheWholeBlocksBeforeIt) {
  // An uncompressed block reaches the file in pieces, its header last: a
  // copy taken meanwhile (what a crash leaves) reads as the blocks before it.
  const auto flows = test::sample_flows(7000, 5);
  const auto file = dir / "live.nf";
  Writer writer(file, options());
  writer.write(std::span(flows).first(1000));
  writer.flush();
  const auto flushed = std::filesystem::file_size(file);
  writer.write(std::span(flows).subspan(1000));  // under 1 MiB: the next block is not complete
  const auto copy = dir / "copy.nf";
  std::filesystem::copy_file(file, copy);
  if (GetParam() == Compression::none) {
    EXPECT_GT(std::filesystem::file_size(copy), flushed) << "pieces of the block under way are in the file";
  }

  const std::vector<FlowRecord> first(flows.begin(), flows.begin() + 1000);
  EXPECT_EQ(read_all(copy), first);
  EXPECT_EQ(test::nfdump_csv_lines(copy).size(), first.size());
  writer.close();
  EXPECT_EQ(read_all(file), flows);
  EXPECT_EQ(test::nfdump_csv_lines(file).size(), flows.size());
}

// Runs encoded apart (a binary_writer worker's) and appended are the bytes
// of write() and flush() for each run: the workers' blocks where the file
// numbers the run's exporters as the run does, a new encoding where not.
TEST_P(NffileTest, RunsEncodedApartAreTheBytesOfWriteAndFlush) {
  auto flows = test::sample_flows(12000, 8);
  test::from_one_exporter(std::span(flows).first(6000));  // then several
  const std::size_t run = 1000;
  {
    Writer writer(dir / "direct.nf", options());
    for (std::size_t at = 0; at < flows.size(); at += run) {
      writer.write(std::span(flows).subspan(at, run));
      writer.flush();
    }
    writer.close();
  }
  Writer writer(dir / "apart.nf", options());
  RunEncoder encoder(GetParam());
  std::vector<bool> used;
  for (std::size_t at = 0; at < flows.size(); at += run) {
    const auto part = std::span(flows).subspan(at, run);
    used.push_back(writer.write(encoder.encode(part), part));
  }
  writer.close();
  EXPECT_TRUE(test::nfcapd_without_creation_time(dir / "apart.nf") ==
              test::nfcapd_without_creation_time(dir / "direct.nf"));
  EXPECT_FALSE(used[0]) << "the file's first run declares its exporter";
  EXPECT_EQ(std::count(used.begin(), used.begin() + 6, true), 5) << "one exporter: the encoded blocks serve";
  EXPECT_FALSE(used[6]) << "new exporters: encoded again";
  EXPECT_EQ(test::nfdump_csv_lines(dir / "apart.nf").size(), flows.size());
}

TEST_P(NffileTest, CorruptBytesAnywhereAreAFileErrorNeverACrash) {
  const auto good = dir / "good.nf";
  write_all(good, test::sample_flows(300), options());
  const std::string bytes = testing::read_file(good);
  std::mt19937 rng(7);
  const auto bad = dir / "bad.nf";
  int errors = 0;
  for (int round = 0; round < 500; ++round) {
    std::string copy = bytes;
    for (int flips = 0; flips < 4; ++flips) copy[rng() % copy.size()] = static_cast<char>(rng());
    std::ofstream(bad, std::ios::binary | std::ios::trunc) << copy;
    try {
      read_all(bad);
    } catch (const FileError& e) {
      ++errors;
      EXPECT_THAT(e.what(), HasSubstr(bad.string()));
    }
  }
  EXPECT_GT(errors, 0) << "some corruption must be detected";
}

INSTANTIATE_TEST_SUITE_P(Compression, NffileTest,
                         ::testing::Values(Compression::none, Compression::lz4, Compression::lzo, Compression::bz2),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(NffileReader, ATruncatedFileIsReportedWithItsNameAndOffset) {
  TempDir dir;
  const auto file = dir / "whole.nf";
  write_all(file, test::sample_flows(20000));
  const auto whole = testing::read_file(file);
  const auto cut = dir / "truncated.nf";
  std::ofstream(cut, std::ios::binary) << whole.substr(0, whole.size() / 2);

  Reader reader(cut);
  std::vector<FlowRecord> flows;
  try {
    while (reader.read_block(flows)) {
    }
    FAIL() << "a truncated file must not read to the end";
  } catch (const FileError& e) {
    EXPECT_THAT(e.what(), HasSubstr(cut.string() + ": at byte "));
    EXPECT_THAT(e.what(), HasSubstr("truncated"));
  }
  EXPECT_GT(flows.size(), 0u) << "the whole blocks before the cut still read";
}

TEST(NffileReader, AFileThatIsNotNfcapdIsRefusedByName) {
  TempDir dir;
  const auto file = dir / "text.nf";
  std::ofstream(file) << std::string(100, 'x');
  EXPECT_THAT([&] { Reader reader(file); },
              ::testing::ThrowsMessage<FileError>(HasSubstr(file.string() + ": at byte 0: not an nfcapd file")));
}

TEST(NffileReader, ReadsAFileRealNfcapdWrote) {
  TempDir dir;
  const auto file = test::capture_with_nfcapd(dir.path());
  ASSERT_FALSE(file.empty());
  const auto flows = read_all(file);
  const auto lines = test::nfdump_csv_lines(file);
  ASSERT_EQ(flows.size(), lines.size());
  ASSERT_GE(flows.size(), 40u);
  std::size_t v6 = 0;
  for (const auto& f : flows) {
    v6 += !f.src_addr.is_v4();
    EXPECT_EQ(f.exporter, IpAddress::v4(0x7f000001));
    EXPECT_GE(f.packets, 1u);
  }
  std::size_t v6_in_nfdump = 0;  // lines whose source address (4th column) is IPv6
  for (const auto& line : lines) {
    std::stringstream columns(line);
    std::string column;
    for (int i = 0; i < 4; ++i) std::getline(columns, column, ',');
    v6_in_nfdump += column.find(':') != std::string::npos;
  }
  EXPECT_GT(v6, 0u) << "the capture has IPv6 flows";
  EXPECT_EQ(v6, v6_in_nfdump);
  EXPECT_EQ(Reader(file).stats().flows, flows.size());
}

TEST(NffileReader, TakesTheSamplingIntervalFromNfcapdsSamplerRecord) {
  test::TempDir dir;
  const auto file = test::capture_with_nfcapd(dir.path(), {"-s", "-100"});  // nfcapd: every exporter samples 1 in 100
  ASSERT_FALSE(file.empty());
  const auto flows = read_all(file);
  ASSERT_GE(flows.size(), 40u);
  for (const auto& f : flows) {
    EXPECT_EQ(f.sampling_interval, 100u);
    EXPECT_EQ(f.packets % 100, 0u) << "nfcapd scales the counters it stores";
  }
}

TEST(NffileReader, RefusesAnUnknownCompressionMethodByNameAndReason) {
  TempDir dir;
  const auto file = dir / "method9.nf";
  write_all(file, test::sample_flows(10));
  std::string bytes = testing::read_file(file);
  bytes[16] = 9;  // the header's compression byte
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_THAT(
      [&] { Reader reader(file); },
      ::testing::ThrowsMessage<FileError>(HasSubstr(file.string() + ": at byte 16: unknown compression method 9")));
}

// The end reason and biflow direction share nfdump's misc element with
// values the flow may lack: a flow with only these two still gets the
// element, and nfdump reads each back in its place.
TEST(NffileWriter, NfdumpReadsTheEndReasonAndBiflowDirectionWeWrote) {
  TempDir dir;
  auto flow = hand_made_flows()[3];  // no interfaces, masks or direction
  flow.end_reason = 2;
  flow.biflow_direction = 1;
  const auto file = dir / "end_reason.nf";
  write_all(file, {flow});
  const auto raw = testing::run({"nfdump", "-q", "-r", file.string(), "-o", "raw"}).out;
  EXPECT_THAT(raw, HasSubstr("  Elements     =                 3: 1 2 4 \n"));
  EXPECT_THAT(raw, HasSubstr("  biFlow Dir   =              0x01 initiator\n"));
  EXPECT_THAT(raw, HasSubstr("  end reason   =              0x02 active timeout\n"));
  const auto back = read_all(file);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].end_reason, 2);
  EXPECT_EQ(back[0].biflow_direction, 1);
}

TEST(NffileWriter, AFullDiskIsReportedWithTheFileName) {
  std::vector<FlowRecord> flows = test::sample_flows(20000);
  EXPECT_THAT(
      [&] {
        Writer writer("/dev/full");
        writer.write(flows);
        writer.close();
      },
      ::testing::ThrowsMessage<FileError>(HasSubstr("/dev/full: cannot write: No space left on device")));
}

TEST(NffileWriter, AnUncreatableFileIsReportedWithItsName) {
  TempDir dir;
  const auto file = dir / "missing" / "x.nf";
  EXPECT_THAT(
      [&] { Writer writer(file); },
      ::testing::ThrowsMessage<FileError>(HasSubstr(file.string() + ": cannot create: No such file or directory")));
}

}  // namespace
}  // namespace sluice::nffile
