// The sampling library: counts, statistics, flow consistency, composition.
#include "sluice/sampling/sampling.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace sluice;
using namespace sluice::sampling;

namespace {

// n flows with distinct random 5-tuples and heavy-tailed sizes (Pareto with
// alpha 2.5: a long tail, but a finite variance for the 3-sigma checks).
std::vector<FlowRecord> flows(std::size_t n, std::uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<FlowRecord> out(n);
  for (auto& r : out) {
    r.src_addr = IpAddress::v4(static_cast<std::uint32_t>(rng()));
    r.dst_addr = IpAddress::v4(static_cast<std::uint32_t>(rng()));
    r.src_port = static_cast<std::uint16_t>(rng());
    r.dst_port = static_cast<std::uint16_t>(rng());
    r.proto = rng() % 2 ? 6 : 17;
    r.packets = 1 + static_cast<std::uint64_t>(std::pow(1 - u(rng), -1 / 2.5));
    r.bytes = r.packets * (40 + rng() % 1460);
  }
  return out;
}

std::vector<FlowRecord> run(Sampler& s, std::span<const FlowRecord> in, std::size_t batch = 1000) {
  std::vector<FlowRecord> out;
  for (std::size_t i = 0; i < in.size(); i += batch) s.sample(in.subspan(i, std::min(batch, in.size() - i)), out);
  return out;
}

Settings with(Mode mode, std::uint32_t n, bool renormalize = false, std::uint64_t seed = 1) {
  Settings s;
  s.mode = mode;
  s.interval = n;
  s.renormalize = renormalize;
  s.seed = seed;
  return s;
}

// |kept - n p| within 3 standard deviations of a binomial(n, p).
void expect_binomial(std::size_t kept, std::size_t n, double p) {
  const double sd = std::sqrt(n * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(kept), n * p, 3 * sd) << "kept " << kept << " of " << n;
}

}  // namespace

TEST(Systematic, KeepsExactlyOneInNAcrossBatchesOfAnySize) {
  const auto in = flows(10'007);
  for (std::uint32_t n : {1u, 2u, 10u, 97u, 20'000u}) {
    Sampler s(with(Mode::systematic, n));
    std::vector<FlowRecord> out;
    std::size_t done = 0, step = 1;
    while (done < in.size()) {  // uneven batches: 1, 2, 3, ...
      const std::size_t take = std::min(step++, in.size() - done);
      s.sample(std::span(in).subspan(done, take), out);
      done += take;
    }
    const std::size_t floor = in.size() / n, ceil = (in.size() + n - 1) / n;
    EXPECT_TRUE(out.size() == floor || out.size() == ceil) << "N=" << n << " kept " << out.size();
  }
}

TEST(Systematic, ARatioKeepsThatFractionEvenlySpaced) {
  Settings settings = with(Mode::systematic, 1);
  settings.ratio = 0.3;
  Sampler s(settings);
  const auto out = run(s, flows(100'000));
  EXPECT_NEAR(static_cast<double>(out.size()), 30'000, 1);
}

TEST(Random, IsDeterministicForAFixedSeed) {
  const auto in = flows(50'000);
  Sampler a(with(Mode::random, 10, false, 42)), b(with(Mode::random, 10, false, 42)),
      c(with(Mode::random, 10, false, 43));
  const auto out_a = run(a, in), out_b = run(b, in, 333), out_c = run(c, in);
  EXPECT_EQ(out_a, out_b);
  EXPECT_NE(out_a, out_c);
}

TEST(Random, KeepsOneInNWithinThreeSigmaOverAMillionRecords) {
  const auto in = flows(1'000'000);
  for (std::uint32_t n : {2u, 10u, 100u}) {
    Sampler s(with(Mode::random, n));
    expect_binomial(run(s, in).size(), in.size(), 1.0 / n);
  }
}

TEST(Hash, KeepsOneInNWithinThreeSigmaOverAMillionFlows) {
  const auto in = flows(1'000'000);
  for (std::uint32_t n : {2u, 10u, 100u}) {
    Sampler s(with(Mode::hash, n));
    expect_binomial(run(s, in).size(), in.size(), 1.0 / n);
  }
}

TEST(Hash, KeepsFlowsWholeAcrossBatchesAndRestarts) {
  // Each flow appears 5 times, in different batches; a second sampler (a
  // restart) decides the same.
  const auto distinct = flows(20'000);
  std::vector<FlowRecord> in;
  for (int round = 0; round < 5; ++round)
    for (auto r : distinct) {
      r.bytes += round;  // same flow key, other counters
      in.push_back(r);
    }
  Sampler first(with(Mode::hash, 10)), restarted(with(Mode::hash, 10));
  const auto out = run(first, in, 777);
  EXPECT_EQ(out.size() % 5, 0u);
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint16_t, std::uint16_t>, int> seen;
  for (const auto& r : out) ++seen[{r.src_addr.v4_value(), r.dst_addr.v4_value(), r.src_port, r.dst_port}];
  for (const auto& [key, count] : seen) EXPECT_EQ(count, 5);
  EXPECT_EQ(run(restarted, in, 5000), out);
}

TEST(Hash, AChosenKeyKeepsHostsWhole) {
  Settings settings = with(Mode::hash, 4);
  settings.key = {KeyField::src_addr};
  Sampler s(settings);
  auto in = flows(10'000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i].src_addr = IpAddress::v4(static_cast<std::uint32_t>(i % 100));
  const auto out = run(s, in);
  std::set<std::uint32_t> hosts;
  for (const auto& r : out) hosts.insert(r.src_addr.v4_value());
  EXPECT_EQ(out.size(), hosts.size() * 100) << "every flow of a kept host is kept";
}

TEST(Renormalize, TotalsAreUnbiasedWithinThreeSigmaAndOnePercent) {
  const auto in = flows(1'000'000);
  for (Mode mode : {Mode::random, Mode::hash, Mode::systematic}) {
    const std::uint32_t n = 10;
    Sampler s(with(mode, n, true));
    const auto out = run(s, in);
    for (auto counter : {&FlowRecord::packets, &FlowRecord::bytes}) {
      double truth = 0, sum_squares = 0, estimate = 0;
      for (const auto& r : in) truth += r.*counter, sum_squares += double(r.*counter) * double(r.*counter);
      for (const auto& r : out) estimate += r.*counter;
      // Bernoulli(p) sampling scaled by 1/p: variance = sum x^2 (1 - p) / p.
      const double sd = std::sqrt(sum_squares * (n - 1));
      EXPECT_NEAR(estimate, truth, 3 * sd) << "mode " << int(mode);
      if (3 * sd < 0.01 * truth) {
        EXPECT_NEAR(estimate, truth, 0.01 * truth) << "mode " << int(mode);
      }
    }
  }
}

TEST(Renormalize, OffLeavesCountersButStillRecordsTheInterval) {
  Sampler s(with(Mode::systematic, 10));
  auto in = flows(100);
  const auto out = run(s, in);
  ASSERT_EQ(out.size(), 10u);
  EXPECT_EQ(out[0].packets, in[0].packets);
  EXPECT_EQ(out[0].sampling_interval, 10u);
}

TEST(Composition, MultipliesTheExportersIntervalAndASecondSamplers) {
  auto in = flows(10'000);
  for (auto& r : in) r.sampling_interval = 100;  // the exporter sampled 1:100
  Sampler first(with(Mode::systematic, 10, true)), second(with(Mode::hash, 5, true));
  const auto once = run(first, in);
  const auto twice = run(second, once);
  ASSERT_FALSE(twice.empty());
  EXPECT_EQ(once[0].sampling_interval, 1000u);
  EXPECT_EQ(once[0].packets, in[0].packets * 10);
  for (const auto& r : twice) EXPECT_EQ(r.sampling_interval, 5000u);
  const auto& original = *std::find_if(in.begin(), in.end(), [&](const FlowRecord& r) {
    return r.src_addr == twice[0].src_addr && r.dst_port == twice[0].dst_port;
  });
  EXPECT_EQ(twice[0].bytes, original.bytes * 50);
}

TEST(Settings, RejectsZeroIntervalAndRatiosOutsideZeroOne) {
  EXPECT_THROW(Sampler(with(Mode::systematic, 0)), std::invalid_argument);
  for (double bad : {0.0, -0.5, 1.5}) {
    Settings s;
    s.ratio = bad;
    EXPECT_THROW(Sampler{s}, std::invalid_argument) << bad;
  }
  EXPECT_EQ(parse_key_field("src_port"), KeyField::src_port);
  EXPECT_EQ(parse_key_field("sport"), std::nullopt);
  EXPECT_EQ(parse_mode("hash"), Mode::hash);
}
