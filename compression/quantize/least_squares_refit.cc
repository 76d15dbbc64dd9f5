#include "quantize/least_squares_refit.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "quantize/cholesky.h"
#include "quantize/column_sweep.h"

namespace kinglet::compression::quantize {

namespace {

// Solves H_SS w'_S = rhs(r, S) + lambda w_S per row; `rhs(r, support, b)` fills b[a] with the
// target moment of support[a] for row r.
template <typename Rhs>
Result<Matrix> SolveOnMasks(const Matrix& w, const Mask& keep, const MatrixD& h, const RefitOptions& options,
                            Rhs rhs) {
  KINGLET_RETURN_IF_ERROR(CheckReconstructionInputs(w, h, 1, "least-squares refit"));
  if (keep.rows != w.rows || keep.cols != w.cols || keep.values.size() != w.values.size()) {
    return Status::InvalidArgument("least-squares refit: mask is " + std::to_string(keep.rows) + "x" +
                                   std::to_string(keep.cols) + " but the weight is " +
                                   std::to_string(w.rows) + "x" + std::to_string(w.cols));
  }
  if (!(options.relative_damp >= 0.0) || !std::isfinite(options.relative_damp)) {
    return Status::InvalidArgument("least-squares refit: damping must be finite and >= 0");
  }
  const int64_t rows = w.rows, n = w.cols;
  double mean_diag = 0.0;
  for (int64_t i = 0; i < n; ++i) mean_diag += h(i, i);
  mean_diag = n ? mean_diag / static_cast<double>(n) : 0.0;
  if (!(mean_diag > 0.0)) mean_diag = 1.0;  // no calibration signal: the proximal term alone keeps W_S

  // Group rows by mask so that identical supports (dense rows, channel-structured masks) factor once.
  std::vector<int64_t> order(static_cast<size_t>(rows));
  std::iota(order.begin(), order.end(), 0);
  auto mask_less = [&](int64_t a, int64_t b) {
    const int cmp = std::memcmp(keep.row(a), keep.row(b), static_cast<size_t>(n));
    return cmp < 0 || (cmp == 0 && a < b);
  };
  std::sort(order.begin(), order.end(), mask_less);

  Matrix out(rows, n, 0.0f);
  std::vector<int64_t> support;
  std::vector<double> b;
  MatrixD factor;
  for (size_t g = 0; g < order.size();) {
    const int64_t first = order[g];
    size_t g_end = g + 1;
    while (g_end < order.size() &&
           std::memcmp(keep.row(first), keep.row(order[g_end]), static_cast<size_t>(n)) == 0) {
      ++g_end;
    }
    support.clear();
    for (int64_t j = 0; j < n; ++j) {
      if (keep(first, j)) support.push_back(j);
    }
    const int64_t s = static_cast<int64_t>(support.size());
    if (s > 0) {
      // Raise lambda tenfold if round-off makes H_SS + lambda I indefinite (only possible at damp 0).
      double damp = options.relative_damp;
      double lambda = 0.0;
      bool factored = false;
      for (int attempt = 0; attempt < 7 && !factored; ++attempt) {
        lambda = damp * mean_diag;
        factor = MatrixD(s, s, 0.0);
        for (int64_t a = 0; a < s; ++a) {
          for (int64_t c = 0; c <= a; ++c) factor(a, c) = h(support[a], support[c]);
          factor(a, a) += lambda;
        }
        factored = CholeskyLowerInPlace(&factor);
        damp = damp > 0.0 ? damp * 10.0 : 1e-6;
      }
      if (!factored) {
        return Status::InvalidArgument("least-squares refit: H restricted to row " + std::to_string(first) +
                                       "'s kept inputs is not positive definite; H holds NaN/Inf");
      }
      for (size_t gi = g; gi < g_end; ++gi) {
        const int64_t r = order[gi];
        const float* wr = w.row(r);
        b.assign(static_cast<size_t>(s), 0.0);
        rhs(r, support, &b);
        for (int64_t a = 0; a < s; ++a) b[static_cast<size_t>(a)] += lambda * wr[support[a]];
        CholeskySolveInPlace(factor, b.data());
        for (int64_t a = 0; a < s; ++a) out(r, support[a]) = static_cast<float>(b[static_cast<size_t>(a)]);
      }
    }
    g = g_end;
  }
  return out;
}

}  // namespace

Result<Matrix> RefitKeptWeights(const Matrix& w, const Mask& keep, const MatrixD& h,
                                const RefitOptions& options) {
  return SolveOnMasks(w, keep, h, options,
                      [&](int64_t r, const std::vector<int64_t>& support, std::vector<double>* b) {
                        const float* wr = w.row(r);
                        for (size_t a = 0; a < support.size(); ++a) {
                          const double* ha = h.row(support[a]);
                          double acc = 0.0;
                          for (int64_t j = 0; j < w.cols; ++j) acc += ha[j] * wr[j];
                          (*b)[a] = acc;
                        }
                      });
}

Result<Matrix> RefitToTargets(const Matrix& w, const Mask& keep, const MatrixD& h, const MatrixD& xty,
                              const RefitOptions& options) {
  if (xty.rows != w.cols || xty.cols != w.rows) {
    return Status::InvalidArgument("least-squares refit: E[x y^T] is " + std::to_string(xty.rows) + "x" +
                                   std::to_string(xty.cols) + " but the weight is " + std::to_string(w.rows) +
                                   "x" + std::to_string(w.cols) + "; need [cols, rows]");
  }
  return SolveOnMasks(w, keep, h, options,
                      [&](int64_t r, const std::vector<int64_t>& support, std::vector<double>* b) {
                        for (size_t a = 0; a < support.size(); ++a) (*b)[a] = xty(support[a], r);
                      });
}

}  // namespace kinglet::compression::quantize
