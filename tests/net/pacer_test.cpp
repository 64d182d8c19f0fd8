// The pacer on a clock of its own: sends follow arrivals evenly, a backlog
// clears within the drain time, and bursts stay within max_burst.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "bursts.h"
#include "sluice/net/pacer.h"

namespace sluice::net {
namespace {

using namespace std::chrono;
using Clock = Pacer::Clock;
using sluice::testing::densest;

// Runs the pacer as a sender would, one item per send, in 100 µs steps:
// `arrivals[i]` items arrive at the start of each 10 ms. Returns the send
// time of every item, in µs from the start.
std::vector<std::int64_t> run(Pacer& pacer, const std::vector<std::uint64_t>& arrivals, microseconds length) {
  const auto start = Clock::time_point{} + hours(1);
  std::vector<std::int64_t> sends;
  for (microseconds t{0}; t < length; t += microseconds(100)) {
    const auto now = start + t;
    if (t.count() % 10'000 == 0 && static_cast<std::size_t>(t.count() / 10'000) < arrivals.size())
      pacer.arrived(arrivals[static_cast<std::size_t>(t.count() / 10'000)], now);
    while (pacer.ready(now)) {
      pacer.sent(1);
      sends.push_back(t.count());
    }
    EXPECT_GE(pacer.next(now), now);
  }
  return sends;
}

TEST(Pacer, ABurstWithoutHistoryClearsWithinTheDrainTime) {
  Pacer pacer(8, milliseconds(500));
  const auto sends = run(pacer, {1000}, seconds(1));
  ASSERT_EQ(sends.size(), 1000u);
  EXPECT_LE(sends.back(), 510'000);
  EXPECT_GE(sends.back(), 450'000);          // spread, not all at once
  EXPECT_LE(densest(sends, 1000), 8u + 3u);  // max_burst, and the rate's share of a millisecond
  EXPECT_EQ(pacer.waiting(), 0u);
}

TEST(Pacer, SteadyArrivalsGoOutEvenlyAtTheirRate) {
  // 50 items every 10 ms: 5000 a second, for 3 s.
  Pacer pacer(4);
  const auto sends = run(pacer, std::vector<std::uint64_t>(300, 50), seconds(4));
  ASSERT_EQ(sends.size(), 15'000u);
  // Once the rate is known and the first second's backlog is gone (it
  // shrinks by e every drain / 2): about one item per 200 µs, never the whole
  // 10 ms arrival at once.
  std::vector<std::int64_t> later(std::find_if(sends.begin(), sends.end(), [](auto t) { return t >= 2'500'000; }),
                                  std::find_if(sends.begin(), sends.end(), [](auto t) { return t >= 3'000'000; }));
  EXPECT_NEAR(static_cast<double>(later.size()), 2500.0, 125.0);
  EXPECT_LE(densest(later, 2000), 4u + 12u);
  EXPECT_LE(sends.back(), 3'000'000 + 500'000);
}

TEST(Pacer, SendingMoreThanTheBucketHeldDelaysTheNext) {
  Pacer pacer(2, milliseconds(100));
  const auto now = Clock::time_point{} + hours(1);
  pacer.arrived(100, now);  // 1000 a second to clear it within 100 ms
  ASSERT_TRUE(pacer.ready(now));
  pacer.sent(12);  // a datagram of 12 items where the bucket held 2
  EXPECT_FALSE(pacer.ready(now));
  const auto next = pacer.next(now);
  EXPECT_GE(next - now, milliseconds(10));
  EXPECT_LE(next - now, milliseconds(12));
  EXPECT_TRUE(pacer.ready(next));
}

}  // namespace
}  // namespace sluice::net
