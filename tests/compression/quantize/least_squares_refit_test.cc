#include "quantize/least_squares_refit.h"

#include <gtest/gtest.h>

#include <cmath>
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

// Output of W on inputs `a` against W' on inputs `b` (paired rows): E||W' b - W a||^2.
double MovedOutputError(const Matrix& w, const Matrix& a, const Matrix& w_hat, const Matrix& b) {
  double total = 0.0;
  for (int64_t s = 0; s < a.rows; ++s) {
    for (int64_t r = 0; r < w.rows; ++r) {
      double d = 0.0;
      for (int64_t j = 0; j < w.cols; ++j) d += double(w_hat(r, j)) * b(s, j) - double(w(r, j)) * a(s, j);
      total += d * d;
    }
  }
  return total / static_cast<double>(a.rows);
}

// Upstream compression as the layer sees it: every input row passed through a fixed random
// distortion (I + E), as pruning the previous layer would mix and shrink its features.
Matrix Distort(const Matrix& x, uint32_t seed) {
  const Matrix e = testing::RandomGaussian(x.cols, x.cols, seed, 0.15f / std::sqrt(float(x.cols)));
  Matrix out(x.rows, x.cols);
  for (int64_t s = 0; s < x.rows; ++s) {
    for (int64_t i = 0; i < x.cols; ++i) {
      double acc = x(s, i);
      for (int64_t j = 0; j < x.cols; ++j) acc += double(e(i, j)) * x(s, j);
      out(s, i) = static_cast<float>(acc);
    }
  }
  return out;
}

Matrix OutputsOf(const Matrix& w, const Matrix& x) {  // y = W x per row: [n, rows]
  Matrix y(x.rows, w.rows);
  for (int64_t s = 0; s < x.rows; ++s) {
    for (int64_t r = 0; r < w.rows; ++r) {
      double acc = 0.0;
      for (int64_t j = 0; j < w.cols; ++j) acc += double(w(r, j)) * x(s, j);
      y(s, r) = static_cast<float>(acc);
    }
  }
  return y;
}

TEST(LeastSquaresRefitTest, RefitToTargetsWithUnmovedInputsIsTheRefit) {
  const Matrix x = testing::CorrelatedInputs(500, 24, 69);
  const Matrix w = testing::RandomGaussian(6, 24, 70);
  const MatrixD h = testing::HessianOf(x);
  auto mask = MagnitudePruneMask(w, 0.6);
  auto xty = CrossMoment(x, OutputsOf(w, x));
  ASSERT_TRUE(mask.ok() && xty.ok());
  auto plain = RefitKeptWeights(w, *mask, h);
  auto targets = RefitToTargets(w, *mask, h, *xty);
  ASSERT_TRUE(plain.ok() && targets.ok()) << targets.status().ToString();
  for (size_t i = 0; i < w.values.size(); ++i) EXPECT_NEAR(targets->values[i], plain->values[i], 1e-3);
}

TEST(LeastSquaresRefitTest, RefitToTargetsAbsorbsUpstreamError) {
  const Matrix all = testing::CorrelatedInputs(4096 + 2048, 96, 71);
  const Matrix moved_all = Distort(all, 72);
  const Matrix x = testing::RowSlice(all, 0, 4096), held_out = testing::RowSlice(all, 4096, all.rows);
  const Matrix xm = testing::RowSlice(moved_all, 0, 4096),
               held_out_m = testing::RowSlice(moved_all, 4096, all.rows);
  const Matrix w = testing::RandomGaussian(32, 96, 73);
  const double energy = testing::OutputEnergy(w, held_out);
  auto sparse = SparseGptPrune(w, testing::HessianOf(x), 0.7);
  ASSERT_TRUE(sparse.ok());
  const Mask mask = NonzeroMask(*sparse);
  // Refit as if the input had not moved, refit on the moved inputs' H alone, refit to targets.
  auto unaware = RefitKeptWeights(w, mask, testing::HessianOf(x));
  auto moved_h = RefitKeptWeights(w, mask, testing::HessianOf(xm));
  auto xty = CrossMoment(xm, OutputsOf(w, x));
  ASSERT_TRUE(unaware.ok() && moved_h.ok() && xty.ok());
  auto aware = RefitToTargets(w, mask, testing::HessianOf(xm), *xty);
  ASSERT_TRUE(aware.ok());
  const double e_unaware = MovedOutputError(w, held_out, *unaware, held_out_m) / energy;
  const double e_moved_h = MovedOutputError(w, held_out, *moved_h, held_out_m) / energy;
  const double e_aware = MovedOutputError(w, held_out, *aware, held_out_m) / energy;
  std::printf("[ measured ] 70%% sparse, distorted inputs: unaware %.4f, moved H %.4f, to targets %.4f\n",
              e_unaware, e_moved_h, e_aware);
  EXPECT_LT(e_aware, 0.7 * e_unaware);
  EXPECT_LT(e_aware, 0.7 * e_moved_h);
  EXPECT_EQ(testing::CountZeros(*aware), testing::CountZeros(*sparse));
  EXPECT_FALSE(RefitToTargets(w, mask, testing::HessianOf(xm), MatrixD(96, 31, 0.0)).ok());
}

}  // namespace
}  // namespace kinglet::compression::quantize
