#include "quantize/sensitivity_scan.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kinglet::compression::quantize {
namespace {

// Accuracy flat up to 70% sparsity, then falling 1 point per 1% sparsity.
double Curve(float s) { return 0.90 - (s > 0.7f ? (s - 0.7f) : 0.0f); }

TEST(SensitivityScanTest, PicksLargestSparsityWithinTolerance) {
  std::vector<float> calls;
  auto r = ScanSensitivity({0.9f, 0.5f, 0.7f, 0.8f, 0.6f, 0.75f, 0.5f}, {0.005, true}, [&](float s) {
    calls.push_back(s);
    return Curve(s);
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(r->baseline, 0.90);
  EXPECT_FLOAT_EQ(r->chosen_sparsity, 0.7f);
  // Baseline first, ascending, deduplicated, stopping after the first failure (0.75).
  EXPECT_EQ(calls, (std::vector<float>{0.0f, 0.5f, 0.6f, 0.7f, 0.75f}));
  ASSERT_EQ(r->points.size(), 4u);
  EXPECT_FALSE(r->points.back().within_tolerance);
}

TEST(SensitivityScanTest, FullScanSeesPastANonMonotoneDip) {
  auto eval = [](float s) { return std::fabs(s - 0.6f) < 1e-6f ? 0.5 : 0.9; };
  auto stop = ScanSensitivity({0.5f, 0.6f, 0.7f}, {0.01, true}, eval);
  auto full = ScanSensitivity({0.5f, 0.6f, 0.7f}, {0.01, false}, eval);
  ASSERT_TRUE(stop.ok() && full.ok());
  EXPECT_FLOAT_EQ(stop->chosen_sparsity, 0.5f);
  EXPECT_FLOAT_EQ(full->chosen_sparsity, 0.7f);
  EXPECT_EQ(full->points.size(), 3u);
}

TEST(SensitivityScanTest, NothingPassesMeansZero) {
  auto r = ScanSensitivity({0.5f}, {0.0, true}, [](float s) { return 1.0 - s; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->chosen_sparsity, 0.0f);
}

TEST(SensitivityScanTest, RejectsBadInput) {
  auto eval = [](float) { return 1.0; };
  EXPECT_FALSE(ScanSensitivity({1.5f}, {}, eval).ok());
  EXPECT_FALSE(ScanSensitivity({0.5f}, {-1.0, true}, eval).ok());
  EXPECT_FALSE(ScanSensitivity({0.5f}, {}, nullptr).ok());
  // A callback that failed (NaN) must not be mistaken for a score.
  EXPECT_FALSE(ScanSensitivity({0.5f}, {}, [](float s) { return s > 0 ? std::nan("") : 1.0; }).ok());
}

}  // namespace
}  // namespace kinglet::compression::quantize
