// The fused-activation attributes xqueeze's fuse_activation pass puts on Conv, ConvTranspose,
// Gemm and MatMul, read once in Prepare:
//
//   kinglet.activation        string: Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid,
//                             HardSwish, Elu (the ONNX op that was fused)
//   kinglet.activation_alpha  float: LeakyRelu (default 0.01), HardSigmoid (0.2), Elu (1.0)
//   kinglet.activation_beta   float: HardSigmoid (default 0.5)
//   kinglet.activation_min    float: Clip's lower bound (default: none)
//   kinglet.activation_max    float: Clip's upper bound (default: none)
//
// The node's output is the activation's output; the op applies it in place at the end of Eval.
#pragma once

#include "ir/attributes.h"
#include "kernels/reference/fused_activation.h"
#include "kinglet/status.h"

namespace kinglet::ops {

extern const char kFusedActivationAttr[];  // "kinglet.activation"

// kNone when the attribute is absent; Unsupported for an activation this engine does not know
// (an artifact from a newer xqueeze), InvalidArgument when the attribute is not a string.
Result<kernels::reference::FusedActivationParams> ReadFusedActivation(const ir::Attributes& attrs);

}  // namespace kinglet::ops
