// Quantization with error feedback across input columns: GPTQ (Frantar et al., "GPTQ: Accurate
// Post-Training Quantization for Generative Pre-trained Transformers", ICLR 2023), the OBQ/OBS
// update applied to rounding instead of removal. Round-to-nearest minimises each weight's own error;
// this minimises the layer's output error ||W X - W' X||^2 for the same set of representable values.
#pragma once

#include <vector>

#include "kinglet/status.h"
#include "quantize/column_sweep.h"
#include "quantize/int8.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

struct ErrorFeedbackOptions {
  int64_t block_size = 128;     // GPTQ's lazy-update block (arithmetic is identical for any size)
  double relative_damp = 0.01;  // lambda = relative_damp * mean(diag H), GPTQ's default 1%
};

// Every nonzero weight of `w` ends up at quantizer(row, value) for its error-compensated value; every
// zero weight (pruned) stays exactly 0 — its compensated value is set back to 0 and that error is
// fed forward too, as in SparseGPT's joint mode, so the mask is exact and still compensated.
// Columns are processed in their natural order (no act-order), so the result is deterministic.
// h: [w.cols, w.cols] from HessianAccumulator. Cost as SparseGptPrune.
Result<Matrix> QuantizeWithErrorFeedback(const Matrix& w, const MatrixD& h, const ScalarQuantizer& quantizer,
                                         const ErrorFeedbackOptions& options = {});

// Nearest centroid of a fixed, sorted per-layer codebook (e.g. KMeansQuantize(w).centroids).
ScalarQuantizer CodebookQuantizer(std::vector<float> sorted_centroids);

// Nearest point of each row's int8 grid (e.g. QuantizeInt8PerChannel(w)): scales stay those of the
// original weights, so the compensated values are clamped to the original per-channel range.
ScalarQuantizer Int8GridQuantizer(Int8PerChannel grid);

}  // namespace kinglet::compression::quantize
