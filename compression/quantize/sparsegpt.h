// One-shot pruning with layer-wise reconstruction: SparseGPT (Frantar & Alistarh, "SparseGPT:
// Massive Language Models Can Be Accurately Pruned in One-Shot", ICML 2023), itself a fast
// approximation of OBS (Hassibi & Stork 1993) / OBC (Frantar & Alistarh 2022) for
// min ||W X - W' X||^2 with W' sparse. The kept weights absorb the removed ones' contribution
// through the calibration input correlations, which is what replaces Deep Compression's retraining.
#pragma once

#include "kinglet/status.h"
#include "quantize/column_sweep.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

struct SparseGptOptions {
  // Columns per mask-selection block (SparseGPT's B_s; the paper's default). Smaller blocks adapt
  // the mask to the updated weights more often; larger ones choose from more candidates at once.
  int64_t block_size = 128;
  // lambda = relative_damp * mean(diag H) added to H's diagonal (the paper's 1%): keeps the inverse
  // well-conditioned when calibration inputs are correlated or some input is never active.
  double relative_damp = 0.01;
  // Optional joint quantization (SparseGPT Sec. 3.5): kept weights are snapped to this quantizer as
  // they are fixed, so pruning and quantization error are compensated in the same sweep.
  ScalarQuantizer quantizer;
};

// W' with exactly max(round(sparsity * size), existing zeros) weights pruned to exactly 0 and the
// kept ones updated to compensate. Existing zeros of `w` (an earlier mask) always stay pruned.
//
// Mask selection is adaptive per block (SparseGPT Sec. 3.3 "Adaptive Mask Selection"): at the start
// of each block of columns, with the weights already updated for the earlier blocks, prune the
// entries with the smallest OBS saliency w^2 / [H^-1]_jj^2 — U_jj^2 = [H^-1]_jj of the remaining
// columns (Eq. 3 with the paper's square on the diagonal, as in its reference code) — over all
// rows of the block at once, so sparsity varies across rows but is exact per block prefix.
// The pruned count of the first b blocks is round(sparsity * b-blocks' size), hence exact overall.
// Weights of dead inputs (diag H = 0: never active during calibration) have saliency 0 and go
// right after existing zeros. Ties go to the lower (column, row) index: deterministic.
//
// h: [w.cols, w.cols] from HessianAccumulator. sparsity in [0, 1].
// Cost: n^3/2 (factor) + rows * n^2 (sweep) flops: ~0.3 s for 500 x 800.
Result<Matrix> SparseGptPrune(const Matrix& w, const MatrixD& h, double sparsity,
                              const SparseGptOptions& options = {});

}  // namespace kinglet::compression::quantize
