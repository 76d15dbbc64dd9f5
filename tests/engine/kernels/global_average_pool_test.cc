// The fast GlobalAveragePool against the reference (which sums in double) on random plane counts
// and sizes (tails of the eight lanes, planes past a task's share), on one thread and on a pool;
// NaN and infinity propagate as in the reference.
#include "kernels/global_average_pool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/reference/pool.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

TEST(GlobalAveragePoolTest, RandomShapesMatchTheReference) {
  std::mt19937 rng(8);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  runtime::ThreadPool pool(3);
  for (int trial = 0; trial < 100; ++trial) {
    // Every fourth trial is large enough to be split across the pool.
    const int64_t planes = trial % 4 == 0 ? pick(200, 1100) : pick(1, 40);
    const int64_t plane_size = trial % 4 == 0 ? pick(49, 200) : pick(1, 300);
    std::vector<float> x(planes * plane_size);
    for (float& v : x) v = value(rng);
    std::vector<float> want(planes), got(planes, -7.0f);
    reference::GlobalAveragePool(planes, plane_size, x.data(), want.data());
    GlobalAveragePool(planes, plane_size, x.data(), got.data(), trial % 2 == 0 ? &pool : nullptr);
    for (int64_t p = 0; p < planes; ++p) {
      ASSERT_NEAR(got[p], want[p], 1e-5f)
          << "trial " << trial << " plane " << p << " of " << planes << " x " << plane_size;
    }
  }
}

TEST(GlobalAveragePoolTest, NonFiniteValuesPropagate) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x(3 * 20, 1.0f);
  x[5] = std::nanf("");  // plane 0
  x[20 + 19] = inf;      // plane 1, in the tail past the lanes
  x[40] = inf;           // plane 2: +inf and -inf
  x[41] = -inf;
  std::vector<float> y(3);
  GlobalAveragePool(3, 20, x.data(), y.data(), nullptr);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], inf);
  EXPECT_TRUE(std::isnan(y[2]));
}

}  // namespace
}  // namespace kinglet::kernels
