// Synapse pruning by magnitude (Han et al., "Learning both Weights and Connections", NIPS 2015):
// within one layer, the smallest |w| go first, whatever their row.
#pragma once

#include "kinglet/status.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

// Mask keeping all but exactly round(sparsity * w.size()) weights of the layer: those with the
// smallest |w|, ties broken by lower flat index (row-major) first, so the result is deterministic
// and existing zeros are pruned before any nonzero weight. sparsity in [0, 1].
// Errors: sparsity outside [0, 1] or NaN; NaN/Inf weights.
Result<Mask> MagnitudePruneMask(const Matrix& w, double sparsity);

// Convenience: W with the mask above applied.
Result<Matrix> MagnitudePrune(const Matrix& w, double sparsity);

}  // namespace kinglet::compression::quantize
