#include "runtime/memory_plan.h"

#include <gtest/gtest.h>

#include <random>

namespace kinglet::runtime {
namespace {

// The one property that matters: buffers alive at the same step never share bytes.
void ExpectNoLiveOverlap(const std::vector<BufferRequest>& reqs, const MemoryPlan& plan) {
  for (size_t a = 0; a < reqs.size(); ++a) {
    EXPECT_LE(plan.offsets[a] + reqs[a].bytes, plan.arena_bytes);
    EXPECT_EQ(plan.offsets[a] % 64, 0u);
    for (size_t b = a + 1; b < reqs.size(); ++b) {
      const bool same_time = !(reqs[a].last_use < reqs[b].first_use || reqs[b].last_use < reqs[a].first_use);
      const bool same_bytes = plan.offsets[a] < plan.offsets[b] + reqs[b].bytes &&
                              plan.offsets[b] < plan.offsets[a] + reqs[a].bytes;
      EXPECT_FALSE(same_time && same_bytes && reqs[a].bytes && reqs[b].bytes) << "buffers " << a << " and " << b;
    }
  }
}

TEST(GreedyBySizePlanner, ChainReusesMemory) {
  // A chain a -> b -> c -> d: only two neighbours are alive at once.
  std::vector<BufferRequest> reqs = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  MemoryPlan plan = GreedyBySizePlanner().Plan(reqs, 64);
  ExpectNoLiveOverlap(reqs, plan);
  EXPECT_EQ(plan.arena_bytes, 2 * 1024u);
}

TEST(GreedyBySizePlanner, RandomLifetimesNeverOverlap) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferRequest> reqs(1 + rng() % 40);
    size_t total = 0;
    for (auto& r : reqs) {
      r.bytes = rng() % 5000;
      r.first_use = static_cast<int>(rng() % 30);
      r.last_use = r.first_use + static_cast<int>(rng() % 8);
      total += (r.bytes + 63) / 64 * 64;
    }
    MemoryPlan plan = GreedyBySizePlanner().Plan(reqs, 64);
    ExpectNoLiveOverlap(reqs, plan);
    EXPECT_LE(plan.arena_bytes, total);
  }
}

}  // namespace
}  // namespace kinglet::runtime
