#include "quantize/bias_correction.h"

#include <gtest/gtest.h>

#include <cmath>

#include "quantize/hessian.h"
#include "quantize/kmeans.h"
#include "synthetic_layer.h"

namespace kinglet::compression::quantize {
namespace {

// Mean over the calibration samples of (W x) - (W_hat x + correction), per output channel.
std::vector<double> MeanShift(const Matrix& w, const Matrix& w_hat, const std::vector<float>& correction,
                              const Matrix& x) {
  std::vector<double> shift(static_cast<size_t>(w.rows), 0.0);
  for (int64_t s = 0; s < x.rows; ++s) {
    for (int64_t r = 0; r < w.rows; ++r) {
      double d = 0.0;
      for (int64_t j = 0; j < w.cols; ++j) d += (static_cast<double>(w(r, j)) - w_hat(r, j)) * x(s, j);
      shift[r] += (d - (correction.empty() ? 0.0 : correction[r])) / x.rows;
    }
  }
  return shift;
}

TEST(BiasCorrectionTest, ZeroesTheMeanOutputShift) {
  const Matrix x = testing::CorrelatedInputs(3000, 40, 31, 2.0f);  // inputs with a large mean
  const Matrix w = testing::RandomGaussian(12, 40, 32, 0.2f);
  auto book = KMeansQuantize(w, {2, KMeansInit::kLinear, 300});  // coarse: a visible shift
  ASSERT_TRUE(book.ok());
  const Matrix w_hat = book->Decode();
  HessianAccumulator acc(40);
  ASSERT_TRUE(acc.AddRows(x).ok());
  auto correction = BiasCorrection(w, w_hat, acc.Mean());
  ASSERT_TRUE(correction.ok());
  const std::vector<double> before = MeanShift(w, w_hat, {}, x);
  const std::vector<double> after = MeanShift(w, w_hat, *correction, x);
  double max_before = 0.0;
  for (int64_t r = 0; r < 12; ++r) {
    max_before = std::max(max_before, std::fabs(before[r]));
    EXPECT_NEAR(after[r], 0.0, 1e-5 * (1.0 + std::fabs(before[r]))) << "channel " << r;
  }
  EXPECT_GT(max_before, 0.05);  // the test is meaningful: there was a shift to remove
}

TEST(BiasCorrectionTest, NoChangeNoCorrection) {
  const Matrix w = testing::RandomGaussian(3, 4, 33);
  auto c = BiasCorrection(w, w, {1.0, 2.0, 3.0, 4.0});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, std::vector<float>(3, 0.0f));
}

TEST(BiasCorrectionTest, RejectsShapeMismatch) {
  const Matrix w = testing::RandomGaussian(3, 4, 34);
  EXPECT_FALSE(BiasCorrection(w, w, {1.0, 2.0}).ok());
  EXPECT_FALSE(BiasCorrection(w, Matrix(3, 5), {1.0, 2.0, 3.0, 4.0}).ok());
}

}  // namespace
}  // namespace kinglet::compression::quantize
