#include "kernels/x86/qgemm_avx2.h"

#include "kernels/x86/qgemm_tile.h"

namespace kinglet::kernels::x86 {
namespace {

// |a| times w with a's sign applied (vpsignb zeroes the weight where a is 0, which |a| = 0 does
// anyway) makes a * w with an unsigned first operand, as vpmaddubsw wants; its int16 pair sums stay
// within 2 * 127 * 127 (no saturation), and vpmaddwd by ones adds the two pairs of each column into
// int32.
struct MaddDot {
  static __m256i Step(__m256i sum, __m256i w, __m256i a, __m256i magnitude) {
    const __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w, a));
    return _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
  }
};

}  // namespace

const QGemmKernel& Avx2QGemmKernel() {
  static const QGemmKernel kernel{"avx2 int8 (vpmaddubsw)", Tile<MaddDot>};
  return kernel;
}

}  // namespace kinglet::kernels::x86
