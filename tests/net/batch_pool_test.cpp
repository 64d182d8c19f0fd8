// sluice::net::BatchPool: a batch comes back once every holder has let go.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sluice/net/batch_pool.h"

namespace {

using sluice::BatchPtr;
using sluice::net::BatchPool;

TEST(BatchPool, GivesAnEmptyBatchWithRoomForTheRecords) {
  BatchPool pool(4096);
  auto batch = pool.get();
  EXPECT_TRUE(batch->records.empty());
  EXPECT_TRUE(batch->events.empty());
  EXPECT_GE(batch->records.capacity(), 4096u);
}

TEST(BatchPool, RefillsABatchOnlyOnceNobodyElseHoldsIt) {
  BatchPool pool(16);
  auto first = pool.get();
  first->records.resize(3);
  first->add_event({});
  const sluice::Batch* address = first.get();
  BatchPtr downstream = std::move(first);  // emitted: a sink holds it
  auto second = pool.get();
  EXPECT_NE(second.get(), address) << "handed out while still in use";
  EXPECT_EQ(downstream->records.size(), 3u) << "a batch in use was changed";
  second.reset();
  downstream.reset();  // the sink is done with it
  auto again = pool.get();
  EXPECT_EQ(again.get(), address);
  EXPECT_TRUE(again->records.empty());
  EXPECT_TRUE(again->events.empty());
}

TEST(BatchPool, KeepsAtMostItsLimitAndStillHandsOutMore) {
  BatchPool pool(8, 2);
  std::vector<BatchPtr> in_use;
  in_use.reserve(5);
  for (int i = 0; i < 5; ++i) in_use.push_back(pool.get());
  for (std::size_t i = 0; i < in_use.size(); ++i)
    for (std::size_t j = i + 1; j < in_use.size(); ++j) EXPECT_NE(in_use[i].get(), in_use[j].get());
  const sluice::Batch* pooled = in_use[0].get();
  in_use.clear();
  EXPECT_EQ(pool.get().get(), pooled);
}

TEST(BatchPool, NeverHandsOutABatchAnotherThreadStillReads) {
  BatchPool pool(1024, 2);
  for (int round = 0; round < 50; ++round) {
    auto batch = pool.get();
    ASSERT_TRUE(batch->records.empty());
    batch->records.resize(1024);
    for (auto& r : batch->records) r.packets = static_cast<std::uint64_t>(round);
    const sluice::Batch* held_address = batch.get();
    std::atomic<bool> done{false};
    std::thread sink([held = BatchPtr(std::move(batch)), round, &done] {
      for (int pass = 0; pass < 20; ++pass)
        for (const auto& r : held->records) ASSERT_EQ(r.packets, static_cast<std::uint64_t>(round));
      done = true;
    });
    while (!done) {
      auto other = pool.get();
      if (!done) {
        ASSERT_NE(other.get(), held_address);
      }
      other->records.assign(8, sluice::FlowRecord{});
    }
    sink.join();
  }
}

}  // namespace
