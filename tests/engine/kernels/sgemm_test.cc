// Every GEMM tile this CPU runs, through the packed driver, against the reference GEMM (the
// specification) on random shapes: tails in every dimension, both transposes, alpha, accumulate,
// and sizes past each cache block so every blocking loop turns over.
#include "kernels/sgemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/reference/fused_activation.h"
#include "kernels/reference/gemm.h"
#include "runtime/thread_pool.h"

namespace kinglet::kernels {
namespace {

struct Case {
  int64_t m, n, k;
  bool trans_a, trans_b, accumulate;
  float alpha;
};

std::string Describe(const SgemmKernel& kernel, const Case& c) {
  return std::string(kernel.name) + " m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) +
         " k=" + std::to_string(c.k) + " transA=" + std::to_string(c.trans_a) +
         " transB=" + std::to_string(c.trans_b) + " accumulate=" + std::to_string(c.accumulate) +
         " alpha=" + std::to_string(c.alpha);
}

void CheckAgainstReference(const SgemmKernel& kernel, const Case& c, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(c.m * c.k), b(c.k * c.n), initial(c.m * c.n);
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  for (float& v : initial) v = dist(rng);

  reference::GemmParams p;
  p.m = c.m;
  p.n = c.n;
  p.k = c.k;
  p.trans_a = c.trans_a;
  p.trans_b = c.trans_b;
  p.lda = c.trans_a ? c.m : c.k;
  p.ldb = c.trans_b ? c.k : c.n;
  p.ldy = c.n;
  p.alpha = c.alpha;
  p.beta = c.accumulate ? 1.0f : 0.0f;
  p.ldc = c.n;
  std::vector<float> expected(c.m * c.n);
  reference::Gemm(p, a.data(), b.data(), initial.data(), expected.data());

  std::vector<float> got = initial;
  std::vector<unsigned char> scratch(SgemmScratchBytes(kernel, c.m, c.n, c.k) + 64);
  void* aligned = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64;
  const MatrixView a_view = c.trans_a ? MatrixView{a.data(), 1, p.lda} : MatrixView{a.data(), p.lda, 1};
  const MatrixView b_view = c.trans_b ? MatrixView{b.data(), 1, p.ldb} : MatrixView{b.data(), p.ldb, 1};
  Sgemm(kernel, c.m, c.n, c.k, c.alpha, a_view, b_view, got.data(), c.n, c.accumulate, aligned);

  // Summation order differs (FMA, K blocking), so allow rounding that grows with sqrt(k).
  const float tolerance = 2e-6f * std::sqrt(static_cast<float>(c.k) + 1.0f) * (1.0f + std::fabs(c.alpha));
  for (int64_t i = 0; i < c.m * c.n; ++i) {
    ASSERT_NEAR(got[i], expected[i], tolerance * (1.0f + std::fabs(expected[i])))
        << Describe(kernel, c) << " at (" << i / c.n << ", " << i % c.n << ")";
  }
}

TEST(SgemmTest, PortableKernelIsAlwaysAvailableAndBestIsAmongThem) {
  const std::vector<const SgemmKernel*> kernels = AvailableSgemmKernels();
  ASSERT_FALSE(kernels.empty());
  EXPECT_EQ(kernels.front(), &PortableSgemmKernel());
  bool best_listed = false;
  for (const SgemmKernel* k : kernels) {
    EXPECT_LE(k->mr * k->nr, kMaxSgemmTile) << k->name;
    best_listed |= k == &BestSgemmKernel();
  }
  EXPECT_TRUE(best_listed);
#if defined(__aarch64__)
  EXPECT_STREQ(BestSgemmKernel().name, "neon 8x12") << "NEON is in the ARMv8-A baseline";
#elif defined(__x86_64__)
  // The 12x32 tile only where a 512-bit FMA is as fast as a 256-bit one; on AMD Zen 4, which splits
  // it in two, the 6x16 tile computes as fast and wastes less on small and ragged shapes.
  const CpuFeatures& cpu = DetectCpuFeatures();
  EXPECT_TRUE(!cpu.avx512_full_width || cpu.avx512f);
  if (cpu.avx2_fma) {
    EXPECT_STREQ(BestSgemmKernel().name, cpu.avx512_full_width ? "avx512f 12x32" : "avx2-fma 6x16");
  }
#endif
}

TEST(SgemmTest, RandomShapesMatchTheReference) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int64_t> small(1, 40);
  std::bernoulli_distribution coin(0.5);
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) {
    for (int trial = 0; trial < 150; ++trial) {
      Case c{small(rng), small(rng), small(rng), coin(rng), coin(rng), coin(rng), coin(rng) ? 1.0f : -0.75f};
      CheckAgainstReference(*kernel, c, rng);
    }
  }
}

TEST(SgemmTest, ShapesPastEveryCacheBlock) {
  std::mt19937 rng(99);
  // m past MC (mr * 16 rows), n past NC (1024 columns), k past KC (256): each with a ragged tail.
  const std::vector<Case> cases = {
      {211, 37, 263, false, false, false, 1.0f}, {13, 1030, 41, false, true, true, 1.0f},
      {5, 9, 600, true, false, true, 0.5f},      {200, 1100, 300, true, true, false, 1.0f},
      {1, 1, 1, false, false, true, 2.0f},       {64, 500, 800, false, true, false, 1.0f},
  };
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) {
    for (const Case& c : cases) CheckAgainstReference(*kernel, c, rng);
  }
}

// The full driver: operands packed at load or packed per call, row and column bias and a fused
// activation in the epilogue, and the work split over 1, 2 or 3 threads (by columns, and by rows
// too when columns are few).
TEST(SgemmTest, PackedOperandsEpilogueAndThreadsMatchTheReference) {
  std::mt19937 rng(77);
  std::uniform_int_distribution<int64_t> dim(1, 300);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::bernoulli_distribution coin(0.5);
  runtime::ThreadPool pool2(2), pool3(3);
  runtime::ThreadPool* pools[] = {nullptr, &pool2, &pool3};
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) {
    for (int trial = 0; trial < 60; ++trial) {
      const int64_t m = trial % 4 == 0 ? 1 : dim(rng), n = trial % 5 == 0 ? 3 : dim(rng), k = dim(rng);
      std::vector<float> a(m * k), b(k * n), row_bias(m), col_bias(n), c(m * n);
      for (auto* v : {&a, &b, &row_bias, &col_bias, &c}) {
        for (float& x : *v) x = dist(rng);
      }
      const bool pack_a = coin(rng), pack_b = coin(rng), accumulate = coin(rng);
      const float alpha = coin(rng) ? 1.0f : 0.5f;
      // None, ReLU and Clip run in the tile's registers; Sigmoid after the tile.
      reference::FusedActivationParams activation;
      switch (trial % 4) {
        case 1:
          activation.kind = reference::FusedActivationKind::kRelu;
          break;
        case 2:
          activation.kind = reference::FusedActivationKind::kClip;
          activation.min = -0.3f;
          activation.max = 0.4f;
          break;
        case 3:
          activation.kind = reference::FusedActivationKind::kSigmoid;
          break;
        default:
          break;
      }

      reference::GemmParams p;
      p.m = m;
      p.n = n;
      p.k = k;
      p.lda = k;
      p.ldb = n;
      p.ldy = n;
      p.alpha = alpha;
      p.beta = accumulate ? 1.0f : 0.0f;
      p.ldc = n;
      std::vector<float> expected(m * n);
      reference::Gemm(p, a.data(), b.data(), c.data(), expected.data());
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) expected[i * n + j] += row_bias[i] + col_bias[j];
      }
      reference::ApplyFusedActivation(activation, expected.data(), m * n);

      const PackedMatrix packed_a = PackSgemmA(*kernel, m, k, alpha, MatrixView{a.data(), k, 1});
      const PackedMatrix packed_b = PackSgemmB(*kernel, k, n, MatrixView{b.data(), n, 1});
      runtime::ThreadPool* pool = pools[trial % 3];
      SgemmProblem pr;
      pr.m = m;
      pr.n = n;
      pr.k = k;
      pr.alpha = alpha;
      pr.packed_a = pack_a ? &packed_a : nullptr;
      pr.a = MatrixView{a.data(), k, 1};
      pr.packed_b = pack_b ? &packed_b : nullptr;
      pr.b = MatrixView{b.data(), n, 1};
      std::vector<float> got = c;
      pr.c = got.data();
      pr.ldc = n;
      pr.accumulate = accumulate;
      pr.epilogue.row_bias = row_bias.data();
      pr.epilogue.col_bias = col_bias.data();
      pr.epilogue.activation = activation;
      const int threads = pool != nullptr ? pool->size() : 1;
      std::vector<unsigned char> scratch(SgemmThreadScratchBytes(*kernel, pr, threads) * threads + 64);
      void* aligned = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64;
      SgemmRun(*kernel, pr, pool, aligned);
      const float tolerance = 4e-6f * std::sqrt(static_cast<float>(k) + 1.0f);
      for (int64_t i = 0; i < m * n; ++i) {
        ASSERT_NEAR(got[i], expected[i], tolerance * (1.0f + std::fabs(expected[i])))
            << kernel->name << " m=" << m << " n=" << n << " k=" << k << " packA=" << pack_a << " packB=" << pack_b
            << " threads=" << threads << " at " << i;
      }
    }
  }
}

// The narrow tile keeps the full tile's contract on the columns it computes: every row count,
// accumulate, row and column bias, clamp (with a NaN in A reaching one row); the column tile
// stores the full tile's column 0 without them.
TEST(SgemmTest, NarrowAndColumnTilesMatchTheFullTile) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) {
    for (int trial = 0; trial < 40; ++trial) {
      const int64_t k = 1 + trial * 7 % 61;
      const int rows = 1 + trial % kernel->mr;
      const int64_t ldb = kernel->nr + trial % 3, ldc = kernel->nr + 2;
      std::vector<float> a(k * kernel->mr), b(k * ldb), c(kernel->mr * ldc), row_bias(kernel->mr),
          col_bias(kernel->nr);
      for (auto* v : {&a, &b, &c, &row_bias, &col_bias}) {
        for (float& x : *v) x = dist(rng);
      }
      if (trial % 5 == 4) a[(k - 1) * kernel->mr] = std::nanf("");  // row 0's last step
      TileEpilogue e;
      e.row_bias = row_bias.data();
      e.col_bias = col_bias.data();
      e.clamp = trial % 2 == 0;
      e.lo = -0.5f;
      e.hi = 0.75f;
      const bool accumulate = trial % 3 != 0;
      const TileEpilogue* epilogue = trial % 4 != 3 ? &e : nullptr;
      // Rows past `rows` must stay as they were.
      auto expect_columns = [&](const std::vector<float>& want, const std::vector<float>& got, int cols,
                                const char* tile) {
        for (int r = 0; r < kernel->mr; ++r) {
          for (int j = 0; j < cols; ++j) {
            const float expected = r < rows ? want[r * ldc + j] : c[r * ldc + j];
            if (std::isnan(expected)) {
              EXPECT_TRUE(std::isnan(got[r * ldc + j])) << kernel->name << " " << tile << " trial " << trial;
            } else {
              ASSERT_NEAR(got[r * ldc + j], expected, 1e-5f * std::sqrt(static_cast<float>(k)))
                  << kernel->name << " " << tile << " trial " << trial << " at (" << r << ", " << j << ")";
            }
          }
        }
      };
      if (kernel->narrow_tile != nullptr) {
        std::vector<float> want = c, got = c;
        kernel->tile(k, a.data(), b.data(), ldb, want.data(), ldc, rows, accumulate, epilogue);
        kernel->narrow_tile(k, a.data(), b.data(), ldb, got.data(), ldc, rows, accumulate, epilogue);
        expect_columns(want, got, kernel->narrow_nr, "narrow");
      }
      if (kernel->column_tile != nullptr) {
        std::vector<float> want = c, got = c;
        kernel->tile(k, a.data(), b.data(), ldb, want.data(), ldc, rows, false, nullptr);
        kernel->column_tile(k, a.data(), b.data(), ldb, got.data(), ldc, rows);
        expect_columns(want, got, 1, "column");
      }
    }
  }
}

TEST(SgemmTest, EmptyInnerDimensionClearsOrKeepsC) {
  for (const SgemmKernel* kernel : AvailableSgemmKernels()) {
    std::vector<float> c = {1, 2, 3, 4};
    Sgemm(*kernel, 2, 2, 0, 1.0f, MatrixView{nullptr, 0, 1}, MatrixView{nullptr, 2, 1}, c.data(), 2, true, nullptr);
    EXPECT_EQ(c, (std::vector<float>{1, 2, 3, 4})) << kernel->name;
    Sgemm(*kernel, 2, 2, 0, 1.0f, MatrixView{nullptr, 0, 1}, MatrixView{nullptr, 2, 1}, c.data(), 2, false, nullptr);
    EXPECT_EQ(c, (std::vector<float>{0, 0, 0, 0})) << kernel->name;
  }
}

}  // namespace
}  // namespace kinglet::kernels
