#include "kernels/x86/sgemm_avx512.h"

#include <immintrin.h>

namespace kinglet::kernels::x86 {
namespace {

constexpr int kRows = 12;
constexpr int kCols = 32;

// 12 x 32 tile: 24 ZMM accumulators, two B vectors and one broadcast of A (of 32 registers);
// 24 FMAs per 2 loads of B and 12 broadcasts. Named accumulators, as in the AVX2 tile, so the
// compiler keeps them in registers.
#define KINGLET_ROW(r)                               \
  {                                                  \
    const __m512 a_r = _mm512_set1_ps(a[r]);         \
    c##r##_0 = _mm512_fmadd_ps(a_r, b0, c##r##_0);   \
    c##r##_1 = _mm512_fmadd_ps(a_r, b1, c##r##_1);   \
  }
#define KINGLET_STORE(r)                                              \
  if ((r) < rows) {                                                   \
    float* row = c + (r) * ldc;                                       \
    if (accumulate) {                                                 \
      c##r##_0 = _mm512_add_ps(c##r##_0, _mm512_loadu_ps(row));       \
      c##r##_1 = _mm512_add_ps(c##r##_1, _mm512_loadu_ps(row + 16));  \
    }                                                                 \
    if (e != nullptr) {                                               \
      if (e->row_bias != nullptr) {                                   \
        const __m512 bias = _mm512_set1_ps(e->row_bias[r]);           \
        c##r##_0 = _mm512_add_ps(c##r##_0, bias);                     \
        c##r##_1 = _mm512_add_ps(c##r##_1, bias);                     \
      }                                                               \
      if (e->col_bias != nullptr) {                                   \
        c##r##_0 = _mm512_add_ps(c##r##_0, _mm512_loadu_ps(e->col_bias));       \
        c##r##_1 = _mm512_add_ps(c##r##_1, _mm512_loadu_ps(e->col_bias + 16));  \
      }                                                               \
      if (e->clamp) {                                                 \
        c##r##_0 = _mm512_min_ps(hi, _mm512_max_ps(lo, c##r##_0));    \
        c##r##_1 = _mm512_min_ps(hi, _mm512_max_ps(lo, c##r##_1));    \
      }                                                               \
    }                                                                 \
    _mm512_storeu_ps(row, c##r##_0);                                  \
    _mm512_storeu_ps(row + 16, c##r##_1);                             \
  }

// One row of C (a batch-1 fully connected layer): the 12-row loop would spend twelve times the
// FMAs, eleven on zero padding. Four K steps per pass into separate accumulators, so the loop is
// bound by B's loads rather than by the FMA latency chain.
void Tile1x32(int64_t k, const float* a, const float* b, int64_t ldb, float* c, bool accumulate,
              const TileEpilogue* e) {
  constexpr int kUnroll = 4;
  __m512 s0[kUnroll], s1[kUnroll];
  for (int u = 0; u < kUnroll; ++u) s0[u] = s1[u] = _mm512_setzero_ps();
  int64_t l = 0;
  for (; l + kUnroll <= k; l += kUnroll) {
    for (int u = 0; u < kUnroll; ++u) {
      const __m512 a_u = _mm512_set1_ps(a[(l + u) * kRows]);
      s0[u] = _mm512_fmadd_ps(a_u, _mm512_loadu_ps(b + (l + u) * ldb), s0[u]);
      s1[u] = _mm512_fmadd_ps(a_u, _mm512_loadu_ps(b + (l + u) * ldb + 16), s1[u]);
    }
  }
  for (; l < k; ++l) {
    const __m512 a_l = _mm512_set1_ps(a[l * kRows]);
    s0[0] = _mm512_fmadd_ps(a_l, _mm512_loadu_ps(b + l * ldb), s0[0]);
    s1[0] = _mm512_fmadd_ps(a_l, _mm512_loadu_ps(b + l * ldb + 16), s1[0]);
  }
  __m512 c0_0 = _mm512_add_ps(_mm512_add_ps(s0[0], s0[1]), _mm512_add_ps(s0[2], s0[3]));
  __m512 c0_1 = _mm512_add_ps(_mm512_add_ps(s1[0], s1[1]), _mm512_add_ps(s1[2], s1[3]));
  const __m512 lo = _mm512_set1_ps(e != nullptr ? e->lo : 0.0f);
  const __m512 hi = _mm512_set1_ps(e != nullptr ? e->hi : 0.0f);
  constexpr int rows = 1;     // KINGLET_STORE's names: row 0 is the only one,
  constexpr int64_t ldc = 0;  // so C's row stride is never applied
  KINGLET_STORE(0)
}

void Tile12x32(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows,
               bool accumulate, const TileEpilogue* e) {
  if (rows == 1) return Tile1x32(k, a, b, ldb, c, accumulate, e);
  __m512 c0_0 = _mm512_setzero_ps(), c0_1 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c2_0 = c0_0, c2_1 = c0_0;
  __m512 c3_0 = c0_0, c3_1 = c0_0, c4_0 = c0_0, c4_1 = c0_0, c5_0 = c0_0, c5_1 = c0_0;
  __m512 c6_0 = c0_0, c6_1 = c0_0, c7_0 = c0_0, c7_1 = c0_0, c8_0 = c0_0, c8_1 = c0_0;
  __m512 c9_0 = c0_0, c9_1 = c0_0, c10_0 = c0_0, c10_1 = c0_0, c11_0 = c0_0, c11_1 = c0_0;
  for (int64_t l = 0; l < k; ++l) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
    KINGLET_ROW(0) KINGLET_ROW(1) KINGLET_ROW(2) KINGLET_ROW(3) KINGLET_ROW(4) KINGLET_ROW(5)
    KINGLET_ROW(6) KINGLET_ROW(7) KINGLET_ROW(8) KINGLET_ROW(9) KINGLET_ROW(10) KINGLET_ROW(11)
    a += kRows;
    b += ldb;
  }
  // Bound first in max/min: a NaN accumulator comes out as the second operand, NaN.
  const __m512 lo = _mm512_set1_ps(e != nullptr ? e->lo : 0.0f);
  const __m512 hi = _mm512_set1_ps(e != nullptr ? e->hi : 0.0f);
  KINGLET_STORE(0) KINGLET_STORE(1) KINGLET_STORE(2) KINGLET_STORE(3) KINGLET_STORE(4) KINGLET_STORE(5)
  KINGLET_STORE(6) KINGLET_STORE(7) KINGLET_STORE(8) KINGLET_STORE(9) KINGLET_STORE(10) KINGLET_STORE(11)
}

#undef KINGLET_ROW
#undef KINGLET_STORE

}  // namespace

const SgemmKernel& Avx512SgemmKernel() {
  static const SgemmKernel kernel{"avx512f 12x32", kRows, kCols, Tile12x32};
  return kernel;
}

}  // namespace kinglet::kernels::x86
