#include "kernels/x86/sgemm_avx512.h"

#include <immintrin.h>

namespace kinglet::kernels::x86 {
namespace {

constexpr int kRows = 12;
constexpr int kCols = 32;

// 12 x 32 tile: 24 ZMM accumulators, two B vectors and one broadcast of A (of 32 registers);
// 24 FMAs per 2 loads of B and 12 broadcasts.
void Tile12x32(int64_t k, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m512 acc[kRows][2];
  for (int r = 0; r < kRows; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t l = 0; l < k; ++l) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
    for (int r = 0; r < kRows; ++r) {
      const __m512 a_r = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(a_r, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a_r, b1, acc[r][1]);
    }
    a += kRows;
    b += kCols;
  }
  for (int r = 0; r < kRows; ++r) {
    float* row = c + r * ldc;
    if (accumulate) {
      acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_loadu_ps(row));
      acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_loadu_ps(row + 16));
    }
    _mm512_storeu_ps(row, acc[r][0]);
    _mm512_storeu_ps(row + 16, acc[r][1]);
  }
}

}  // namespace

const SgemmKernel& Avx512SgemmKernel() {
  static const SgemmKernel kernel{"avx512f 12x32", kRows, kCols, Tile12x32};
  return kernel;
}

}  // namespace kinglet::kernels::x86
