#include "quantize/hessian.h"

#include <algorithm>
#include <string>

namespace kinglet::compression::quantize {
namespace {

// Samples per rank-k update: H's upper triangle (2.5 MB at dim 800) is swept once per chunk rather
// than once per sample, and each entry gets a contiguous length-kChunk dot product.
constexpr int64_t kChunk = 64;

}  // namespace

HessianAccumulator::HessianAccumulator(int64_t dim)
    : dim_(std::max<int64_t>(dim, 0)),
      upper_(static_cast<size_t>(dim_ * dim_), 0.0),
      sum_(static_cast<size_t>(dim_), 0.0) {}

void HessianAccumulator::AddChunk(const std::vector<double>& xt, int64_t chunk) {
  for (int64_t i = 0; i < dim_; ++i) {
    const double* xi = xt.data() + i * chunk;
    double s = 0.0;
    for (int64_t k = 0; k < chunk; ++k) s += xi[k];
    sum_[static_cast<size_t>(i)] += s;
    double* hi = upper_.data() + i * dim_;
    for (int64_t j = i; j < dim_; ++j) {
      const double* xj = xt.data() + j * chunk;
      // Four partial sums: strict IEEE order forbids the compiler from splitting one reduction,
      // and the single add chain would be latency-bound (~3x slower).
      double d0 = 0.0, d1 = 0.0, d2 = 0.0, d3 = 0.0;
      int64_t k = 0;
      for (; k + 4 <= chunk; k += 4) {
        d0 += xi[k] * xj[k];
        d1 += xi[k + 1] * xj[k + 1];
        d2 += xi[k + 2] * xj[k + 2];
        d3 += xi[k + 3] * xj[k + 3];
      }
      for (; k < chunk; ++k) d0 += xi[k] * xj[k];
      hi[j] += (d0 + d1) + (d2 + d3);
    }
  }
  samples_ += chunk;
}

Status HessianAccumulator::AddRows(const Matrix& rows) {
  KINGLET_RETURN_IF_ERROR(CheckMatrix(rows, "calibration rows"));
  if (rows.cols != dim_) {
    return Status::InvalidArgument("calibration rows have " + std::to_string(rows.cols) +
                                   " features but the layer's weight has " + std::to_string(dim_) +
                                   " inputs");
  }
  std::vector<double> xt;
  for (int64_t s0 = 0; s0 < rows.rows; s0 += kChunk) {
    const int64_t chunk = std::min(kChunk, rows.rows - s0);
    xt.assign(static_cast<size_t>(dim_ * chunk), 0.0);
    for (int64_t s = 0; s < chunk; ++s) {
      const float* x = rows.row(s0 + s);
      for (int64_t i = 0; i < dim_; ++i) xt[static_cast<size_t>(i * chunk + s)] = x[i];
    }
    AddChunk(xt, chunk);
  }
  return Status::Ok();
}

Status HessianAccumulator::AddColumns(const Matrix& patches) {
  KINGLET_RETURN_IF_ERROR(CheckMatrix(patches, "calibration patches"));
  if (patches.rows != dim_) {
    return Status::InvalidArgument("im2col patches have " + std::to_string(patches.rows) +
                                   " rows but the layer's weight has " + std::to_string(dim_) +
                                   " inputs (cin/groups*kh*kw); pass patches as [dim, n]");
  }
  std::vector<double> xt;
  for (int64_t s0 = 0; s0 < patches.cols; s0 += kChunk) {
    const int64_t chunk = std::min(kChunk, patches.cols - s0);
    xt.assign(static_cast<size_t>(dim_ * chunk), 0.0);
    for (int64_t i = 0; i < dim_; ++i) {
      const float* p = patches.row(i) + s0;
      for (int64_t s = 0; s < chunk; ++s) xt[static_cast<size_t>(i * chunk + s)] = p[s];
    }
    AddChunk(xt, chunk);
  }
  return Status::Ok();
}

MatrixD HessianAccumulator::Hessian() const {
  MatrixD h(dim_, dim_, 0.0);
  if (samples_ == 0) return h;
  const double inv = 1.0 / static_cast<double>(samples_);
  for (int64_t i = 0; i < dim_; ++i) {
    for (int64_t j = i; j < dim_; ++j) {
      const double v = upper_[static_cast<size_t>(i * dim_ + j)] * inv;
      h(i, j) = v;
      h(j, i) = v;
    }
  }
  return h;
}

std::vector<double> HessianAccumulator::Mean() const {
  std::vector<double> mu(sum_.size(), 0.0);
  if (samples_ == 0) return mu;
  for (size_t i = 0; i < mu.size(); ++i) mu[i] = sum_[i] / static_cast<double>(samples_);
  return mu;
}

Result<MatrixD> CrossMoment(const Matrix& a, const Matrix& b) {
  if (a.rows != b.rows || a.rows == 0) {
    return Status::InvalidArgument("cross moment: " + std::to_string(a.rows) + " and " +
                                   std::to_string(b.rows) + " samples; need the same number, at least one");
  }
  MatrixD m(a.cols, b.cols, 0.0);
  for (int64_t s = 0; s < a.rows; ++s) {
    const float* as = a.row(s);
    const float* bs = b.row(s);
    for (int64_t i = 0; i < a.cols; ++i) {
      if (as[i] == 0.0f) continue;  // post-ReLU inputs are mostly zero
      const double ai = as[i];
      double* mi = m.row(i);
      for (int64_t j = 0; j < b.cols; ++j) mi[j] += ai * bs[j];
    }
  }
  const double inv = 1.0 / static_cast<double>(a.rows);
  for (double& v : m.values) v *= inv;
  return m;
}

Result<double> LayerOutputError(const Matrix& w, const Matrix& w_hat, const MatrixD& h) {
  if (w.rows != w_hat.rows || w.cols != w_hat.cols || h.rows != w.cols || h.cols != w.cols) {
    return Status::InvalidArgument(
        "LayerOutputError: W is " + std::to_string(w.rows) + "x" + std::to_string(w.cols) + ", W_hat " +
        std::to_string(w_hat.rows) + "x" + std::to_string(w_hat.cols) + ", H " + std::to_string(h.rows) +
        "x" + std::to_string(h.cols) + "; need W, W_hat [rows, cols] and H [cols, cols]");
  }
  const int64_t n = w.cols;
  std::vector<double> d(static_cast<size_t>(n));
  double total = 0.0;
  for (int64_t r = 0; r < w.rows; ++r) {
    for (int64_t j = 0; j < n; ++j) d[static_cast<size_t>(j)] = static_cast<double>(w(r, j)) - w_hat(r, j);
    for (int64_t i = 0; i < n; ++i) {
      if (d[static_cast<size_t>(i)] == 0.0) continue;
      const double* hi = h.row(i);
      double s = 0.0;
      for (int64_t j = 0; j < n; ++j) s += hi[j] * d[static_cast<size_t>(j)];
      total += d[static_cast<size_t>(i)] * s;
    }
  }
  return total;
}

}  // namespace kinglet::compression::quantize
