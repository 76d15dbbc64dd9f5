#include "quantize/int8.h"

#include <gtest/gtest.h>

#include <cmath>

#include "quantize/magnitude_prune.h"
#include "synthetic_layer.h"

namespace kinglet::compression::quantize {
namespace {

void ExpectWithinHalfStep(const Matrix& w, const Int8PerChannel& q) {
  const Matrix d = q.Dequantized();
  for (int64_t r = 0; r < w.rows; ++r) {
    const float scale = q.scales[r];
    EXPECT_GT(scale, 0.0f);
    EXPECT_GE(q.zero_points[r], -128);
    EXPECT_LE(q.zero_points[r], 127);
    for (int64_t c = 0; c < w.cols; ++c) {
      ASSERT_LE(std::fabs(w(r, c) - d(r, c)), 0.5f * scale * (1.0f + 1e-5f)) << r << "," << c;
      if (w(r, c) == 0.0f) {
        ASSERT_EQ(d(r, c), 0.0f) << "a pruned weight must dequantize to exactly 0";
      }
      if (q.mode == Int8Mode::kSymmetric) {
        ASSERT_GE(q.values[r * w.cols + c], -127);
      }
    }
  }
}

TEST(Int8Test, DequantErrorWithinHalfScale) {
  Matrix w = testing::RandomGaussian(16, 75, 21);
  for (int64_t c = 0; c < 75; ++c) w(3, c) = std::fabs(w(3, c)) + 0.5f;   // one-sided row
  for (int64_t c = 0; c < 75; ++c) w(4, c) = -std::fabs(w(4, c)) - 0.5f;  // one-sided negative
  for (int64_t c = 0; c < 75; ++c) w(5, c) = 0.0f;                        // dead channel
  auto pruned = MagnitudePrune(w, 0.5);
  ASSERT_TRUE(pruned.ok());
  for (const Matrix* m : {&w, &*pruned}) {
    for (Int8Mode mode : {Int8Mode::kSymmetric, Int8Mode::kAsymmetric}) {
      auto q = QuantizeInt8PerChannel(*m, mode);
      ASSERT_TRUE(q.ok());
      ExpectWithinHalfStep(*m, *q);
      if (mode == Int8Mode::kSymmetric) {
        for (int32_t zp : q->zero_points) EXPECT_EQ(zp, 0);
      }
    }
  }
}

TEST(Int8Test, AsymmetricHasFinerStepOnOneSidedRows) {
  Matrix w = testing::RandomGaussian(1, 64, 22);
  for (float& v : w.values) v = std::fabs(v);
  auto sym = QuantizeInt8PerChannel(w, Int8Mode::kSymmetric);
  auto asym = QuantizeInt8PerChannel(w, Int8Mode::kAsymmetric);
  ASSERT_TRUE(sym.ok() && asym.ok());
  EXPECT_NEAR(asym->scales[0] / sym->scales[0], 127.0 / 255.0, 1e-5);
  EXPECT_EQ(asym->zero_points[0], -128);
}

TEST(Int8Test, ExtremesHitTheGridEnds) {
  Matrix w(1, 3);
  w.values = {-2.0f, 0.0f, 1.0f};
  auto sym = QuantizeInt8PerChannel(w, Int8Mode::kSymmetric);
  ASSERT_TRUE(sym.ok());
  EXPECT_EQ(sym->values[0], -127);
  EXPECT_EQ(sym->values[1], 0);
  auto asym = QuantizeInt8PerChannel(w, Int8Mode::kAsymmetric);
  ASSERT_TRUE(asym.ok());
  EXPECT_EQ(asym->values[0], -128);
  EXPECT_EQ(asym->values[2], 127);
  EXPECT_EQ(asym->values[1], asym->zero_points[0]);
}

TEST(Int8Test, NearestGridValueClampsToChannelRange) {
  Matrix w(2, 2);
  w.values = {1.0f, -1.0f, 0.5f, 0.25f};
  auto q = QuantizeInt8PerChannel(w, Int8Mode::kSymmetric);
  ASSERT_TRUE(q.ok());
  EXPECT_FLOAT_EQ(NearestInt8GridValue(*q, 0, 5.0f), 1.0f);
  EXPECT_FLOAT_EQ(NearestInt8GridValue(*q, 1, -5.0f), -0.5f);
  EXPECT_FLOAT_EQ(NearestInt8GridValue(*q, 1, 0.0f), 0.0f);
}

TEST(Int8Test, RejectsNaN) {
  Matrix w(2, 2, 1.0f);
  w(1, 0) = INFINITY;
  EXPECT_FALSE(QuantizeInt8PerChannel(w, Int8Mode::kSymmetric).ok());
}

}  // namespace
}  // namespace kinglet::compression::quantize
