#include "kernels/reference/fused_activation.h"

#include "kernels/reference/activation.h"

namespace kinglet::kernels::reference {

void ApplyFusedActivation(const FusedActivationParams& p, float* y, int64_t n) {
  switch (p.kind) {
    case FusedActivationKind::kNone:
      return;
    case FusedActivationKind::kRelu:
      Relu(y, y, n);
      return;
    case FusedActivationKind::kClip:
      Clip(y, y, n, p.min, p.max);
      return;
    case FusedActivationKind::kLeakyRelu:
      LeakyRelu(y, y, n, p.alpha);
      return;
    case FusedActivationKind::kSigmoid:
      Sigmoid(y, y, n);
      return;
    case FusedActivationKind::kTanh:
      Tanh(y, y, n);
      return;
    case FusedActivationKind::kHardSigmoid:
      HardSigmoid(y, y, n, p.alpha, p.beta);
      return;
    case FusedActivationKind::kHardSwish:
      HardSwish(y, y, n);
      return;
    case FusedActivationKind::kElu:
      Elu(y, y, n, p.alpha);
      return;
  }
}

}  // namespace kinglet::kernels::reference
