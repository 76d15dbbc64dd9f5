// Reference single-precision GEMM: Y = alpha * op(A) * op(B) + beta * C.
//
// Shared by Gemm, MatMul and (through im2col) Conv, so the signature is BLAS-like: every matrix
// is row-major with an explicit row stride, which lets callers run on sub-matrices and batches
// without copies.
#pragma once

#include <cstdint>

namespace kinglet::kernels::reference {

struct GemmParams {
  int64_t m = 0;         // rows of op(A) and Y
  int64_t n = 0;         // columns of op(B) and Y
  int64_t k = 0;         // columns of op(A) == rows of op(B)
  bool trans_a = false;  // A is stored K x M
  bool trans_b = false;  // B is stored N x K
  // Row strides, in elements, of A and B as stored (so lda >= M when trans_a) and of Y.
  int64_t lda = 0;
  int64_t ldb = 0;
  int64_t ldy = 0;
  float alpha = 1.0f;
  float beta = 0.0f;
  // C is read as c[i * ldc + j * c_col_stride], so strides of 0 broadcast it: ldc = 0 repeats
  // one row (a per-column bias), c_col_stride = 0 repeats one column (Conv's per-channel bias),
  // both 0 a scalar.
  int64_t ldc = 0;
  int64_t c_col_stride = 1;
};

// Y (M x N) must not overlap A, B or C. C may be nullptr, which is the same as beta == 0; when
// beta == 0, C is not read at all (as in BLAS, so NaNs in an unused C do not leak into Y).
void Gemm(const GemmParams& p, const float* a, const float* b, const float* c, float* y);

}  // namespace kinglet::kernels::reference
