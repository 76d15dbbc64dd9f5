#include "kernels/arm/qgemm_neon.h"

#include <arm_neon.h>

#include <cstring>

namespace kinglet::kernels::arm {
namespace {

// Up to four rows of A against one 8-column block. Each step widens the block's 16 int8 weights
// (8 columns x a pair of K rows, interleaved) to int16 once, and multiply-accumulates them into
// int32 lanes against the row's pair (a0, a1, a0, a1) with vmlal_s16: lane 2c gathers column c's
// even-K products, lane 2c + 1 its odd-K ones, and one pairwise add at the end sums them. Exact:
// each lane adds at most 2^16 products of |127 * 127|.
#define KINGLET_ROW(r)                                                                        \
  {                                                                                           \
    int32_t pair;                                                                             \
    std::memcpy(&pair, a##r + 2 * p, sizeof(pair));                                           \
    const int16x4_t a_pair = vreinterpret_s16_s32(vdup_n_s32(pair));                          \
    acc##r##_0 = vmlal_s16(acc##r##_0, vget_low_s16(w_lo), a_pair);                           \
    acc##r##_1 = vmlal_s16(acc##r##_1, vget_high_s16(w_lo), a_pair);                          \
    acc##r##_2 = vmlal_s16(acc##r##_2, vget_low_s16(w_hi), a_pair);                           \
    acc##r##_3 = vmlal_s16(acc##r##_3, vget_high_s16(w_hi), a_pair);                          \
  }
#define KINGLET_STORE(r)                                                                      \
  if ((r) < rows) {                                                                           \
    vst1q_s32(acc + (r) * 8, vpaddq_s32(acc##r##_0, acc##r##_1));                             \
    vst1q_s32(acc + (r) * 8 + 4, vpaddq_s32(acc##r##_2, acc##r##_3));                         \
  }

// One row (a batch-1 layer): the four-row loop would issue four times the multiplies.
void OneRowTile(int64_t pairs, const int16_t* a0, const int8_t* block, int32_t* acc) {
  int32x4_t acc0_0 = vdupq_n_s32(0), acc0_1 = acc0_0, acc0_2 = acc0_0, acc0_3 = acc0_0;
  for (int64_t p = 0; p < pairs; ++p) {
    const int8x16_t w = vld1q_s8(block + p * 16);
    const int16x8_t w_lo = vmovl_s8(vget_low_s8(w));
    const int16x8_t w_hi = vmovl_high_s8(w);
    KINGLET_ROW(0)
  }
  vst1q_s32(acc, vpaddq_s32(acc0_0, acc0_1));
  vst1q_s32(acc + 4, vpaddq_s32(acc0_2, acc0_3));
}

void Tile(int64_t pairs, const int16_t* qa, int64_t a_stride, int rows, const int8_t* block, int32_t* acc) {
  if (rows == 1) return OneRowTile(pairs, qa, block, acc);
  int32x4_t acc0_0 = vdupq_n_s32(0), acc0_1 = acc0_0, acc0_2 = acc0_0, acc0_3 = acc0_0;
  int32x4_t acc1_0 = acc0_0, acc1_1 = acc0_0, acc1_2 = acc0_0, acc1_3 = acc0_0;
  int32x4_t acc2_0 = acc0_0, acc2_1 = acc0_0, acc2_2 = acc0_0, acc2_3 = acc0_0;
  int32x4_t acc3_0 = acc0_0, acc3_1 = acc0_0, acc3_2 = acc0_0, acc3_3 = acc0_0;
  // Rows past `rows` reread row 0 (their sums are never stored), so the loop has no branches.
  const int16_t* a0 = qa;
  const int16_t* a1 = qa + (rows > 1 ? a_stride : 0);
  const int16_t* a2 = qa + (rows > 2 ? 2 * a_stride : 0);
  const int16_t* a3 = qa + (rows > 3 ? 3 * a_stride : 0);
  for (int64_t p = 0; p < pairs; ++p) {
    const int8x16_t w = vld1q_s8(block + p * 16);
    const int16x8_t w_lo = vmovl_s8(vget_low_s8(w));  // columns 0-3
    const int16x8_t w_hi = vmovl_high_s8(w);          // columns 4-7
    KINGLET_ROW(0) KINGLET_ROW(1) KINGLET_ROW(2) KINGLET_ROW(3)
  }
  KINGLET_STORE(0) KINGLET_STORE(1) KINGLET_STORE(2) KINGLET_STORE(3)
}

#undef KINGLET_ROW
#undef KINGLET_STORE

}  // namespace

const QGemmKernel& NeonQGemmKernel() {
  static const QGemmKernel kernel{"neon int8 (smlal)", Tile};
  return kernel;
}

}  // namespace kinglet::kernels::arm
