// Folds an inference-mode BatchNormalization into the layer before it.
//
// BN(y) = s * (y - mean) + beta with s = scale / sqrt(var + epsilon), per channel. When y is
// the only use of the output of a Conv (any group), a ConvTranspose, a Gemm (transB 0 or 1) or
// a rank-2 MatMul whose weight is constant, every output channel c of that layer is scaled by
// s[c] and its bias becomes s[c] * (bias[c] - mean[c]) + beta[c] (a zero bias is created when
// the layer has none; a MatMul becomes a Gemm to carry it). The layer then writes the BN's
// output value and the BN node is removed.
//
// Two layouts fold through the node between: a channel Concat of such Convs (fire and inception
// modules; each Conv takes its slice of the BN, and the Concat writes the BN's output), and a
// MaxPool of such a layer when every BN scale is positive and every pooling window holds an input
// element (max commutes with an increasing map; the MaxPool writes the BN's output).
//
// A BN that follows nothing foldable (a graph input, an average pooling, a layer whose output has
// other readers, non-constant statistics, spatial=0 before opset 9) is left as it is.
#pragma once

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression::passes {

Status FoldBatchNorm(ir::Graph* graph);

}  // namespace kinglet::compression::passes
