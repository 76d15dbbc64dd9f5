#include "kernels/x86/qgemm_avx2.h"

#include <immintrin.h>

namespace kinglet::kernels::x86 {
namespace {

// The quad of row `a` at step q, in every 32-bit lane: the step's 32 weights are 8 columns x the
// same 4 K values.
inline __m256i BroadcastQuad(const int8_t* a, int64_t q) { return _mm256_set1_epi32(QuadAt(a, q)); }

// sum + the step's products for one row: |a| times w with a's sign applied (vpsignb zeroes the
// weight where a is 0, which |a| = 0 does anyway) makes a * w with an unsigned first operand, as
// vpmaddubsw wants; its int16 pair sums stay within 2 * 127 * 127 (no saturation), and vpmaddwd
// by ones adds the two pairs of each column into int32.
inline __m256i Step(__m256i sum, __m256i w, __m256i a, __m256i magnitude, __m256i ones) {
  const __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w, a));
  return _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, ones));
}

// Up to four rows of A against one 8-column block, the weights loaded once per step. Rows past
// `rows` reread row 0 (their sums are never stored), so the loop has no branches.
void FourRowTile(int64_t quads, const int8_t* qa, int64_t a_stride, int rows, const int8_t* block,
                 int32_t* acc) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  const int64_t mag = quads * 4;  // the magnitudes follow each row's values
  const int8_t* a0 = qa;
  const int8_t* a1 = qa + (rows > 1 ? a_stride : 0);
  const int8_t* a2 = qa + (rows > 2 ? 2 * a_stride : 0);
  const int8_t* a3 = qa + (rows > 3 ? 3 * a_stride : 0);
  for (int64_t q = 0; q < quads; ++q) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + q * 32));
    acc0 = Step(acc0, w, BroadcastQuad(a0, q), BroadcastQuad(a0 + mag, q), ones);
    acc1 = Step(acc1, w, BroadcastQuad(a1, q), BroadcastQuad(a1 + mag, q), ones);
    acc2 = Step(acc2, w, BroadcastQuad(a2, q), BroadcastQuad(a2 + mag, q), ones);
    acc3 = Step(acc3, w, BroadcastQuad(a3, q), BroadcastQuad(a3 + mag, q), ones);
  }
  __m256i* out = reinterpret_cast<__m256i*>(acc);
  _mm256_storeu_si256(out, acc0);
  if (rows > 1) _mm256_storeu_si256(out + 1, acc1);
  if (rows > 2) _mm256_storeu_si256(out + 2, acc2);
  if (rows > 3) _mm256_storeu_si256(out + 3, acc3);
}

// One row (a batch-1 layer): one row's work per step instead of four with three thrown away, two
// sums so consecutive steps do not wait on each other's add.
void OneRowTile(int64_t quads, const int8_t* a, const int8_t* block, int32_t* acc) {
  const __m256i ones = _mm256_set1_epi16(1);
  const int8_t* magnitudes = a + quads * 4;
  __m256i sum0 = _mm256_setzero_si256(), sum1 = sum0;
  int64_t q = 0;
  for (; q + 2 <= quads; q += 2) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + q * 32));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + q * 32 + 32));
    sum0 = Step(sum0, w0, BroadcastQuad(a, q), BroadcastQuad(magnitudes, q), ones);
    sum1 = Step(sum1, w1, BroadcastQuad(a, q + 1), BroadcastQuad(magnitudes, q + 1), ones);
  }
  if (q < quads) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + q * 32));
    sum0 = Step(sum0, w, BroadcastQuad(a, q), BroadcastQuad(magnitudes, q), ones);
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc), _mm256_add_epi32(sum0, sum1));
}

void Tile(int64_t quads, const int8_t* qa, int64_t a_stride, int rows, const int8_t* block, int32_t* acc) {
  if (rows == 1) return OneRowTile(quads, qa, block, acc);
  FourRowTile(quads, qa, a_stride, rows, block, acc);
}

}  // namespace

const QGemmKernel& Avx2QGemmKernel() {
  static const QGemmKernel kernel{"avx2 int8 (vpmaddubsw)", Tile};
  return kernel;
}

}  // namespace kinglet::kernels::x86
