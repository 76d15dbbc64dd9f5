// The 2-D float MaxPool against the reference on random geometries (strides, dilations, pads
// up to windows that fall wholly in the padding) and with NaNs in the input, compared bit for
// bit: both must pick the same element.
#include "kernels/max_pool_2d.h"
#include "runtime/thread_pool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace kinglet::kernels {
namespace {

// Random input (one value in `nan_every` a NaN) pooled by MaxPool2d on one thread and on a pool
// of 3, each compared with the reference bit for bit.
void ExpectMatchesReference(const reference::PoolParams& p, std::mt19937& rng, int nan_every, int trial) {
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  std::uniform_int_distribution<int> nan(0, nan_every - 1);
  std::vector<float> x(p.planes * p.in_spatial[0] * p.in_spatial[1]);
  for (float& v : x) v = nan(rng) == 0 ? std::nanf("") : value(rng);
  const size_t out_count = p.planes * p.out_spatial[0] * p.out_spatial[1];
  std::vector<float> expected(out_count), got(out_count), got_threads(out_count);
  reference::MaxPool(p, x.data(), expected.data(), nullptr);
  std::vector<unsigned char> scratch(MaxPool2dScratchBytes(p, 3));
  runtime::ThreadPool pool(3);
  MaxPool2d(p, x.data(), got.data(), nullptr, scratch.data());
  MaxPool2d(p, x.data(), got_threads.data(), &pool, scratch.data());
  ASSERT_EQ(std::memcmp(expected.data(), got.data(), out_count * sizeof(float)), 0) << "trial " << trial;
  ASSERT_EQ(std::memcmp(expected.data(), got_threads.data(), out_count * sizeof(float)), 0)
      << "trial " << trial << " on 3 threads";
}

TEST(MaxPool2dTest, RandomGeometriesMatchTheReferenceBitForBit) {
  std::mt19937 rng(31);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 300; ++trial) {
    reference::PoolParams p;
    p.planes = pick(1, 4);
    for (int d = 0; d < 2; ++d) {
      const int64_t in = pick(1, 40), kernel = pick(1, 4), stride = pick(1, 3), dilation = pick(1, 2);
      const int64_t pad_begin = pick(0, kernel - 1), pad_end = pick(0, kernel - 1);
      const int64_t span = (kernel - 1) * dilation + 1;
      const int64_t out = (in + pad_begin + pad_end - span) / stride + 1;
      if (out < 1) {
        --d;
        continue;
      }
      p.in_spatial.push_back(in);
      p.out_spatial.push_back(out);
      p.kernel.push_back(kernel);
      p.strides.push_back(stride);
      p.dilations.push_back(dilation);
      p.pads_begin.push_back(pad_begin);
      p.pads_end.push_back(pad_end);
    }
    ASSERT_TRUE(MaxPool2dApplies(p));
    ExpectMatchesReference(p, rng, 16, trial);
  }
}

// LeNet's 2x2 stride-2 pool (a path of its own) on even and odd sizes, and in ceil mode (an odd
// size's last window cut), NaNs included.
TEST(MaxPool2dTest, TwoByTwoStrideTwoMatchesTheReferenceBitForBit) {
  std::mt19937 rng(32);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 100; ++trial) {
    reference::PoolParams p;
    p.planes = pick(1, 7);
    p.in_spatial = {pick(2, 29), pick(2, 29)};
    p.kernel = p.strides = {2, 2};
    p.dilations = {1, 1};
    p.pads_begin = {0, 0};
    const bool ceil_mode = trial % 2 == 1;
    for (int d = 0; d < 2; ++d) {
      p.pads_end.push_back(ceil_mode ? p.in_spatial[d] % 2 : 0);
      p.out_spatial.push_back((p.in_spatial[d] + p.pads_end[d]) / 2);
    }
    ExpectMatchesReference(p, rng, 10, trial);
  }
}

// SqueezeNet's and ResNet's 3x3 stride-2 pools, padded or in ceil mode (a cut last window), NaNs
// included.
TEST(MaxPool2dTest, ThreeByThreeStrideTwoMatchesTheReferenceBitForBit) {
  std::mt19937 rng(33);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 100; ++trial) {
    reference::PoolParams p;
    p.planes = pick(1, 5);
    p.kernel = {3, 3};
    p.strides = {2, 2};
    p.dilations = {1, 1};
    for (int d = 0; d < 2; ++d) {
      const int64_t in = pick(3, 40), pad = pick(0, 1), ceil_extra = pick(0, 1);
      p.in_spatial.push_back(in);
      p.pads_begin.push_back(pad);
      p.pads_end.push_back(pad + ceil_extra);
      p.out_spatial.push_back((in + 2 * pad + ceil_extra - 3) / 2 + 1);
    }
    ExpectMatchesReference(p, rng, 10, trial);
  }
}

TEST(MaxPool2dTest, OnlyTwoSpatialAxes) {
  reference::PoolParams p;
  p.kernel = {2};
  EXPECT_FALSE(MaxPool2dApplies(p));
  p.kernel = {2, 2, 2};
  EXPECT_FALSE(MaxPool2dApplies(p));
}

}  // namespace
}  // namespace kinglet::kernels
