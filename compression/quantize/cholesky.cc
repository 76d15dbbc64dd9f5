#include "quantize/cholesky.h"

#include <cmath>
#include <string>

namespace kinglet::compression::quantize {

bool CholeskyLowerInPlace(MatrixD* a) {
  const int64_t n = a->rows;
  for (int64_t i = 0; i < n; ++i) {
    double* li = a->row(i);
    for (int64_t j = 0; j <= i; ++j) {
      const double* lj = a->row(j);
      // Four partial sums break the add dependency chain (strict IEEE order forbids the compiler to).
      double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      int64_t k = 0;
      for (; k + 4 <= j; k += 4) {
        s0 += li[k] * lj[k];
        s1 += li[k + 1] * lj[k + 1];
        s2 += li[k + 2] * lj[k + 2];
        s3 += li[k + 3] * lj[k + 3];
      }
      for (; k < j; ++k) s0 += li[k] * lj[k];
      const double s = li[j] - ((s0 + s1) + (s2 + s3));
      if (j == i) {
        if (!(s > 0.0) || !std::isfinite(s)) return false;
        li[i] = std::sqrt(s);
      } else {
        li[j] = s / lj[j];
      }
    }
    for (int64_t j = i + 1; j < n; ++j) li[j] = 0.0;
  }
  return true;
}

void CholeskySolveInPlace(const MatrixD& l, double* b) {
  const int64_t n = l.rows;
  for (int64_t i = 0; i < n; ++i) {  // L y = b
    const double* li = l.row(i);
    double s = b[i];
    for (int64_t k = 0; k < i; ++k) s -= li[k] * b[k];
    b[i] = s / li[i];
  }
  for (int64_t i = n - 1; i >= 0; --i) {  // L^T x = y
    double s = b[i];
    for (int64_t k = i + 1; k < n; ++k) s -= l(k, i) * b[k];
    b[i] = s / l(i, i);
  }
}

namespace {

// X = L^-1 (lower), by forward substitution on the rows of L X = I: row i only reads rows < i,
// each nonzero up to its own index, so the inner loop is a contiguous axpy.
MatrixD LowerInverse(const MatrixD& l) {
  const int64_t n = l.rows;
  MatrixD x(n, n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    double* xi = x.row(i);
    const double* li = l.row(i);
    for (int64_t k = 0; k < i; ++k) {
      const double c = li[k];
      if (c == 0.0) continue;
      const double* xk = x.row(k);
      for (int64_t j = 0; j <= k; ++j) xi[j] -= c * xk[j];
    }
    xi[i] = 1.0;
    const double inv = 1.0 / li[i];
    for (int64_t j = 0; j <= i; ++j) xi[j] *= inv;
  }
  return x;
}

}  // namespace

Result<MatrixD> DampedInverseUpperFactor(const MatrixD& h, double relative_damp) {
  const int64_t n = h.rows;
  if (h.cols != n || static_cast<int64_t>(h.values.size()) != n * n) {
    return Status::InvalidArgument("Hessian must be square, got " + std::to_string(h.rows) + "x" +
                                   std::to_string(h.cols));
  }
  if (!(relative_damp >= 0.0) || !std::isfinite(relative_damp)) {
    return Status::InvalidArgument("damping must be a finite value >= 0, got " +
                                   std::to_string(relative_damp));
  }
  double mean_diag = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(h(i, i)))
      return Status::InvalidArgument("Hessian diagonal has a NaN or Inf at " + std::to_string(i));
    mean_diag += h(i, i);
  }
  mean_diag = n ? mean_diag / static_cast<double>(n) : 0.0;
  const bool zero = !(mean_diag > 0.0);
  double damp = relative_damp;
  for (int attempt = 0; attempt < 7; ++attempt, damp = (damp > 0.0 ? damp * 10.0 : 1e-6)) {
    MatrixD a(n, n, 0.0);
    const double lambda = zero ? 1.0 : damp * mean_diag;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j <= i; ++j) a(i, j) = zero ? 0.0 : h(n - 1 - i, n - 1 - j);
      a(i, i) += lambda;
    }
    if (!CholeskyLowerInPlace(&a)) continue;
    MatrixD linv = LowerInverse(a);
    MatrixD u(n, n, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i; j < n; ++j) u(i, j) = linv(n - 1 - i, n - 1 - j);
    }
    return u;
  }
  return Status::InvalidArgument("Hessian of size " + std::to_string(n) +
                                 " is not positive definite even with heavy damping; it holds NaN/Inf or "
                                 "was not accumulated as X X^T");
}

}  // namespace kinglet::compression::quantize
