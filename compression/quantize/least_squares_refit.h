// Exact least-squares refit of the kept weights for a fixed mask: per output channel r,
//   minimise ||(w_r - w'_r) X||^2  subject to  w'_r = 0 outside the kept set S_r,
// i.e. H_SS w'_S = (H w_r)_S (the normal equations; OBC, Frantar & Alistarh 2022, Eq. 2-3, solve
// the same problem greedily). SparseGPT's sweep only approximates this optimum (its updates for a
// column ignore weights pruned later); the refit reaches it, so it is the final polish of a mask
// chosen by SparseGPT or by magnitude. Not for quantized weights: the result is off-grid.
#pragma once

#include "kinglet/status.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

struct RefitOptions {
  // Tikhonov term lambda * ||w'_S - w_S||^2 with lambda = relative_damp * mean(diag H): it pulls the
  // refit towards the original weights (not towards 0, as plain ridge would), so directions the
  // calibration set does not excite keep their trained values instead of drifting.
  double relative_damp = 0.01;
};

// W' [rows, cols] supported on `keep` (exact zeros elsewhere) minimising tr((W - W') H (W - W')^T)
// + lambda ||W'_S - W_S||^2. `w` is the *original dense* weight (the target), `keep` the mask.
// Rows with identical masks share one Cholesky factorisation.
// Cost: sum over distinct row masks of |S|^3/6 + rows * cols^2 flops — ~0.1 s for 500 x 800 at 90%
// sparsity, but several seconds at 50% (|S| = 400 per row): for large, mildly sparse layers prefer
// SparseGptPrune alone.
Result<Matrix> RefitKeptWeights(const Matrix& w, const Mask& keep, const MatrixD& h,
                                const RefitOptions& options = {});

// The same refit when the layer's input has itself moved: upstream layers were compressed, so
// the layer now sees x~ where the uncompressed model saw x. Per output channel r it minimises
//   E||w'_r x~ - w_r x||^2 + lambda ||w'_S - w_S||^2,  w'_r = 0 outside S_r,
// i.e. H~_SS w'_S = (E[x~ y_r])_S + lambda w_S with H~ = E[x~ x~^T] and y = W x, the uncompressed
// layer's output: the layer absorbs what it can of the error upstream (the sequential mode of
// OBC/GPTQ/SparseGPT). `h` is H~ [cols, cols]; `xty` is E[x~ y^T] [cols, rows]. With x~ = x,
// xty = H W^T and this is RefitKeptWeights.
Result<Matrix> RefitToTargets(const Matrix& w, const Mask& keep, const MatrixD& h, const MatrixD& xty,
                              const RefitOptions& options = {});

}  // namespace kinglet::compression::quantize
