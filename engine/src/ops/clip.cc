// Clip on float32. Before opset 11 the bounds are attributes `min`/`max`; from opset 11 they are
// optional scalar inputs 1 and 2, read at Eval so they need not be constants.
#include <limits>
#include <memory>

#include "kernels/reference/activation.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

Status ExpectScalarBound(const TensorRef* t, const char* what) {
  if (t == nullptr) return Status::Ok();
  KINGLET_RETURN_IF_ERROR(ExpectDtype(t, DataType::kFloat32, what));
  if (t->element_count() != 1) {
    return InvalidArgumentError("{} must be a scalar, got shape {}", what, t->shape);
  }
  return Status::Ok();
}

class ClipOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    bounds_from_inputs_ = ctx.opset >= 11;
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, bounds_from_inputs_ ? 3 : 1));
    KINGLET_RETURN_IF_ERROR(ExpectSingleOutput(ctx));
    const TensorRef* x = ctx.input(0);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input"));
    lo_ = std::numeric_limits<float>::lowest();
    hi_ = std::numeric_limits<float>::max();
    if (bounds_from_inputs_) {
      KINGLET_RETURN_IF_ERROR(ExpectScalarBound(ctx.input(1), "input min"));
      KINGLET_RETURN_IF_ERROR(ExpectScalarBound(ctx.input(2), "input max"));
    } else {
      lo_ = ctx.attr().GetFloat("min", lo_);
      hi_ = ctx.attr().GetFloat("max", hi_);
    }
    ctx.output(0)->dtype = DataType::kFloat32;
    ctx.output(0)->shape = x->shape;
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    float lo = lo_;
    float hi = hi_;
    if (bounds_from_inputs_) {
      if (const TensorRef* t = ctx.input(1)) lo = *t->as<const float>();
      if (const TensorRef* t = ctx.input(2)) hi = *t->as<const float>();
    }
    ref::Clip(ctx.input(0)->as<const float>(), ctx.output(0)->as<float>(),
              ctx.output(0)->element_count(), lo, hi);
    return Status::Ok();
  }

 private:
  bool bounds_from_inputs_ = true;
  float lo_ = 0.0f;
  float hi_ = 0.0f;
};

}  // namespace

std::unique_ptr<Op> CreateClip() { return std::make_unique<ClipOp>(); }

}  // namespace kinglet::ops
