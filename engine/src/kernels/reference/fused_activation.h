// An activation applied in place to an op's output, so Conv/Gemm/MatMul/ConvTranspose followed
// by an activation run as one node (xqueeze's fuse_activation pass marks them).
#pragma once

#include <cstdint>

namespace kinglet::kernels::reference {

enum class FusedActivationKind {
  kNone,
  kRelu,
  kClip,
  kLeakyRelu,
  kSigmoid,
  kTanh,
  kHardSigmoid,
  kHardSwish,
  kElu
};

struct FusedActivationParams {
  FusedActivationKind kind = FusedActivationKind::kNone;
  float alpha = 0.0f;  // LeakyRelu, HardSigmoid, Elu
  float beta = 0.0f;   // HardSigmoid
  float min = 0.0f;    // Clip
  float max = 0.0f;    // Clip
};

// y[i] = activation(y[i]) for n floats; kNone leaves y untouched. Same arithmetic as the
// standalone activation ops, so fusing does not change a single bit of the result.
void ApplyFusedActivation(const FusedActivationParams& p, float* y, int64_t n);

}  // namespace kinglet::kernels::reference
