#include "ops/fused_activation.h"

#include <limits>
#include <string>

#include "runtime/status_format.h"

namespace kinglet::ops {

const char kFusedActivationAttr[] = "kinglet.activation";

Result<kernels::reference::FusedActivationParams> ReadFusedActivation(const ir::Attributes& attrs) {
  using Kind = kernels::reference::FusedActivationKind;
  kernels::reference::FusedActivationParams p;
  const ir::Attribute* attr = attrs.Find(kFusedActivationAttr);
  if (attr == nullptr) return p;
  if (attr->kind != ir::Attribute::Kind::kString) {
    return InvalidArgumentError("attribute '{}' must be a string", kFusedActivationAttr);
  }
  const std::string& name = attr->s;
  if (name == "Relu") {
    p.kind = Kind::kRelu;
  } else if (name == "Clip") {
    p.kind = Kind::kClip;
    p.min = attrs.GetFloat("kinglet.activation_min", std::numeric_limits<float>::lowest());
    p.max = attrs.GetFloat("kinglet.activation_max", std::numeric_limits<float>::max());
  } else if (name == "LeakyRelu") {
    p.kind = Kind::kLeakyRelu;
    p.alpha = attrs.GetFloat("kinglet.activation_alpha", 0.01f);
  } else if (name == "Sigmoid") {
    p.kind = Kind::kSigmoid;
  } else if (name == "Tanh") {
    p.kind = Kind::kTanh;
  } else if (name == "HardSigmoid") {
    p.kind = Kind::kHardSigmoid;
    p.alpha = attrs.GetFloat("kinglet.activation_alpha", 0.2f);
    p.beta = attrs.GetFloat("kinglet.activation_beta", 0.5f);
  } else if (name == "HardSwish") {
    p.kind = Kind::kHardSwish;
  } else if (name == "Elu") {
    p.kind = Kind::kElu;
    p.alpha = attrs.GetFloat("kinglet.activation_alpha", 1.0f);
  } else {
    return UnsupportedError(
        "fused activation '{}' (attribute '{}') is not supported by this engine; supported: Relu, Clip, "
        "LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu. Upgrade Kinglet or compress the model "
        "without activation fusion",
        name, kFusedActivationAttr);
  }
  return p;
}

}  // namespace kinglet::ops
