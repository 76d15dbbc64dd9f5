// Folds an activation into the Conv, ConvTranspose, Gemm or MatMul that feeds it, so the pair
// runs as one node and the activation is applied while the layer's output tile is still in
// cache. The layer gains
//   kinglet.activation = "Relu" | "Clip" | "LeakyRelu" | "Sigmoid" | "Tanh" | "HardSigmoid" |
//                        "HardSwish" | "Elu"
// plus kinglet.activation_alpha / _beta / _min / _max as the activation needs (the contract of
// ops/fused_activation.h), writes the activation's output value, and the activation node goes.
//
// Only when the layer's output has the activation as its single reader and is not a graph
// output; Clip only with constant (or absent) bounds. The activation may also be separated from
// its layers by a Concat (every input written by such a layer, which all take it) or, for the
// non-decreasing ones (Relu, Clip, Sigmoid, Tanh, LeakyRelu with alpha >= 0), by a MaxPool whose
// windows always hold an input element (fire modules' concat + ReLU, conv + pool + ReLU stems). The engine
// runs this on its own copy of the nodes at load (the Model stays shared and untouched); xqueeze runs it on
// the graph it writes, so artifacts already carry the marks.
#pragma once

#include <vector>

#include "ir/graph.h"

namespace kinglet::ir {

// `nodes` is graph.nodes itself or a copy of it; constants, outputs and opset are read from
// `graph`. Returns how many activations were folded.
int FuseActivations(const Graph& graph, std::vector<Node>* nodes);

// True for a MaxPool whose every window covers at least one input element (no ceil_mode, no
// dilation, each pad narrower than the window, Indices unread): then it commutes with any
// per-channel non-decreasing map (an activation, a BatchNorm with positive scales).
bool MaxPoolWindowsNeverEmpty(const Node& pool);

}  // namespace kinglet::ir
