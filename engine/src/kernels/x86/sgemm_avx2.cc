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
// Eight floats of row r at column `col` of the tile, finished in registers: + C (accumulate),
// bias, then max(lo, v) and min(hi, v) with the bound first, so a NaN accumulator comes out as
// the second operand — NaN, as in the reference.
[[gnu::always_inline]] inline __m256 Finish(__m256 v, const float* row, int r, int col, bool accumulate,
                                            const TileEpilogue* e) {
  if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(row + col));
  if (e != nullptr) {
    if (e->row_bias != nullptr) v = _mm256_add_ps(v, _mm256_broadcast_ss(e->row_bias + r));
    if (e->col_bias != nullptr) v = _mm256_add_ps(v, _mm256_loadu_ps(e->col_bias + col));
    if (e->clamp) v = _mm256_min_ps(_mm256_set1_ps(e->hi), _mm256_max_ps(_mm256_set1_ps(e->lo), v));
  }
  return v;
}

// Stores row r of a 16-wide tile.
[[gnu::always_inline]] inline void StoreRow(__m256 v0, __m256 v1, int r, float* c, int64_t ldc,
                                            bool accumulate, const TileEpilogue* e) {
  float* row = c + r * ldc;
  _mm256_storeu_ps(row, Finish(v0, row, r, 0, accumulate, e));
  _mm256_storeu_ps(row + 8, Finish(v1, row, r, 8, accumulate, e));
}

// One row of C (a batch-1 fully connected layer): the 6-row loop would spend six times the
// FMAs, five on zero padding. Four K steps per pass into separate accumulators, so the loop is
// bound by B's loads rather than by the FMA latency chain.
void Tile1x16(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate,
              const TileEpilogue* e) {
  constexpr int kUnroll = 4;
  __m256 s0[kUnroll], s1[kUnroll];
  for (int u = 0; u < kUnroll; ++u) s0[u] = s1[u] = _mm256_setzero_ps();
  int64_t l = 0;
  for (; l + kUnroll <= k; l += kUnroll) {
    for (int u = 0; u < kUnroll; ++u) {
      const __m256 a_u = _mm256_broadcast_ss(a + (l + u) * kRows);
      s0[u] = _mm256_fmadd_ps(a_u, _mm256_loadu_ps(b + (l + u) * ldb), s0[u]);
      s1[u] = _mm256_fmadd_ps(a_u, _mm256_loadu_ps(b + (l + u) * ldb + 8), s1[u]);
    }
  }
  for (; l < k; ++l) {
    const __m256 a_l = _mm256_broadcast_ss(a + l * kRows);
    s0[0] = _mm256_fmadd_ps(a_l, _mm256_loadu_ps(b + l * ldb), s0[0]);
    s1[0] = _mm256_fmadd_ps(a_l, _mm256_loadu_ps(b + l * ldb + 8), s1[0]);
  }
  StoreRow(_mm256_add_ps(_mm256_add_ps(s0[0], s0[1]), _mm256_add_ps(s0[2], s0[3])),
           _mm256_add_ps(_mm256_add_ps(s1[0], s1[1]), _mm256_add_ps(s1[2], s1[3])), 0, c, ldc, accumulate, e);
}

void Tile6x16(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows,
              bool accumulate, const TileEpilogue* e) {
  if (rows == 1) return Tile1x16(k, a, b, ldb, c, ldc, accumulate, e);
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t l = 0; l < k; ++l) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    KINGLET_ROW(0) KINGLET_ROW(1) KINGLET_ROW(2) KINGLET_ROW(3) KINGLET_ROW(4) KINGLET_ROW(5)
    a += kRows;
    b += ldb;
  }
  StoreRow(c00, c01, 0, c, ldc, accumulate, e);
  if (rows > 1) StoreRow(c10, c11, 1, c, ldc, accumulate, e);
  if (rows > 2) StoreRow(c20, c21, 2, c, ldc, accumulate, e);
  if (rows > 3) StoreRow(c30, c31, 3, c, ldc, accumulate, e);
  if (rows > 4) StoreRow(c40, c41, 4, c, ldc, accumulate, e);
  if (rows > 5) StoreRow(c50, c51, 5, c, ldc, accumulate, e);
}

#undef KINGLET_ROW

// The first 8 columns only: a ragged edge of up to 8 live columns (a 7x7 plane's 49th column)
// costs half a 16-wide tile. Even and odd K steps go to separate accumulators, so the twelve
// independent FMA chains hide the FMA latency as the full tile's do.
#define KINGLET_STEP(s, l)                                           \
  {                                                                  \
    const __m256 b_l = _mm256_loadu_ps(b + (l)*ldb);                 \
    const float* a_l = a + (l)*kRows;                                \
    s##0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a_l), b_l, s##0);     \
    s##1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a_l + 1), b_l, s##1); \
    s##2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a_l + 2), b_l, s##2); \
    s##3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a_l + 3), b_l, s##3); \
    s##4 = _mm256_fmadd_ps(_mm256_broadcast_ss(a_l + 4), b_l, s##4); \
    s##5 = _mm256_fmadd_ps(_mm256_broadcast_ss(a_l + 5), b_l, s##5); \
  }
void Tile6x8(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows,
             bool accumulate, const TileEpilogue* e) {
  __m256 even0 = _mm256_setzero_ps(), even1 = even0, even2 = even0, even3 = even0, even4 = even0,
         even5 = even0;
  __m256 odd0 = even0, odd1 = even0, odd2 = even0, odd3 = even0, odd4 = even0, odd5 = even0;
  int64_t l = 0;
  for (; l + 2 <= k; l += 2) {
    KINGLET_STEP(even, l)
    KINGLET_STEP(odd, l + 1)
  }
  if (l < k) KINGLET_STEP(even, l)
  const __m256 sums[kRows] = {_mm256_add_ps(even0, odd0), _mm256_add_ps(even1, odd1),
                              _mm256_add_ps(even2, odd2), _mm256_add_ps(even3, odd3),
                              _mm256_add_ps(even4, odd4), _mm256_add_ps(even5, odd5)};
  for (int r = 0; r < rows; ++r) {
    float* row = c + r * ldc;
    _mm256_storeu_ps(row, Finish(sums[r], row, r, 0, accumulate, e));
  }
}

#undef KINGLET_STEP

// Column 0 only: a K step's six rows of A are one vector (a plain load, whose last two lanes are
// the next step's and ignored; the last one to four steps load masked, so nothing past the panel
// is read) times one value of B — a sixth of Tile6x8's FMAs. Four K steps per pass into separate
// accumulators hide the FMA latency.
void Tile6x1(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows) {
  if (k <= 0) return;
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t l = 0;
  for (; l + 4 < k; l += 4) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + l * kRows), _mm256_broadcast_ss(b + l * ldb), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (l + 1) * kRows), _mm256_broadcast_ss(b + (l + 1) * ldb), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (l + 2) * kRows), _mm256_broadcast_ss(b + (l + 2) * ldb), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (l + 3) * kRows), _mm256_broadcast_ss(b + (l + 3) * ldb), s3);
  }
  const __m256i live = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  for (; l < k; ++l) {
    s0 = _mm256_fmadd_ps(_mm256_maskload_ps(a + l * kRows, live), _mm256_broadcast_ss(b + l * ldb), s0);
  }
  alignas(32) float sums[8];
  _mm256_store_ps(sums, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (int r = 0; r < rows; ++r) c[r * ldc] = sums[r];
}

}  // namespace

const SgemmKernel& Avx2SgemmKernel() {
  static const SgemmKernel kernel{"avx2-fma 6x16", kRows, kCols, Tile6x16, kCols / 2, Tile6x8, Tile6x1};
  return kernel;
}

}  // namespace kinglet::kernels::x86
