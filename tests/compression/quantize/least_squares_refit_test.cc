#include "quantize/least_squares_refit.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "quantize/magnitude_prune.h"
#include "quantize/sparsegpt.h"
#include "synthetic_layer.h"

namespace kinglet::compression::quantize {
namespace {

TEST(LeastSquaresRefitTest, SolvesTheNormalEquationsOnTheMask) {
  const Matrix x = testing::CorrelatedInputs(300, 12, 61, 0.5f);
  const MatrixD h = testing::HessianOf(x);
  const Matrix w = testing::RandomGaussian(5, 12, 62);
  auto mask = MagnitudePruneMask(w, 0.5);
  ASSERT_TRUE(mask.ok());
  const double damp = 0.01;
  auto refit = RefitKeptWeights(w, *mask, h, {damp});
  ASSERT_TRUE(refit.ok()) << refit.status().ToString();
  double mean_diag = 0.0;
  for (int64_t i = 0; i < 12; ++i) mean_diag += h(i, i) / 12;
  // Stationarity on S: (H (w' - w))_S + lambda (w' - w)_S = 0; exact zeros off S.
  for (int64_t r = 0; r < 5; ++r) {
    for (int64_t i = 0; i < 12; ++i) {
      if (!(*mask)(r, i)) {
        EXPECT_EQ((*refit)(r, i), 0.0f);
        continue;
      }
      double g = damp * mean_diag * ((*refit)(r, i) - w(r, i));
      for (int64_t j = 0; j < 12; ++j) g += h(i, j) * ((*refit)(r, j) - w(r, j));
      EXPECT_NEAR(g, 0.0, 1e-4 * mean_diag) << r << "," << i;
    }
  }
}

TEST(LeastSquaresRefitTest, PolishesMagnitudeAndSparseGptMasks) {
  const Matrix all = testing::CorrelatedInputs(4096 + 2048, 128, 63);
  const Matrix x = testing::RowSlice(all, 0, 4096), held_out = testing::RowSlice(all, 4096, all.rows);
  const MatrixD h = testing::HessianOf(x);
  const Matrix w = testing::RandomGaussian(48, 128, 64);
  const double energy = testing::OutputEnergy(w, held_out);
  for (double sparsity : {0.5, 0.8}) {
    auto magnitude = MagnitudePrune(w, sparsity);
    auto sparsegpt = SparseGptPrune(w, h, sparsity);
    ASSERT_TRUE(magnitude.ok() && sparsegpt.ok());
    auto refit_mag = RefitKeptWeights(w, NonzeroMask(*magnitude), h);
    auto refit_sgpt = RefitKeptWeights(w, NonzeroMask(*sparsegpt), h);
    ASSERT_TRUE(refit_mag.ok() && refit_sgpt.ok());
    const double e_mag = testing::OutputError(w, *magnitude, held_out) / energy;
    const double e_mag_refit = testing::OutputError(w, *refit_mag, held_out) / energy;
    const double e_sgpt = testing::OutputError(w, *sparsegpt, held_out) / energy;
    const double e_sgpt_refit = testing::OutputError(w, *refit_sgpt, held_out) / energy;
    std::printf(
        "[ measured ] sparsity %.0f%%: magnitude %.4f, magnitude+refit %.4f, SparseGPT %.4f, "
        "SparseGPT+refit %.4f\n",
        100 * sparsity, e_mag, e_mag_refit, e_sgpt, e_sgpt_refit);
    EXPECT_LT(e_mag_refit, 0.5 * e_mag);
    EXPECT_LE(e_sgpt_refit, e_sgpt * 1.001);
    EXPECT_EQ(testing::CountZeros(*refit_sgpt), testing::CountZeros(*sparsegpt));
  }
}

TEST(LeastSquaresRefitTest, DenseMaskReturnsTheWeights) {
  const MatrixD h = testing::HessianOf(testing::CorrelatedInputs(200, 10, 65));
  const Matrix w = testing::RandomGaussian(4, 10, 66);
  auto refit = RefitKeptWeights(w, Mask(4, 10, 1), h);
  ASSERT_TRUE(refit.ok());
  for (size_t i = 0; i < w.values.size(); ++i) EXPECT_NEAR(refit->values[i], w.values[i], 1e-4);
}

TEST(LeastSquaresRefitTest, EmptyRowsAndBadInput) {
  const MatrixD h = testing::HessianOf(testing::CorrelatedInputs(200, 10, 67));
  const Matrix w = testing::RandomGaussian(3, 10, 68);
  Mask mask(3, 10, 1);
  for (int64_t c = 0; c < 10; ++c) mask(1, c) = 0;
  auto refit = RefitKeptWeights(w, mask, h);
  ASSERT_TRUE(refit.ok());
  for (int64_t c = 0; c < 10; ++c) EXPECT_EQ((*refit)(1, c), 0.0f);
  EXPECT_FALSE(RefitKeptWeights(w, Mask(3, 9, 1), h).ok());
  EXPECT_FALSE(RefitKeptWeights(w, mask, MatrixD(9, 9, 0.0)).ok());
  EXPECT_FALSE(RefitKeptWeights(w, mask, h, {-1.0}).ok());
}

}  // namespace
}  // namespace kinglet::compression::quantize
