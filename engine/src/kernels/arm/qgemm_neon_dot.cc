// Built with the ARMv8.2 dot-product extension (see engine/CMakeLists.txt); runs only where
// DetectCpuFeatures().dotprod says the CPU has it.
#include <arm_neon.h>

#include "kernels/arm/qgemm_neon.h"

namespace kinglet::kernels::arm {
namespace {

// The quad of row `a` at step q in every 32-bit lane: sdot multiplies each lane's four weights
// (one column's 4 K values) by it and adds the sum into that column's int32 lane.
inline int8x16_t BroadcastQuad(const int8_t* a, int64_t q) {
  return vreinterpretq_s8_s32(vdupq_n_s32(QuadAt(a, q)));
}

#define KINGLET_ROW(r)                                  \
  {                                                     \
    const int8x16_t a_quad = BroadcastQuad(a##r, q);    \
    acc##r##_lo = vdotq_s32(acc##r##_lo, w_lo, a_quad); \
    acc##r##_hi = vdotq_s32(acc##r##_hi, w_hi, a_quad); \
  }
#define KINGLET_STORE(r)                     \
  if ((r) < rows) {                          \
    vst1q_s32(acc + (r)*8, acc##r##_lo);     \
    vst1q_s32(acc + (r)*8 + 4, acc##r##_hi); \
  }

// Up to four rows against one 8-column block: two sdot per row and step, 32 multiply-adds.
// Rows past `rows` reread row 0 (their sums are never stored), so the loop has no branches.
void Tile(int64_t quads, const int8_t* qa, int64_t a_stride, int rows, const int8_t* block, int32_t* acc) {
  int32x4_t acc0_lo = vdupq_n_s32(0), acc0_hi = acc0_lo, acc1_lo = acc0_lo, acc1_hi = acc0_lo;
  int32x4_t acc2_lo = acc0_lo, acc2_hi = acc0_lo, acc3_lo = acc0_lo, acc3_hi = acc0_lo;
  const int8_t* a0 = qa;
  const int8_t* a1 = qa + (rows > 1 ? a_stride : 0);
  const int8_t* a2 = qa + (rows > 2 ? 2 * a_stride : 0);
  const int8_t* a3 = qa + (rows > 3 ? 3 * a_stride : 0);
  if (rows == 1) {
    for (int64_t q = 0; q < quads; ++q) {
      const int8x16_t w_lo = vld1q_s8(block + q * 32), w_hi = vld1q_s8(block + q * 32 + 16);
      KINGLET_ROW(0)
    }
  } else {
    for (int64_t q = 0; q < quads; ++q) {
      const int8x16_t w_lo = vld1q_s8(block + q * 32), w_hi = vld1q_s8(block + q * 32 + 16);
      KINGLET_ROW(0) KINGLET_ROW(1) KINGLET_ROW(2) KINGLET_ROW(3)
    }
  }
  KINGLET_STORE(0) KINGLET_STORE(1) KINGLET_STORE(2) KINGLET_STORE(3)
}

#undef KINGLET_ROW
#undef KINGLET_STORE

}  // namespace

const QGemmKernel& NeonDotQGemmKernel() {
  static const QGemmKernel kernel{"neon int8 (sdot)", Tile};
  return kernel;
}

}  // namespace kinglet::kernels::arm
