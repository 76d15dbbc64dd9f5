#include "kernels/arm/qgemm_neon.h"

#include <arm_neon.h>

namespace kinglet::kernels::arm {
namespace {

// The quad of row `a` at step q as int16 (a0 a1 a2 a3 a0 a1 a2 a3), the layout of two columns'
// weights in a widened half of the step.
inline int16x8_t QuadPattern(const int8_t* a, int64_t q) {
  return vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(QuadAt(a, q))));
}

// Each step widens the block's 32 weights (8 columns x 4 K values) to int16 once; per row, a
// 16-bit multiply by the quad pattern (exact: |127 * 127| fits) and a pairwise add-accumulate into
// int32 lanes (column c's K pairs 0-1 and 2-3); one pairwise add at the end sums each column's two
// lanes. Each lane adds at most 2^16 products of |127 * 127|: no overflow.
#define KINGLET_ROW(r)                                           \
  {                                                              \
    const int16x8_t a_quad = QuadPattern(a##r, q);               \
    acc##r##_0 = vpadalq_s16(acc##r##_0, vmulq_s16(w0, a_quad)); \
    acc##r##_1 = vpadalq_s16(acc##r##_1, vmulq_s16(w1, a_quad)); \
    acc##r##_2 = vpadalq_s16(acc##r##_2, vmulq_s16(w2, a_quad)); \
    acc##r##_3 = vpadalq_s16(acc##r##_3, vmulq_s16(w3, a_quad)); \
  }
#define KINGLET_STORE(r)                                                                      \
  if ((r) < rows) {                                                                           \
    vst1q_s32(acc + (r) * 8, vpaddq_s32(acc##r##_0, acc##r##_1));                             \
    vst1q_s32(acc + (r) * 8 + 4, vpaddq_s32(acc##r##_2, acc##r##_3));                         \
  }
#define KINGLET_LOAD_STEP                                                     \
  const int8x16_t w_lo = vld1q_s8(block + q * 32);      /* columns 0-3 */     \
  const int8x16_t w_hi = vld1q_s8(block + q * 32 + 16); /* columns 4-7 */     \
  const int16x8_t w0 = vmovl_s8(vget_low_s8(w_lo)), w1 = vmovl_high_s8(w_lo); \
  const int16x8_t w2 = vmovl_s8(vget_low_s8(w_hi)), w3 = vmovl_high_s8(w_hi);

// One row (a batch-1 layer): the four-row loop would issue four times the multiplies.
void OneRowTile(int64_t quads, const int8_t* a0, const int8_t* block, int32_t* acc) {
  const int rows = 1;
  int32x4_t acc0_0 = vdupq_n_s32(0), acc0_1 = acc0_0, acc0_2 = acc0_0, acc0_3 = acc0_0;
  for (int64_t q = 0; q < quads; ++q) {
    KINGLET_LOAD_STEP
    KINGLET_ROW(0)
  }
  KINGLET_STORE(0)
}

void Tile(int64_t quads, const int8_t* qa, int64_t a_stride, int rows, const int8_t* block, int32_t* acc) {
  if (rows == 1) return OneRowTile(quads, qa, block, acc);
  int32x4_t acc0_0 = vdupq_n_s32(0), acc0_1 = acc0_0, acc0_2 = acc0_0, acc0_3 = acc0_0;
  int32x4_t acc1_0 = acc0_0, acc1_1 = acc0_0, acc1_2 = acc0_0, acc1_3 = acc0_0;
  int32x4_t acc2_0 = acc0_0, acc2_1 = acc0_0, acc2_2 = acc0_0, acc2_3 = acc0_0;
  int32x4_t acc3_0 = acc0_0, acc3_1 = acc0_0, acc3_2 = acc0_0, acc3_3 = acc0_0;
  // Rows past `rows` reread row 0 (their sums are never stored), so the loop has no branches.
  const int8_t* a0 = qa;
  const int8_t* a1 = qa + (rows > 1 ? a_stride : 0);
  const int8_t* a2 = qa + (rows > 2 ? 2 * a_stride : 0);
  const int8_t* a3 = qa + (rows > 3 ? 3 * a_stride : 0);
  for (int64_t q = 0; q < quads; ++q) {
    KINGLET_LOAD_STEP
    KINGLET_ROW(0) KINGLET_ROW(1) KINGLET_ROW(2) KINGLET_ROW(3)
  }
  KINGLET_STORE(0) KINGLET_STORE(1) KINGLET_STORE(2) KINGLET_STORE(3)
}

#undef KINGLET_ROW
#undef KINGLET_STORE
#undef KINGLET_LOAD_STEP

}  // namespace

const QGemmKernel& NeonQGemmKernel() {
  static const QGemmKernel kernel{"neon int8 (smull, sadalp)", Tile};
  return kernel;
}

}  // namespace kinglet::kernels::arm
