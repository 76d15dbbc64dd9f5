#include "quantize/activation_range.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

namespace kinglet::compression::quantize {
namespace {

std::vector<float> Gaussian(int n, uint32_t seed, float mean = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(mean, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(ActivationRangeTest, MinMaxIsExactAcrossBatches) {
  ActivationRangeObserver obs;
  const std::vector<float> a = {0.5f, -0.25f, 3.0f}, b = {-7.5f, 1.0f}, c = {2.0f};
  ASSERT_TRUE(obs.Observe(a.data(), 3).ok());
  ASSERT_TRUE(obs.Observe(b.data(), 2).ok());
  ASSERT_TRUE(obs.Observe(c.data(), 1).ok());
  EXPECT_EQ(obs.count(), 6);
  EXPECT_EQ(obs.MinMax().min, -7.5f);
  EXPECT_EQ(obs.MinMax().max, 3.0f);
}

TEST(ActivationRangeTest, RangeAlwaysContainsZero) {
  ActivationRangeObserver obs;
  const std::vector<float> v = {2.0f, 3.0f, 4.0f};  // all positive: min must still be 0
  ASSERT_TRUE(obs.Observe(v.data(), 3).ok());
  EXPECT_EQ(obs.MinMax().min, 0.0f);
  EXPECT_EQ(obs.Percentile(99.0).min, 0.0f);
  EXPECT_EQ(obs.MseOptimal().min, 0.0f);
}

TEST(ActivationRangeTest, PercentileMatchesGaussianQuantiles) {
  ActivationRangeObserver obs;
  // Many batches with growing range: histogram re-binning must not distort the quantiles.
  for (uint32_t b = 0; b < 20; ++b) {
    std::vector<float> v = Gaussian(10000, 100 + b);
    for (float& x : v) x *= 0.1f * (b + 1) / 20.0f * 10.0f;  // std grows from 0.05 to 1.0
    ASSERT_TRUE(obs.Observe(v.data(), static_cast<int64_t>(v.size())).ok());
  }
  ActivationRangeObserver single;
  const std::vector<float> g = Gaussian(200000, 7);
  ASSERT_TRUE(single.Observe(g.data(), static_cast<int64_t>(g.size())).ok());
  const ActivationRange r = single.Percentile(95.0);  // 5% per tail: +-1.645 sigma
  EXPECT_NEAR(r.max, 1.645f, 0.03f);
  EXPECT_NEAR(r.min, -1.645f, 0.03f);
  const ActivationRange all = single.Percentile(100.0);
  EXPECT_LE(all.max, single.MinMax().max);
  EXPECT_NEAR(all.max, single.MinMax().max, 0.01f);
  const ActivationRange mixed = obs.Percentile(99.0);
  EXPECT_GT(mixed.max, 0.0f);
  EXPECT_LT(mixed.max, obs.MinMax().max);
}

TEST(ActivationRangeTest, ClippingIgnoresAnOutlier) {
  ActivationRangeObserver obs;
  std::vector<float> v = Gaussian(100000, 8);
  for (float& x : v) x = std::max(x, 0.0f);  // ReLU output
  v[500] = 1000.0f;                          // one outlier
  ASSERT_TRUE(obs.Observe(v.data(), static_cast<int64_t>(v.size())).ok());
  EXPECT_EQ(obs.MinMax().max, 1000.0f);
  const ActivationRange p = obs.Percentile(99.99);
  EXPECT_GT(p.max, 3.0f);
  EXPECT_LT(p.max, 5.0f);
  // MSE keeps a lone outlier: clipping it would cost (1000 - c)^2, more than the rounding noise
  // that range adds to 1e5 values. That is the right call for MSE; percentile is the robust option.
  EXPECT_GT(obs.MseOptimal(256).max, 900.0f);
}

// Mean squared error of actually quantizing `v` with `levels` levels over range r.
double QuantizationMse(const std::vector<float>& v, ActivationRange r, int levels) {
  const double scale = (static_cast<double>(r.max) - r.min) / (levels - 1);
  double e = 0.0;
  for (float x : v) {
    const double c = std::clamp<double>(x, r.min, r.max);
    const double q = r.min + std::round((c - r.min) / scale) * scale;
    e += (x - q) * (x - q);
  }
  return e / v.size();
}

TEST(ActivationRangeTest, MseClippingBeatsMinMaxOnHeavyTails) {
  // Laplace-distributed activations (heavy tails, like pre-activation sums): clipping pays.
  std::mt19937 rng(9);
  std::exponential_distribution<float> expo(1.0f);
  std::vector<float> v(200000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = (i % 2 ? 1.0f : -1.0f) * expo(rng);
  ActivationRangeObserver obs;
  ASSERT_TRUE(obs.Observe(v.data(), static_cast<int64_t>(v.size())).ok());
  for (int levels : {16, 256}) {
    const ActivationRange mse = obs.MseOptimal(levels);
    const double e_mse = QuantizationMse(v, mse, levels);
    const double e_minmax = QuantizationMse(v, obs.MinMax(), levels);
    std::printf("[ measured ] Laplace, %d levels: range %.2f (min/max %.2f), MSE %.3g vs min/max %.3g\n",
                levels, mse.max, obs.MinMax().max, e_mse, e_minmax);
    EXPECT_LT(mse.max, obs.MinMax().max);
    EXPECT_LT(e_mse, e_minmax);
  }
}

TEST(ActivationRangeTest, MseKeepsFullRangeForUniformData) {
  ActivationRangeObserver obs;
  std::vector<float> v(100000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = -1.0f + 2.0f * static_cast<float>(i) / v.size();
  ASSERT_TRUE(obs.Observe(v.data(), static_cast<int64_t>(v.size())).ok());
  const ActivationRange mse = obs.MseOptimal(256);
  EXPECT_GT(mse.max, 0.97f);
  EXPECT_LT(mse.min, -0.97f);
}

TEST(ActivationRangeTest, RejectsNaNWithoutRecording) {
  ActivationRangeObserver obs;
  const std::vector<float> v = {1.0f, std::nanf(""), 2.0f};
  const Status s = obs.Observe(v.data(), 3, "conv3 output");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("conv3 output"), std::string::npos);
  EXPECT_EQ(obs.count(), 0);
  EXPECT_EQ(obs.MinMax().max, 0.0f);
}

TEST(ActivationRangeTest, EmptyObserver) {
  ActivationRangeObserver obs;
  EXPECT_EQ(obs.Percentile(99.9).max, 0.0f);
  EXPECT_EQ(obs.MseOptimal().max, 0.0f);
}

TEST(Int8AffineTest, ZeroIsExactAndEndpointsFit) {
  for (ActivationRange r :
       {ActivationRange{-1.0f, 3.0f}, ActivationRange{0.0f, 6.0f}, ActivationRange{-2.0f, 0.5f}}) {
    const Int8Affine a = AffineFromRange(r, false);
    EXPECT_GT(a.scale, 0.0f);
    const float q_lo = r.min / a.scale + a.zero_point, q_hi = r.max / a.scale + a.zero_point;
    EXPECT_GE(q_lo, -128.5f);
    EXPECT_LE(q_hi, 127.5f);
    // real 0 maps to the integer zero_point: exact.
    EXPECT_EQ(a.scale * static_cast<float>(a.zero_point - a.zero_point), 0.0f);
  }
  const Int8Affine s = AffineFromRange({-1.0f, 3.0f}, true);
  EXPECT_EQ(s.zero_point, 0);
  EXPECT_FLOAT_EQ(s.scale, 3.0f / 127.0f);
  EXPECT_EQ(AffineFromRange({0.0f, 0.0f}, false).scale, 1.0f);
}

}  // namespace
}  // namespace kinglet::compression::quantize
