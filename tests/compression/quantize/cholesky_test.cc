#include "quantize/cholesky.h"

#include <gtest/gtest.h>

#include "synthetic_layer.h"

namespace kinglet::compression::quantize {
namespace {

MatrixD RandomSpd(int64_t n, uint32_t seed) {
  return testing::HessianOf(testing::CorrelatedInputs(4 * n, n, seed));
}

TEST(CholeskyTest, SolveMatchesSystem) {
  const MatrixD h = RandomSpd(40, 1);
  MatrixD l = h;
  for (int64_t i = 0; i < 40; ++i) l(i, i) += 0.1;
  MatrixD a = l;
  ASSERT_TRUE(CholeskyLowerInPlace(&l));
  std::vector<double> b(40);
  for (int i = 0; i < 40; ++i) b[i] = i - 20.0;
  std::vector<double> x = b;
  CholeskySolveInPlace(l, x.data());
  for (int64_t i = 0; i < 40; ++i) {
    double s = 0.0;
    for (int64_t j = 0; j < 40; ++j) s += a(i, j) * x[j];
    EXPECT_NEAR(s, b[i], 1e-8 * (1.0 + std::fabs(b[i])));
  }
}

TEST(CholeskyTest, RejectsIndefinite) {
  MatrixD a(2, 2, 0.0);
  a(0, 0) = 1.0;
  a(1, 0) = 2.0;
  a(0, 1) = 2.0;
  a(1, 1) = 1.0;
  EXPECT_FALSE(CholeskyLowerInPlace(&a));
}

TEST(CholeskyTest, InverseUpperFactorIsInverseOfDampedHessian) {
  const int64_t n = 60;
  const MatrixD h = RandomSpd(n, 2);
  auto u = DampedInverseUpperFactor(h, 0.01);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  double mean_diag = 0.0;
  for (int64_t i = 0; i < n; ++i) mean_diag += h(i, i) / n;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < i; ++j) ASSERT_EQ((*u)(i, j), 0.0) << "U must be upper triangular";
  }
  // (U^T U)(H + lambda I) = I.
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int64_t k = 0; k < n; ++k) {
        double inv_ik = 0.0;
        for (int64_t t = 0; t <= std::min(i, k); ++t) inv_ik += (*u)(t, i) * (*u)(t, k);
        s += inv_ik * (h(k, j) + (k == j ? 0.01 * mean_diag : 0.0));
      }
      EXPECT_NEAR(s, i == j ? 1.0 : 0.0, 1e-8);
    }
  }
}

TEST(CholeskyTest, SingularHessianIsDamped) {
  // Rank 1 (one sample) with a dead input: damping alone must make it factorable.
  Matrix x(1, 5, 0.0f);
  x(0, 0) = 1.0f;
  x(0, 1) = 2.0f;
  EXPECT_TRUE(DampedInverseUpperFactor(testing::HessianOf(x), 0.01).ok());
  // All-zero H (input never active): identity.
  auto u = DampedInverseUpperFactor(MatrixD(3, 3, 0.0), 0.01);
  ASSERT_TRUE(u.ok());
  EXPECT_DOUBLE_EQ((*u)(1, 1), 1.0);
  // Zero damping on a singular H still succeeds by raising the damping.
  EXPECT_TRUE(DampedInverseUpperFactor(testing::HessianOf(x), 0.0).ok());
}

TEST(CholeskyTest, RejectsBadHessians) {
  EXPECT_FALSE(DampedInverseUpperFactor(MatrixD(3, 4, 0.0), 0.01).ok());
  MatrixD h(2, 2, 0.0);
  h(0, 0) = std::nan("");
  EXPECT_FALSE(DampedInverseUpperFactor(h, 0.01).ok());
  EXPECT_FALSE(DampedInverseUpperFactor(MatrixD(2, 2, 1.0), -1.0).ok());
}

}  // namespace
}  // namespace kinglet::compression::quantize
