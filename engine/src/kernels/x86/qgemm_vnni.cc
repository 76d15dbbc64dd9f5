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

}  // namespace

const QGemmKernel& VnniQGemmKernel() {
  static const QGemmKernel kernel{"avx512-vnni int8 (vpdpbusd)", Tile<VnniDot>};
  return kernel;
}

}  // namespace kinglet::kernels::x86
