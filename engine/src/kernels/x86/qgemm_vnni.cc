// Built with AVX-512 VNNI and VL (see engine/CMakeLists.txt); runs only where
// DetectCpuFeatures().avx512_vnni says the CPU has both.
#include "kernels/x86/qgemm_vnni.h"

#include "kernels/x86/qgemm_tile.h"

namespace kinglet::kernels::x86 {
namespace {

// vpdpbusd multiplies unsigned bytes by signed ones and adds each lane's four products into its
// int32 sum, exactly: the same |a| times (w with a's sign) as the AVX2 tile, in one instruction
// where that takes three.
struct VnniDot {
  static __m256i Step(__m256i sum, __m256i w, __m256i a, __m256i magnitude) {
    return _mm256_dpbusd_epi32(sum, magnitude, _mm256_sign_epi8(w, a));
  }
};

// QGemmKernel::wide_tile_unsigned_b: B's bytes go into vpdpbusd as they are, so a step is two
// loads, four broadcasts and eight dot products — no magnitudes, no vpsignb, which shares the dot
// product's two pipes (Tile<VnniDot> spends half its issue slots on it).
void UnsignedWideTile(int64_t quads, const int8_t* qa, int64_t a_stride, int rows, const int8_t* block,
                      int64_t block_stride, int32_t* acc) {
  __m256i l0 = _mm256_setzero_si256(), l1 = l0, l2 = l0, l3 = l0, r0 = l0, r1 = l0, r2 = l0, r3 = l0;
  const int8_t* a0 = qa;
  const int8_t* a1 = qa + (rows > 1 ? a_stride : 0);
  const int8_t* a2 = qa + (rows > 2 ? 2 * a_stride : 0);
  const int8_t* a3 = qa + (rows > 3 ? 3 * a_stride : 0);
  const int8_t* right = block + block_stride;
  for (int64_t q = 0; q < quads; ++q) {
    const __m256i ul = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + q * 32));
    const __m256i ur = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(right + q * 32));
    __m256i a = BroadcastQuad(a0, q);
    l0 = _mm256_dpbusd_epi32(l0, ul, a);
    r0 = _mm256_dpbusd_epi32(r0, ur, a);
    a = BroadcastQuad(a1, q);
    l1 = _mm256_dpbusd_epi32(l1, ul, a);
    r1 = _mm256_dpbusd_epi32(r1, ur, a);
    a = BroadcastQuad(a2, q);
    l2 = _mm256_dpbusd_epi32(l2, ul, a);
    r2 = _mm256_dpbusd_epi32(r2, ur, a);
    a = BroadcastQuad(a3, q);
    l3 = _mm256_dpbusd_epi32(l3, ul, a);
    r3 = _mm256_dpbusd_epi32(r3, ur, a);
  }
  __m256i* out = reinterpret_cast<__m256i*>(acc);
  const __m256i sums[8] = {l0, r0, l1, r1, l2, r2, l3, r3};
  for (int i = 0; i < 2 * rows; ++i) _mm256_storeu_si256(out + i, sums[i]);
}

}  // namespace

const QGemmKernel& VnniQGemmKernel() {
  static const QGemmKernel kernel{"avx512-vnni int8 (vpdpbusd)", Tile<VnniDot>, UnsignedWideTile,
                                  /*conv_beats_float=*/true};
  return kernel;
}

}  // namespace kinglet::kernels::x86
