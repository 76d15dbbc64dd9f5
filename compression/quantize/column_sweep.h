// The column sweep shared by SparseGPT and GPTQ-style error feedback: fix the weights of one input
// column at a time (to 0 or to a representable value) and let the not-yet-fixed columns absorb
// the output error, with the inverse-Hessian factor from DampedInverseUpperFactor.
#pragma once

#include <cstdint>
#include <functional>

#include "kinglet/status.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

// Maps a weight of output channel `row` to the nearest representable value (a k-means centroid,
// a point of the row's int8 grid, ...). Must be deterministic; called once per kept weight.
using ScalarQuantizer = std::function<float(int64_t row, float value)>;

struct ColumnSweepHooks {
  // Called before each block [begin, end) of columns is processed, with the current (already
  // error-compensated) weights transposed: wt(col, row). SparseGPT chooses its mask here.
  std::function<void(int64_t begin, int64_t end, const MatrixD& wt, const MatrixD& u)> on_block;
  // The value weight (col, row) is fixed to, given its current compensated value.
  std::function<double(int64_t col, int64_t row, double value)> target;
};

// Sequential OBS over columns 0..n-1 of W (rows x n) in float64. Fixing column i with error
// e = (w_i - q_i) / U_ii updates the later columns j by -e * U_ij: the OBS update
// dw = -(w_i - q_i) / [H^-1]_ii * H^-1_{:,i} (Hassibi & Stork 1993; SparseGPT Eq. 3, GPTQ Eq. 2),
// written with the Cholesky factor so no re-inversion is needed as columns are eliminated (GPTQ
// Sec. 3 step 3). Updates beyond the current block are applied lazily once per block (GPTQ "lazy
// batch updates"): same arithmetic, the n x rows matrix is streamed once per block, not per column.
// `u` from DampedInverseUpperFactor(H); returns W with every entry replaced by its target.
Matrix SweepColumns(const Matrix& w, const MatrixD& u, int64_t block_size, const ColumnSweepHooks& hooks);

// Shared argument checks of the reconstruction passes: W finite, H [cols, cols] finite, block >= 1.
Status CheckReconstructionInputs(const Matrix& w, const MatrixD& h, int64_t block_size, const char* pass);

}  // namespace kinglet::compression::quantize
