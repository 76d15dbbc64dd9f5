// Plain row-major matrices for xqueeze's weight math: no graph, no ONNX, no engine tensors.
//
// A Conv/Gemm/MatMul weight is viewed as W [rows = output channels, cols = inputs*kh*kw]; its
// calibration statistic H = X X^T is a float64 [cols, cols] matrix; a pruning mask is a uint8
// matrix of W's shape (1 = kept). The glue that maps tensors to these views lives in the pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kinglet/status.h"

namespace kinglet::compression::quantize {

template <typename T>
struct DenseMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<T> values;  // row-major, rows * cols

  DenseMatrix() = default;
  DenseMatrix(int64_t r, int64_t c, T fill = T())
      : rows(r), cols(c), values(static_cast<size_t>(r * c), fill) {}

  int64_t size() const { return rows * cols; }
  T& operator()(int64_t r, int64_t c) { return values[static_cast<size_t>(r * cols + c)]; }
  const T& operator()(int64_t r, int64_t c) const { return values[static_cast<size_t>(r * cols + c)]; }
  T* row(int64_t r) { return values.data() + r * cols; }
  const T* row(int64_t r) const { return values.data() + r * cols; }
};

using Matrix = DenseMatrix<float>;    // weights, activations
using MatrixD = DenseMatrix<double>;  // Hessians and their factors (float64 for stable Cholesky)
using Mask = DenseMatrix<uint8_t>;    // 1 = weight kept, 0 = pruned (its value is exactly 0)

// InvalidArgument naming `what` if the shape disagrees with values.size() or any value is NaN/Inf
// (e.g. "weight 'conv3' (row 4, col 17) is NaN; the model is corrupt or was exported mid-training").
Status CheckMatrix(const Matrix& m, const std::string& what);

// 1 where m != 0. After pruning, this is the mask: pruned weights are exactly zero.
Mask NonzeroMask(const Matrix& m);

// Zeroes every weight whose mask entry is 0. Shapes must match (checked with assert only: internal).
void ApplyMask(const Mask& mask, Matrix* m);

// Fraction of exact zeros, in [0, 1]; 0 for an empty matrix.
double Sparsity(const Matrix& m);

}  // namespace kinglet::compression::quantize
