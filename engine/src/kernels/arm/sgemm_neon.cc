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
// NEON's max/min return NaN when either operand is NaN, so a NaN accumulator stays NaN, as in
// the reference.
#define KINGLET_STORE(r)                                        \
  if ((r) < rows) {                                             \
    float* row = c + (r) * ldc;                                 \
    if (accumulate) {                                           \
      c##r##_0 = vaddq_f32(c##r##_0, vld1q_f32(row));           \
      c##r##_1 = vaddq_f32(c##r##_1, vld1q_f32(row + 4));       \
      c##r##_2 = vaddq_f32(c##r##_2, vld1q_f32(row + 8));       \
    }                                                           \
    if (e != nullptr) {                                         \
      if (e->row_bias != nullptr) {                             \
        const float32x4_t bias = vdupq_n_f32(e->row_bias[r]);   \
        c##r##_0 = vaddq_f32(c##r##_0, bias);                   \
        c##r##_1 = vaddq_f32(c##r##_1, bias);                   \
        c##r##_2 = vaddq_f32(c##r##_2, bias);                   \
      }                                                         \
      if (e->col_bias != nullptr) {                             \
        c##r##_0 = vaddq_f32(c##r##_0, vld1q_f32(e->col_bias));       \
        c##r##_1 = vaddq_f32(c##r##_1, vld1q_f32(e->col_bias + 4));   \
        c##r##_2 = vaddq_f32(c##r##_2, vld1q_f32(e->col_bias + 8));   \
      }                                                         \
      if (e->clamp) {                                           \
        c##r##_0 = vminq_f32(hi, vmaxq_f32(lo, c##r##_0));      \
        c##r##_1 = vminq_f32(hi, vmaxq_f32(lo, c##r##_1));      \
        c##r##_2 = vminq_f32(hi, vmaxq_f32(lo, c##r##_2));      \
      }                                                         \
    }                                                           \
    vst1q_f32(row, c##r##_0);                                   \
    vst1q_f32(row + 4, c##r##_1);                               \
    vst1q_f32(row + 8, c##r##_2);                               \
  }

void Tile8x12(int64_t k, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows,
              bool accumulate, const TileEpilogue* e) {
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
  const float32x4_t lo = vdupq_n_f32(e != nullptr ? e->lo : 0.0f);
  const float32x4_t hi = vdupq_n_f32(e != nullptr ? e->hi : 0.0f);
  KINGLET_STORE(0) KINGLET_STORE(1) KINGLET_STORE(2) KINGLET_STORE(3)
  KINGLET_STORE(4) KINGLET_STORE(5) KINGLET_STORE(6) KINGLET_STORE(7)
}

#undef KINGLET_ROW
#undef KINGLET_STORE

}  // namespace

const SgemmKernel& NeonSgemmKernel() {
  static const SgemmKernel kernel{"neon 8x12", kRows, kCols, Tile8x12};
  return kernel;
}

}  // namespace kinglet::kernels::arm
