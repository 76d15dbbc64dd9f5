// The sparse-weight GEMM against a dense product in double precision: random shapes and
// densities, bias and ReLU, rows of A holding NaN or infinity (which must come out as the dense
// product's NaN / infinity, although the zeros they meet are skipped), and 1 or 3 threads.
#include "kernels/sparse_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

struct Case {
  int64_t m, k, n;
  double density;
};

std::vector<float> RandomSparse(int64_t count, double density, std::mt19937& rng) {
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::bernoulli_distribution keep(density);
  std::vector<float> v(count);
  for (float& x : v) x = keep(rng) ? value(rng) : 0.0f;
  return v;
}

// B is given transposed ([n x k], as Gemm's transB = 1 weights), through a view.
void CheckCase(const Case& c, std::mt19937& rng, runtime::ThreadPool* pool, bool poison_rows) {
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> a(c.m * c.k), bias(c.n), got(c.m * c.n, -7.0f);
  for (float& x : a) x = value(rng);
  for (float& x : bias) x = value(rng);
  std::vector<float> bt = RandomSparse(c.n * c.k, c.density, rng);
  if (poison_rows && c.m >= 2) {
    a[0 * c.k + c.k / 2] = std::numeric_limits<float>::quiet_NaN();
    a[1 * c.k + c.k / 3] = std::numeric_limits<float>::infinity();
  }
  const MatrixView b{bt.data(), 1, c.k};
  const SparseColumns sparse = CompressSparseB(c.k, c.n, b);
  int64_t nonzeros = 0;
  for (float x : bt) nonzeros += x != 0.0f;
  ASSERT_EQ(static_cast<int64_t>(sparse.values.size()), nonzeros);
  EXPECT_DOUBLE_EQ(Density(c.k, c.n, b), static_cast<double>(nonzeros) / static_cast<double>(c.k * c.n));

  SparseGemmProblem pr;
  pr.m = c.m;
  pr.a = a.data();
  pr.lda = c.k;
  pr.b = &sparse;
  pr.dense_b = b;
  pr.c = got.data();
  pr.ldc = c.n;
  pr.col_bias = bias.data();
  pr.activation.kind = reference::FusedActivationKind::kRelu;
  SparseGemmRun(pr, pool);

  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j) {
      double sum = 0.0, magnitude = 0.0;
      float dense = 0.0f;  // the float product over every entry, zeros included (NaN / inf cases)
      for (int64_t l = 0; l < c.k; ++l) {
        const double term = static_cast<double>(a[i * c.k + l]) * bt[j * c.k + l];
        sum += term;
        magnitude += std::fabs(term);
        dense += a[i * c.k + l] * bt[j * c.k + l];
      }
      const float y = got[i * c.n + j];
      if (!std::isfinite(dense)) {
        const float want = std::max(dense + bias[j], 0.0f);  // ReLU keeps NaN as NaN
        if (std::isnan(dense)) {
          EXPECT_TRUE(std::isnan(y)) << "row " << i << " col " << j;
        } else {
          EXPECT_EQ(y, want) << "row " << i << " col " << j;
        }
        continue;
      }
      const double want = std::max(sum + bias[j], 0.0);
      EXPECT_NEAR(y, want, 1e-5 * (magnitude + std::fabs(bias[j])) + 1e-6)
          << "m=" << c.m << " k=" << c.k << " n=" << c.n << " at " << i << "," << j;
    }
  }
}

TEST(SparseGemmTest, MatchesTheDenseProductOnRandomShapesAndDensities) {
  std::mt19937 rng(12);
  std::uniform_int_distribution<int64_t> rows(1, kSparseGemmMaxRows), depth(1, 300), cols(1, 70);
  const double densities[] = {0.0, 0.02, 0.1, 0.25, 1.0};
  for (int trial = 0; trial < 60; ++trial) {
    const Case c{rows(rng), depth(rng), cols(rng), densities[trial % 5]};
    CheckCase(c, rng, nullptr, false);
  }
}

TEST(SparseGemmTest, SplitsColumnsAcrossThreads) {
  std::mt19937 rng(13);
  runtime::ThreadPool pool(3);
  CheckCase(Case{4, 512, 301, 0.2}, rng, &pool, false);
  CheckCase(Case{1, 784, 300, 0.1}, rng, &pool, false);
}

TEST(SparseGemmTest, RowsWithNanOrInfinityKeepTheDenseProductsNonFiniteResults) {
  std::mt19937 rng(14);
  runtime::ThreadPool pool(3);
  CheckCase(Case{3, 40, 17, 0.1}, rng, nullptr, true);
  CheckCase(Case{8, 600, 200, 0.15}, rng, &pool, true);
}

// Sparse rows (pruned conv weights) times a dense matrix, against double precision, with bias,
// ReLU and 1 or 3 threads.
TEST(SparseGemmTest, SparseRowsTimesDenseMatchTheDenseProduct) {
  std::mt19937 rng(15);
  std::uniform_int_distribution<int64_t> dim(1, 90);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  runtime::ThreadPool pool(3);
  const double densities[] = {0.0, 0.05, 0.2, 1.0};
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t m = dim(rng), k = dim(rng) * 3, n = trial == 0 ? 4000 : dim(rng);
    std::vector<float> a = RandomSparse(m * k, densities[trial % 4], rng), b(k * n), bias(m), c(m * n, -7.0f);
    for (float& x : b) x = value(rng);
    for (float& x : bias) x = value(rng);
    const SparseRows sparse = CompressSparseA(m, k, MatrixView{a.data(), k, 1});
    SparseRowsProblem pr;
    pr.a = &sparse;
    pr.b = b.data();
    pr.ldb = n;
    pr.n = n;
    pr.c = c.data();
    pr.ldc = n;
    pr.row_bias = bias.data();
    pr.activation.kind = reference::FusedActivationKind::kRelu;
    SparseRowsGemmRun(pr, trial % 2 == 0 ? &pool : nullptr);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = bias[i], magnitude = std::fabs(bias[i]);
        for (int64_t l = 0; l < k; ++l) {
          sum += double{a[i * k + l]} * b[l * n + j];
          magnitude += std::fabs(double{a[i * k + l]} * b[l * n + j]);
        }
        ASSERT_NEAR(c[i * n + j], std::max(sum, 0.0), 1e-5 * magnitude + 1e-6)
            << trial << " " << i << "," << j;
      }
    }
  }
}

}  // namespace
}  // namespace kinglet::kernels
