#include "kernels/arm/sgemm_neon.h"

#include <arm_neon.h>

namespace kinglet::kernels::arm {
namespace {

constexpr int kRows = 8;
constexpr int kCols = 12;

// 8 x 12 tile: 24 accumulators of 4 lanes, three B vectors and two A vectors use 29 of the 32
// NEON registers; each step is 24 FMAs (by lane, so A needs no broadcast) for 5 loads — the
// shape ncnn and ruy use on Cortex-A cores. Named accumulators keep them in registers.
#define KINGLET_ROW(r, av, lane)                                \
  c##r##_0 = vfmaq_laneq_f32(c##r##_0, b0, av, lane);           \
  c##r##_1 = vfmaq_laneq_f32(c##r##_1, b1, av, lane);           \
  c##r##_2 = vfmaq_laneq_f32(c##r##_2, b2, av, lane);
// Four floats of row r at column `col` of the tile, finished: + C (accumulate), bias, clamp.
// NEON's max/min return NaN when either operand is NaN, so a NaN accumulator stays NaN, as in
// the reference.
[[gnu::always_inline]] inline float32x4_t Finish(float32x4_t v, const float* row, int r, int col,
                                                 bool accumulate, const TileEpilogue* e) {
  if (accumulate) v = vaddq_f32(v, vld1q_f32(row + col));
  if (e != nullptr) {
    if (e->row_bias != nullptr) v = vaddq_f32(v, vdupq_n_f32(e->row_bias[r]));
    if (e->col_bias != nullptr) v = vaddq_f32(v, vld1q_f32(e->col_bias + col));
    if (e->clamp) v = vminq_f32(vdupq_n_f32(e->hi), vmaxq_f32(vdupq_n_f32(e->lo), v));
  }
  return v;
}

// Stores row r of a 12-wide tile.
[[gnu::always_inline]] inline void StoreRow(float32x4_t v0, float32x4_t v1, float32x4_t v2, int r, float* c,
                                            int64_t ldc, bool accumulate, const TileEpilogue* e) {
  float* row = c + r * ldc;
  vst1q_f32(row, Finish(v0, row, r, 0, accumulate, e));
  vst1q_f32(row + 4, Finish(v1, row, r, 4, accumulate, e));
  vst1q_f32(row + 8, Finish(v2, row, r, 8, accumulate, e));
}

// One row of C (a batch-1 fully connected layer): the 8-row loop would spend eight times the
// FMAs, seven on zero padding. Four K steps per pass into separate accumulators, so the loop is
// bound by B's loads rather than by the FMA latency chain.
void Tile1x12(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate,
              const TileEpilogue* e) {
  constexpr int kUnroll = 4;
  float32x4_t s0[kUnroll], s1[kUnroll], s2[kUnroll];
  for (int u = 0; u < kUnroll; ++u) s0[u] = s1[u] = s2[u] = vdupq_n_f32(0.0f);
  int64_t l = 0;
  for (; l + kUnroll <= k; l += kUnroll) {
    for (int u = 0; u < kUnroll; ++u) {
      const float a_u = a[(l + u) * kRows];
      const float* b_u = b + (l + u) * ldb;
      s0[u] = vfmaq_n_f32(s0[u], vld1q_f32(b_u), a_u);
      s1[u] = vfmaq_n_f32(s1[u], vld1q_f32(b_u + 4), a_u);
      s2[u] = vfmaq_n_f32(s2[u], vld1q_f32(b_u + 8), a_u);
    }
  }
  for (; l < k; ++l) {
    const float a_l = a[l * kRows];
    const float* b_l = b + l * ldb;
    s0[0] = vfmaq_n_f32(s0[0], vld1q_f32(b_l), a_l);
    s1[0] = vfmaq_n_f32(s1[0], vld1q_f32(b_l + 4), a_l);
    s2[0] = vfmaq_n_f32(s2[0], vld1q_f32(b_l + 8), a_l);
  }
  auto sum = [](const float32x4_t* s) { return vaddq_f32(vaddq_f32(s[0], s[1]), vaddq_f32(s[2], s[3])); };
  StoreRow(sum(s0), sum(s1), sum(s2), 0, c, ldc, accumulate, e);
}

void Tile8x12(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows,
              bool accumulate, const TileEpilogue* e) {
  if (rows == 1) return Tile1x12(k, a, b, ldb, c, ldc, accumulate, e);
  float32x4_t c0_0 = vdupq_n_f32(0.0f), c0_1 = c0_0, c0_2 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c1_2 = c0_0;
  float32x4_t c2_0 = c0_0, c2_1 = c0_0, c2_2 = c0_0, c3_0 = c0_0, c3_1 = c0_0, c3_2 = c0_0;
  float32x4_t c4_0 = c0_0, c4_1 = c0_0, c4_2 = c0_0, c5_0 = c0_0, c5_1 = c0_0, c5_2 = c0_0;
  float32x4_t c6_0 = c0_0, c6_1 = c0_0, c6_2 = c0_0, c7_0 = c0_0, c7_1 = c0_0, c7_2 = c0_0;
  for (int64_t l = 0; l < k; ++l) {
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t a1 = vld1q_f32(a + 4);
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
    const float32x4_t b2 = vld1q_f32(b + 8);
    KINGLET_ROW(0, a0, 0) KINGLET_ROW(1, a0, 1) KINGLET_ROW(2, a0, 2) KINGLET_ROW(3, a0, 3)
    KINGLET_ROW(4, a1, 0) KINGLET_ROW(5, a1, 1) KINGLET_ROW(6, a1, 2) KINGLET_ROW(7, a1, 3)
    a += kRows;
    b += ldb;
  }
  StoreRow(c0_0, c0_1, c0_2, 0, c, ldc, accumulate, e);
  if (rows > 1) StoreRow(c1_0, c1_1, c1_2, 1, c, ldc, accumulate, e);
  if (rows > 2) StoreRow(c2_0, c2_1, c2_2, 2, c, ldc, accumulate, e);
  if (rows > 3) StoreRow(c3_0, c3_1, c3_2, 3, c, ldc, accumulate, e);
  if (rows > 4) StoreRow(c4_0, c4_1, c4_2, 4, c, ldc, accumulate, e);
  if (rows > 5) StoreRow(c5_0, c5_1, c5_2, 5, c, ldc, accumulate, e);
  if (rows > 6) StoreRow(c6_0, c6_1, c6_2, 6, c, ldc, accumulate, e);
  if (rows > 7) StoreRow(c7_0, c7_1, c7_2, 7, c, ldc, accumulate, e);
}

#undef KINGLET_ROW

// The first 4 columns only: MobileNet's planes (49, 196, 784, ... columns) all leave 1 or 4
// columns past the last whole 12-wide panel, which this computes at a third of the full tile's
// cost. Eight accumulators by lane, as the full tile.
void Tile8x4(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows,
             bool accumulate, const TileEpilogue* e) {
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (int64_t l = 0; l < k; ++l) {
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t a1 = vld1q_f32(a + 4);
    const float32x4_t b0 = vld1q_f32(b);
    s0 = vfmaq_laneq_f32(s0, b0, a0, 0);
    s1 = vfmaq_laneq_f32(s1, b0, a0, 1);
    s2 = vfmaq_laneq_f32(s2, b0, a0, 2);
    s3 = vfmaq_laneq_f32(s3, b0, a0, 3);
    s4 = vfmaq_laneq_f32(s4, b0, a1, 0);
    s5 = vfmaq_laneq_f32(s5, b0, a1, 1);
    s6 = vfmaq_laneq_f32(s6, b0, a1, 2);
    s7 = vfmaq_laneq_f32(s7, b0, a1, 3);
    a += kRows;
    b += ldb;
  }
  const float32x4_t sums[kRows] = {s0, s1, s2, s3, s4, s5, s6, s7};
  for (int r = 0; r < rows; ++r) {
    float* row = c + r * ldc;
    vst1q_f32(row, Finish(sums[r], row, r, 0, accumulate, e));
  }
}

// Column 0 only: a K step's eight rows of A are two vectors times one value of B — an eighth of
// Tile8x4's FMAs. Two K steps per pass into separate accumulators hide the FMA latency.
void Tile8x1(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows) {
  float32x4_t lo0 = vdupq_n_f32(0.0f), hi0 = lo0, lo1 = lo0, hi1 = lo0;
  int64_t l = 0;
  for (; l + 2 <= k; l += 2) {
    lo0 = vfmaq_n_f32(lo0, vld1q_f32(a + l * kRows), b[l * ldb]);
    hi0 = vfmaq_n_f32(hi0, vld1q_f32(a + l * kRows + 4), b[l * ldb]);
    lo1 = vfmaq_n_f32(lo1, vld1q_f32(a + (l + 1) * kRows), b[(l + 1) * ldb]);
    hi1 = vfmaq_n_f32(hi1, vld1q_f32(a + (l + 1) * kRows + 4), b[(l + 1) * ldb]);
  }
  if (l < k) {
    lo0 = vfmaq_n_f32(lo0, vld1q_f32(a + l * kRows), b[l * ldb]);
    hi0 = vfmaq_n_f32(hi0, vld1q_f32(a + l * kRows + 4), b[l * ldb]);
  }
  float sums[kRows];
  vst1q_f32(sums, vaddq_f32(lo0, lo1));
  vst1q_f32(sums + 4, vaddq_f32(hi0, hi1));
  for (int r = 0; r < rows; ++r) c[r * ldc] = sums[r];
}

}  // namespace

const SgemmKernel& NeonSgemmKernel() {
  static const SgemmKernel kernel{"neon 8x12", kRows, kCols, Tile8x12, 4, Tile8x4, Tile8x1};
  return kernel;
}

}  // namespace kinglet::kernels::arm
