#include "kernels/x86/qgemm_avx2.h"

#include <immintrin.h>

#include <cstring>

namespace kinglet::kernels::x86 {
namespace {

// Up to four rows of A against one 8-column block: each step widens 16 int8 weights (8 columns x
// 2 rows of K) to int16 once and multiplies them by each row's broadcast pair with vpmaddwd, which
// adds the two products into int32 — exact (|127 * 127 * 2| fits easily), no saturation. Rows
// past `rows` reread row 0 (their sums are never stored), so the loop has no branches.
void FourRowTile(int64_t pairs, const int16_t* qa, int64_t a_stride, int rows, const int8_t* block,
                 int32_t* acc) {
  __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  const int16_t* a0 = qa;
  const int16_t* a1 = qa + (rows > 1 ? a_stride : 0);
  const int16_t* a2 = qa + (rows > 2 ? 2 * a_stride : 0);
  const int16_t* a3 = qa + (rows > 3 ? 3 * a_stride : 0);
  for (int64_t p = 0; p < pairs; ++p) {
    const __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + p * 16)));
    int32_t pair;
    std::memcpy(&pair, a0 + 2 * p, sizeof(pair));
    acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(w, _mm256_set1_epi32(pair)));
    std::memcpy(&pair, a1 + 2 * p, sizeof(pair));
    acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(w, _mm256_set1_epi32(pair)));
    std::memcpy(&pair, a2 + 2 * p, sizeof(pair));
    acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(w, _mm256_set1_epi32(pair)));
    std::memcpy(&pair, a3 + 2 * p, sizeof(pair));
    acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(w, _mm256_set1_epi32(pair)));
  }
  __m256i* out = reinterpret_cast<__m256i*>(acc);
  _mm256_storeu_si256(out, acc0);
  if (rows > 1) _mm256_storeu_si256(out + 1, acc1);
  if (rows > 2) _mm256_storeu_si256(out + 2, acc2);
  if (rows > 3) _mm256_storeu_si256(out + 3, acc3);
}

// One row (a batch-1 layer): one multiply per step instead of four with three thrown away, and
// four steps per pass so the loop is not bound by its own overhead.
void OneRowTile(int64_t pairs, const int16_t* a0, const int8_t* block, int32_t* acc) {
  __m256i sum = _mm256_setzero_si256();
#pragma GCC unroll 4
  for (int64_t p = 0; p < pairs; ++p) {
    const __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + p * 16)));
    int32_t pair;
    std::memcpy(&pair, a0 + 2 * p, sizeof(pair));
    sum = _mm256_add_epi32(sum, _mm256_madd_epi16(w, _mm256_set1_epi32(pair)));
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc), sum);
}

void Tile(int64_t pairs, const int16_t* qa, int64_t a_stride, int rows, const int8_t* block, int32_t* acc) {
  if (rows == 1) return OneRowTile(pairs, qa, block, acc);
  FourRowTile(pairs, qa, a_stride, rows, block, acc);
}

}  // namespace

const QGemmKernel& Avx2QGemmKernel() {
  static const QGemmKernel kernel{"avx2 int8 (vpmaddwd)", Tile};
  return kernel;
}

}  // namespace kinglet::kernels::x86
