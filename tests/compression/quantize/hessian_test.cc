#include "quantize/hessian.h"

#include <gtest/gtest.h>

#include <cmath>

#include "synthetic_layer.h"

namespace kinglet::compression::quantize {
namespace {

TEST(HessianAccumulatorTest, RowsColumnsAndBatchingAgree) {
  const Matrix x = testing::CorrelatedInputs(203, 17, 3, 1.0f);  // 203: not a multiple of the chunk
  HessianAccumulator by_rows(17), by_cols(17), by_batches(17);
  ASSERT_TRUE(by_rows.AddRows(x).ok());
  Matrix xt(17, 203);
  for (int64_t s = 0; s < 203; ++s) {
    for (int64_t j = 0; j < 17; ++j) xt(j, s) = x(s, j);
  }
  ASSERT_TRUE(by_cols.AddColumns(xt).ok());
  for (int64_t s0 = 0; s0 < 203; s0 += 50) {
    Matrix part(std::min<int64_t>(50, 203 - s0), 17);
    for (int64_t s = 0; s < part.rows; ++s) {
      for (int64_t j = 0; j < 17; ++j) part(s, j) = x(s0 + s, j);
    }
    ASSERT_TRUE(by_batches.AddRows(part).ok());
  }
  EXPECT_EQ(by_rows.samples(), 203);
  EXPECT_EQ(by_batches.samples(), 203);
  const MatrixD h = by_rows.Hessian();
  const std::vector<double> mu = by_rows.Mean();
  for (int64_t i = 0; i < 17; ++i) {
    double m = 0.0;
    for (int64_t s = 0; s < 203; ++s) m += x(s, i);
    EXPECT_NEAR(mu[i], m / 203, 1e-9);
    EXPECT_NEAR(by_cols.Mean()[i], mu[i], 1e-9);
    for (int64_t j = 0; j < 17; ++j) {
      double e = 0.0;
      for (int64_t s = 0; s < 203; ++s) e += static_cast<double>(x(s, i)) * x(s, j);
      EXPECT_NEAR(h(i, j), e / 203, 1e-9 * (1 + std::fabs(e)));
      EXPECT_NEAR(by_cols.Hessian()(i, j), h(i, j), 1e-9 * (1 + std::fabs(h(i, j))));
      EXPECT_NEAR(by_batches.Hessian()(i, j), h(i, j), 1e-9 * (1 + std::fabs(h(i, j))));
      EXPECT_EQ(h(i, j), h(j, i));
    }
  }
}

TEST(HessianAccumulatorTest, EmptyIsZero) {
  HessianAccumulator acc(4);
  EXPECT_EQ(acc.samples(), 0);
  EXPECT_EQ(acc.Hessian()(1, 1), 0.0);
  EXPECT_EQ(acc.Mean()[2], 0.0);
}

TEST(HessianAccumulatorTest, RejectsWrongWidthAndNaN) {
  HessianAccumulator acc(4);
  EXPECT_FALSE(acc.AddRows(Matrix(3, 5)).ok());
  EXPECT_FALSE(acc.AddColumns(Matrix(5, 3)).ok());
  Matrix bad(2, 4, 1.0f);
  bad(1, 2) = std::nanf("");
  const Status s = acc.AddRows(bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("NaN"), std::string::npos) << s.message();
  EXPECT_EQ(acc.samples(), 0);
}

TEST(LayerOutputErrorTest, EqualsDirectOutputError) {
  const Matrix x = testing::CorrelatedInputs(500, 24, 4, 0.5f);
  const Matrix w = testing::RandomGaussian(7, 24, 5);
  Matrix w_hat = w;
  for (float& v : w_hat.values) v = std::round(v * 2.0f) / 2.0f;
  auto e = LayerOutputError(w, w_hat, testing::HessianOf(x));
  ASSERT_TRUE(e.ok());
  const double direct = testing::OutputError(w, w_hat, x);
  EXPECT_NEAR(*e, direct, 1e-6 * direct);
  EXPECT_FALSE(LayerOutputError(w, Matrix(7, 23), testing::HessianOf(x)).ok());
}

TEST(CrossMomentTest, EqualsTheDirectSum) {
  const Matrix a = testing::CorrelatedInputs(37, 5, 81);
  const Matrix b = testing::RandomGaussian(37, 3, 82);
  auto m = CrossMoment(a, b);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->rows, 5);
  ASSERT_EQ(m->cols, 3);
  for (int64_t i = 0; i < 5; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      double direct = 0.0;
      for (int64_t s = 0; s < 37; ++s) direct += double(a(s, i)) * b(s, j);
      EXPECT_NEAR((*m)(i, j), direct / 37, 1e-9 * (1 + std::abs(direct)));
    }
  }
  EXPECT_FALSE(CrossMoment(a, testing::RandomGaussian(36, 3, 83)).ok());
  EXPECT_FALSE(CrossMoment(Matrix(0, 5), Matrix(0, 3)).ok());
}

}  // namespace
}  // namespace kinglet::compression::quantize
