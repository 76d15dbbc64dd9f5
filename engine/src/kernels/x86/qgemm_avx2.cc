#include "kernels/x86/qgemm_avx2.h"

#include <immintrin.h>

#include <cstring>

namespace kinglet::kernels::x86 {
namespace {

// kRows rows of A against one 8-column block: each step widens 16 int8 weights (8 columns x 2
// rows of K) to int16 once and multiplies them by each row's broadcast pair with vpmaddwd, which
// adds the two products into int32 — exact (|127 * 127 * 2| fits easily), no saturation. The row
// count is a template argument so a batch-1 layer (one row) issues one multiply per step, not
// four with three thrown away.
template <int kRows>
void RowsTile(int64_t pairs, const int16_t* qa, int64_t a_stride, const int8_t* block, int32_t* acc) {
  __m256i sums[kRows];
  for (int r = 0; r < kRows; ++r) sums[r] = _mm256_setzero_si256();
#pragma GCC unroll 4
  for (int64_t p = 0; p < pairs; ++p) {
    const __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + p * 16)));
    for (int r = 0; r < kRows; ++r) {
      int32_t pair;
      std::memcpy(&pair, qa + r * a_stride + 2 * p, sizeof(pair));
      sums[r] = _mm256_add_epi32(sums[r], _mm256_madd_epi16(w, _mm256_set1_epi32(pair)));
    }
  }
  for (int r = 0; r < kRows; ++r) _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc) + r, sums[r]);
}

void Tile(int64_t pairs, const int16_t* qa, int64_t a_stride, int rows, const int8_t* block, int32_t* acc) {
  switch (rows) {
    case 1:
      return RowsTile<1>(pairs, qa, a_stride, block, acc);
    case 2:
      return RowsTile<2>(pairs, qa, a_stride, block, acc);
    case 3:
      return RowsTile<3>(pairs, qa, a_stride, block, acc);
    default:
      return RowsTile<4>(pairs, qa, a_stride, block, acc);
  }
}

}  // namespace

const QGemmKernel& Avx2QGemmKernel() {
  static const QGemmKernel kernel{"avx2 int8 (vpmaddwd)", Tile};
  return kernel;
}

}  // namespace kinglet::kernels::x86
