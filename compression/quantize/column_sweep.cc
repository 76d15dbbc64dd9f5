#include "quantize/column_sweep.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace kinglet::compression::quantize {

Status CheckReconstructionInputs(const Matrix& w, const MatrixD& h, int64_t block_size, const char* pass) {
  KINGLET_RETURN_IF_ERROR(CheckMatrix(w, std::string(pass) + ": weight"));
  if (h.rows != w.cols || h.cols != w.cols || static_cast<int64_t>(h.values.size()) != h.rows * h.cols) {
    return Status::InvalidArgument(std::string(pass) + ": weight has " + std::to_string(w.cols) +
                                   " columns (inputs) but H is " + std::to_string(h.rows) + "x" +
                                   std::to_string(h.cols) +
                                   "; accumulate H over the layer's input (im2col) vectors");
  }
  for (double v : h.values) {
    if (!std::isfinite(v)) return Status::InvalidArgument(std::string(pass) + ": H holds NaN or Inf");
  }
  if (block_size < 1) return Status::InvalidArgument(std::string(pass) + ": block size must be >= 1");
  return Status::Ok();
}

Matrix SweepColumns(const Matrix& w, const MatrixD& u, int64_t block_size, const ColumnSweepHooks& hooks) {
  const int64_t rows = w.rows, n = w.cols;
  MatrixD wt(n, rows);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < n; ++c) wt(c, r) = w(r, c);
  }
  MatrixD err(std::min(block_size, std::max<int64_t>(n, 1)), rows);
  for (int64_t i1 = 0; i1 < n; i1 += block_size) {
    const int64_t i2 = std::min(n, i1 + block_size);
    if (hooks.on_block) hooks.on_block(i1, i2, wt, u);
    for (int64_t i = i1; i < i2; ++i) {
      const double d = u(i, i);
      double* wi = wt.row(i);
      double* ei = err.row(i - i1);
      for (int64_t r = 0; r < rows; ++r) {
        const double q = hooks.target(i, r, wi[r]);
        ei[r] = (wi[r] - q) / d;
        wi[r] = q;
      }
      for (int64_t j = i + 1; j < i2; ++j) {
        const double uij = u(i, j);
        if (uij == 0.0) continue;
        double* wj = wt.row(j);
        for (int64_t r = 0; r < rows; ++r) wj[r] -= uij * ei[r];
      }
    }
    for (int64_t j = i2; j < n; ++j) {
      double* wj = wt.row(j);
      for (int64_t i = i1; i < i2; ++i) {
        const double uij = u(i, j);
        if (uij == 0.0) continue;
        const double* ei = err.row(i - i1);
        for (int64_t r = 0; r < rows; ++r) wj[r] -= uij * ei[r];
      }
    }
  }
  Matrix out(rows, n);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < n; ++c) out(r, c) = static_cast<float>(wt(c, r));
  }
  return out;
}

}  // namespace kinglet::compression::quantize
