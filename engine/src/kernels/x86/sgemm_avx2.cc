#include "kernels/x86/sgemm_avx2.h"

#include <immintrin.h>

namespace kinglet::kernels::x86 {
namespace {

constexpr int kRows = 6;
constexpr int kCols = 16;

// 6 x 16 tile: 12 YMM accumulators, two B vectors and one broadcast of A fill 15 of the 16
// registers, and each step issues 12 FMAs for 2 loads of B — enough to keep both FMA ports busy.
// The accumulators are named variables, not an array: GCC keeps an array of vectors in memory
// and stores it on every step, which halves the speed.
#define KINGLET_ROW(r)                                  \
  {                                                     \
    const __m256 a_r = _mm256_broadcast_ss(a + (r));    \
    c##r##0 = _mm256_fmadd_ps(a_r, b0, c##r##0);        \
    c##r##1 = _mm256_fmadd_ps(a_r, b1, c##r##1);        \
  }
// The epilogue in registers: bias, then max(lo, v) and min(hi, v) with the bound first, so a
// NaN accumulator comes out as the second operand — NaN, as in the reference.
#define KINGLET_STORE(r)                                                         \
  if ((r) < rows) {                                                              \
    float* row = c + (r) * ldc;                                                  \
    if (accumulate) {                                                            \
      c##r##0 = _mm256_add_ps(c##r##0, _mm256_loadu_ps(row));                    \
      c##r##1 = _mm256_add_ps(c##r##1, _mm256_loadu_ps(row + 8));                \
    }                                                                            \
    if (e != nullptr) {                                                          \
      if (e->row_bias != nullptr) {                                              \
        const __m256 bias = _mm256_broadcast_ss(e->row_bias + (r));              \
        c##r##0 = _mm256_add_ps(c##r##0, bias);                                  \
        c##r##1 = _mm256_add_ps(c##r##1, bias);                                  \
      }                                                                          \
      if (e->col_bias != nullptr) {                                              \
        c##r##0 = _mm256_add_ps(c##r##0, _mm256_loadu_ps(e->col_bias));          \
        c##r##1 = _mm256_add_ps(c##r##1, _mm256_loadu_ps(e->col_bias + 8));      \
      }                                                                          \
      if (e->clamp) {                                                            \
        c##r##0 = _mm256_min_ps(hi, _mm256_max_ps(lo, c##r##0));                 \
        c##r##1 = _mm256_min_ps(hi, _mm256_max_ps(lo, c##r##1));                 \
      }                                                                          \
    }                                                                            \
    _mm256_storeu_ps(row, c##r##0);                                              \
    _mm256_storeu_ps(row + 8, c##r##1);                                          \
  }

void Tile6x16(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows,
              bool accumulate, const TileEpilogue* e) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t l = 0; l < k; ++l) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    KINGLET_ROW(0) KINGLET_ROW(1) KINGLET_ROW(2) KINGLET_ROW(3) KINGLET_ROW(4) KINGLET_ROW(5)
    a += kRows;
    b += ldb;
  }
  const __m256 lo = _mm256_set1_ps(e != nullptr ? e->lo : 0.0f);
  const __m256 hi = _mm256_set1_ps(e != nullptr ? e->hi : 0.0f);
  KINGLET_STORE(0) KINGLET_STORE(1) KINGLET_STORE(2) KINGLET_STORE(3) KINGLET_STORE(4) KINGLET_STORE(5)
}

#undef KINGLET_ROW
#undef KINGLET_STORE

}  // namespace

const SgemmKernel& Avx2SgemmKernel() {
  static const SgemmKernel kernel{"avx2-fma 6x16", kRows, kCols, Tile6x16};
  return kernel;
}

}  // namespace kinglet::kernels::x86
