#include "kernels/x86/sgemm_avx2.h"

#include <immintrin.h>

namespace kinglet::kernels::x86 {
namespace {

constexpr int kRows = 6;
constexpr int kCols = 16;

// 6 x 16 tile: 12 YMM accumulators, two B vectors and one broadcast of A fill 15 of the 16
// registers, and each step issues 12 FMAs for 2 loads of B — enough to keep both FMA ports busy.
void Tile6x16(int64_t k, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m256 acc[kRows][2];
  for (int r = 0; r < kRows; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t l = 0; l < k; ++l) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    for (int r = 0; r < kRows; ++r) {
      const __m256 a_r = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(a_r, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a_r, b1, acc[r][1]);
    }
    a += kRows;
    b += kCols;
  }
  for (int r = 0; r < kRows; ++r) {
    float* row = c + r * ldc;
    if (accumulate) {
      acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(row));
      acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, acc[r][0]);
    _mm256_storeu_ps(row + 8, acc[r][1]);
  }
}

}  // namespace

const SgemmKernel& Avx2SgemmKernel() {
  static const SgemmKernel kernel{"avx2-fma 6x16", kRows, kCols, Tile6x16};
  return kernel;
}

}  // namespace kinglet::kernels::x86
