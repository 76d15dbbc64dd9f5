// Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu on float32. Their semantics did
// not change across opsets 6..17 (later versions only added dtypes), so opset is not consulted.
#include <memory>

#include "kernels/reference/activation.h"
#include "ops/op.h"
#include "ops/op_util.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

enum class Activation { kRelu, kLeakyRelu, kSigmoid, kTanh, kHardSigmoid, kHardSwish, kElu };

class UnaryActivationOp : public Op {
 public:
  explicit UnaryActivationOp(Activation kind) : kind_(kind) {}

  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
    KINGLET_RETURN_IF_ERROR(ExpectSingleOutput(ctx));
    const TensorRef* x = ctx.input(0);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input X"));
    const ir::Attributes& attrs = ctx.attr();
    switch (kind_) {
      case Activation::kLeakyRelu:
        alpha_ = attrs.GetFloat("alpha", 0.01f);
        break;
      case Activation::kHardSigmoid:
        alpha_ = attrs.GetFloat("alpha", 0.2f);
        beta_ = attrs.GetFloat("beta", 0.5f);
        break;
      case Activation::kElu:
        alpha_ = attrs.GetFloat("alpha", 1.0f);
        break;
      default:
        break;
    }
    ctx.output(0)->dtype = DataType::kFloat32;
    ctx.output(0)->shape = x->shape;
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    const float* x = ctx.input(0)->as<const float>();
    float* y = ctx.output(0)->as<float>();
    const int64_t n = ctx.output(0)->element_count();
    switch (kind_) {
      case Activation::kRelu:
        ref::Relu(x, y, n);
        break;
      case Activation::kLeakyRelu:
        ref::LeakyRelu(x, y, n, alpha_);
        break;
      case Activation::kSigmoid:
        ref::Sigmoid(x, y, n);
        break;
      case Activation::kTanh:
        ref::Tanh(x, y, n);
        break;
      case Activation::kHardSigmoid:
        ref::HardSigmoid(x, y, n, alpha_, beta_);
        break;
      case Activation::kHardSwish:
        ref::HardSwish(x, y, n);
        break;
      case Activation::kElu:
        ref::Elu(x, y, n, alpha_);
        break;
    }
    return Status::Ok();
  }

 private:
  const Activation kind_;
  float alpha_ = 0.0f;
  float beta_ = 0.0f;
};

}  // namespace

std::unique_ptr<Op> CreateRelu() { return std::make_unique<UnaryActivationOp>(Activation::kRelu); }
std::unique_ptr<Op> CreateLeakyRelu() {
  return std::make_unique<UnaryActivationOp>(Activation::kLeakyRelu);
}
std::unique_ptr<Op> CreateSigmoid() {
  return std::make_unique<UnaryActivationOp>(Activation::kSigmoid);
}
std::unique_ptr<Op> CreateTanh() { return std::make_unique<UnaryActivationOp>(Activation::kTanh); }
std::unique_ptr<Op> CreateHardSigmoid() {
  return std::make_unique<UnaryActivationOp>(Activation::kHardSigmoid);
}
std::unique_ptr<Op> CreateHardSwish() {
  return std::make_unique<UnaryActivationOp>(Activation::kHardSwish);
}
std::unique_ptr<Op> CreateElu() { return std::make_unique<UnaryActivationOp>(Activation::kElu); }

}  // namespace kinglet::ops
