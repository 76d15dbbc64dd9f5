// Marks a Conv, ConvTranspose, Gemm or MatMul followed by an activation for the engine to run
// as one node: the activation node is removed and the layer carries
//   kinglet.activation = "Relu" | "Clip" | "LeakyRelu" | "Sigmoid" | "Tanh" | "HardSigmoid" |
//                        "HardSwish" | "Elu"
// plus kinglet.activation_alpha / _beta / _min / _max as the activation needs (the contract
// is engine/src/ops/fused_activation.h), and writes the activation's output value.
//
// Only when the layer's output has the activation as its single reader and is not a graph
// output; Clip only with constant (or absent) bounds. The rule itself is the engine's
// (ir/activation_fusion.h), which also applies it at load to artifacts written without it.
#pragma once

#include "ir/graph.h"
#include "kinglet/status.h"

namespace kinglet::compression::passes {

Status FuseActivation(ir::Graph* graph);

}  // namespace kinglet::compression::passes
