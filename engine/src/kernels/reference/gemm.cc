#include "kernels/reference/gemm.h"

namespace kinglet::kernels::reference {

void Gemm(const GemmParams& p, const float* a, const float* b, const float* c, float* y) {
  const bool use_c = c != nullptr && p.beta != 0.0f;
  for (int64_t i = 0; i < p.m; ++i) {
    float* y_row = y + i * p.ldy;
    if (use_c) {
      const float* c_row = c + i * p.ldc;
      for (int64_t j = 0; j < p.n; ++j) y_row[j] = p.beta * c_row[j * p.c_col_stride];
    } else {
      for (int64_t j = 0; j < p.n; ++j) y_row[j] = 0.0f;
    }
    // Loop order keeps the innermost loop on contiguous memory: i-k-j streams rows of B into a
    // row of Y; with B transposed, each Y element is a dot product of two contiguous rows.
    if (!p.trans_b) {
      for (int64_t kk = 0; kk < p.k; ++kk) {
        const float a_ik = p.alpha * (p.trans_a ? a[kk * p.lda + i] : a[i * p.lda + kk]);
        const float* b_row = b + kk * p.ldb;
        for (int64_t j = 0; j < p.n; ++j) y_row[j] += a_ik * b_row[j];
      }
    } else {
      for (int64_t j = 0; j < p.n; ++j) {
        const float* b_row = b + j * p.ldb;
        float sum = 0.0f;
        if (!p.trans_a) {
          const float* a_row = a + i * p.lda;
          for (int64_t kk = 0; kk < p.k; ++kk) sum += a_row[kk] * b_row[kk];
        } else {
          for (int64_t kk = 0; kk < p.k; ++kk) sum += a[kk * p.lda + i] * b_row[kk];
        }
        y_row[j] += p.alpha * sum;
      }
    }
  }
}

}  // namespace kinglet::kernels::reference
