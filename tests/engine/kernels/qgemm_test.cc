// The int8 GEMM: every tile this CPU runs against the same quantization computed in double
// precision (the integer sums are exact, so only the final scaling rounds), against the float
// GEMM within the quantization's error, NaN rows, and 1-3 threads.
#include "kernels/qgemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

struct Case {
  int64_t m, n, k;
};

// What QGemmRun must produce: each row and column quantized symmetrically, summed exactly.
std::vector<double> Expected(const Case& c, const std::vector<float>& a, const std::vector<float>& b,
                             const std::vector<float>& bias) {
  std::vector<double> col_scale(c.n), out(c.m * c.n);
  std::vector<int> qb(c.k * c.n);
  for (int64_t j = 0; j < c.n; ++j) {
    float max_abs = 0.0f;
    for (int64_t l = 0; l < c.k; ++l) max_abs = std::max(max_abs, std::fabs(b[l * c.n + j]));
    const float s = max_abs / 127.0f, inverse = 127.0f / max_abs;
    col_scale[j] = s;
    for (int64_t l = 0; l < c.k; ++l) qb[l * c.n + j] = static_cast<int>(std::nearbyint(b[l * c.n + j] * inverse));
  }
  for (int64_t i = 0; i < c.m; ++i) {
    float max_abs = 0.0f;
    for (int64_t l = 0; l < c.k; ++l) max_abs = std::max(max_abs, std::fabs(a[i * c.k + l]));
    const float s = max_abs / 127.0f, inverse = 127.0f / max_abs;
    for (int64_t j = 0; j < c.n; ++j) {
      int64_t sum = 0;
      for (int64_t l = 0; l < c.k; ++l) {
        sum += static_cast<int64_t>(std::nearbyint(a[i * c.k + l] * inverse)) * qb[l * c.n + j];
      }
      out[i * c.n + j] = static_cast<double>(sum) * s * col_scale[j] + bias[j];
    }
  }
  return out;
}

// C (row-major, n wide) = A (row-major, k wide) x qb + bias (null: none).
QGemmProblem ProblemOf(const Case& c, const std::vector<float>& a, const QuantizedMatrix& qb,
                       const float* bias, std::vector<float>* got) {
  QGemmProblem pr;
  pr.m = c.m;
  pr.a = a.data();
  pr.lda = c.k;
  pr.b = &qb;
  pr.c = got->data();
  pr.ldc = c.n;
  pr.col_bias = bias;
  return pr;
}

TEST(QGemmTest, MatchesTheQuantizedProductAndTheFloatProduct) {
  std::mt19937 rng(88);
  std::uniform_int_distribution<int64_t> dim(1, 120);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  runtime::ThreadPool pool(3);
  for (const QGemmKernel* kernel : AvailableQGemmKernels()) {
    for (int trial = 0; trial < 60; ++trial) {
      const Case c{trial % 3 == 0 ? 1 : dim(rng), dim(rng), trial % 7 == 0 ? 1 : dim(rng)};
      std::vector<float> a(c.m * c.k), b(c.k * c.n), bias(c.n), got(c.m * c.n);
      for (auto* v : {&a, &b, &bias}) {
        for (float& x : *v) x = value(rng);
      }
      const QuantizedMatrix qb = QuantizeSgemmB(c.k, c.n, MatrixView{b.data(), c.n, 1});
      const QGemmProblem pr = ProblemOf(c, a, qb, bias.data(), &got);
      std::vector<unsigned char> scratch(QGemmScratchBytes(c.m, c.k) + 64);
      void* aligned = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64;
      QGemmRun(*kernel, pr, trial % 2 == 0 ? &pool : nullptr, aligned);
      const std::vector<double> want = Expected(c, a, b, bias);
      for (int64_t i = 0; i < c.m * c.n; ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-5 * (1.0 + std::fabs(want[i])))
            << kernel->name << " m=" << c.m << " n=" << c.n << " k=" << c.k << " at " << i;
        // Against float: each product is off by at most half a step of each operand.
        double exact = bias[i % c.n];
        for (int64_t l = 0; l < c.k; ++l) exact += double{a[i / c.n * c.k + l]} * b[l * c.n + i % c.n];
        ASSERT_NEAR(got[i], exact, 0.02 * std::sqrt(static_cast<double>(c.k)) + 1e-3) << "vs float at " << i;
      }
    }
  }
}

TEST(QGemmTest, ANanRowGivesNanAndOtherRowsAreUntouched) {
  const Case c{2, 3, 4};
  std::vector<float> a = {1, 2, std::nanf(""), 4, 0.5f, -0.5f, 1, 1}, b(12, 0.25f), got(6);
  const QuantizedMatrix qb = QuantizeSgemmB(c.k, c.n, MatrixView{b.data(), c.n, 1});
  std::vector<unsigned char> scratch(QGemmScratchBytes(c.m, c.k));
  QGemmRun(BestQGemmKernel(), ProblemOf(c, a, qb, nullptr, &got), nullptr, scratch.data());
  for (int j = 0; j < 3; ++j) {
    EXPECT_TRUE(std::isnan(got[j]));
    EXPECT_NEAR(got[3 + j], 0.5f, 0.01f);
  }
}

// Rows (and weight columns) of zeros, or so small that 127 / max overflows a float, quantize to
// zeros rather than to inf * 0; an infinity spreads like a NaN.
TEST(QGemmTest, ZeroAndTinyRowsGiveTheBiasAndAnInfinityGivesNan) {
  const Case c{3, 3, 4};
  const float tiny = 1e-39f, inf = std::numeric_limits<float>::infinity();
  std::vector<float> a = {0, 0, 0, 0, tiny, -tiny, tiny, 0, 1, inf, 1, 1}, got(9);
  std::vector<float> b = {1, tiny, 0.5f, -1, tiny, 0.5f, 1, -tiny, 0.5f, 0, tiny, 0.5f}, bias = {0.5f, -1, 2};
  const QuantizedMatrix qb = QuantizeSgemmB(c.k, c.n, MatrixView{b.data(), c.n, 1});
  for (const QGemmKernel* kernel : AvailableQGemmKernels()) {
    std::vector<unsigned char> scratch(QGemmScratchBytes(c.m, c.k));
    QGemmRun(*kernel, ProblemOf(c, a, qb, bias.data(), &got), nullptr, scratch.data());
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(got[j], bias[j]) << kernel->name;
      EXPECT_EQ(got[3 + j], bias[j]) << kernel->name;
      EXPECT_TRUE(std::isnan(got[6 + j])) << kernel->name;
    }
  }
}

}  // namespace
}  // namespace kinglet::kernels
