// Calibration statistics of a layer's input: H = E[x x^T] and mu = E[x], accumulated in float64.
//
// For a Gemm/MatMul, x is one input row (length cols = in_features). For a Conv, x is one im2col
// patch (length cols = cin/groups * kh * kw, padding zeros included), so that with W viewed as
// [cout, cols] the output at every spatial position is W x; every patch of every calibration image
// is one sample. ||(W - W')X||_F^2 / n = tr((W - W') H (W - W')^T) is then exactly the layer's mean
// squared output error, the objective of OBS/OBC/SparseGPT/GPTQ and of the least-squares refit.
#pragma once

#include <cstdint>
#include <vector>

#include "kinglet/status.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

// Not thread-safe; use one per layer. Memory: dim^2 doubles (5 MB at dim 800).
// Cost: n * dim^2 / 2 multiply-adds per n samples (~1 s for 10^4 samples at dim 800), so for
// convolutions subsample patches (GPTQ uses ~10^5 tokens; a few 10^4 patches suffice for H's
// few hundred dimensions).
class HessianAccumulator {
 public:
  explicit HessianAccumulator(int64_t dim);

  // rows: [n, dim], each row one sample (Gemm input layout).
  Status AddRows(const Matrix& rows);
  // patches: [dim, n], each column one sample (the usual im2col layout for Conv).
  Status AddColumns(const Matrix& patches);

  int64_t dim() const { return dim_; }
  int64_t samples() const { return samples_; }

  // H = (1/n) sum x x^T, symmetric [dim, dim]. Divided by n so damping (relative to mean diag H)
  // and reported errors do not depend on how much calibration data was seen. Zero if n = 0.
  MatrixD Hessian() const;
  // mu = (1/n) sum x, the input mean bias correction needs. Zero if n = 0.
  std::vector<double> Mean() const;

 private:
  // Adds a chunk held as [dim, chunk] doubles (sample s of feature i at xt[i * chunk + s]).
  void AddChunk(const std::vector<double>& xt, int64_t chunk);

  int64_t dim_;
  int64_t samples_ = 0;
  std::vector<double> upper_;  // sum x x^T, upper triangle of a dim x dim row-major matrix
  std::vector<double> sum_;
};

// E[a b^T] = (1/n) A^T B for paired samples A [n, da], B [n, db]: the [da, db] cross moment a
// refit to targets needs (a = the layer's input as compressed upstream, b = the uncompressed
// layer's output). Shapes must agree and n > 0, else InvalidArgument.
Result<MatrixD> CrossMoment(const Matrix& a, const Matrix& b);

// tr((W - W_hat) H (W - W_hat)^T): the layer's mean squared output error over the calibration set
// when H comes from HessianAccumulator (sum over output channels). Shapes: W, W_hat [rows, cols],
// H [cols, cols]; mismatches are InvalidArgument.
Result<double> LayerOutputError(const Matrix& w, const Matrix& w_hat, const MatrixD& h);

}  // namespace kinglet::compression::quantize
