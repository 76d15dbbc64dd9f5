// PRelu (opset 7+): y = x < 0 ? slope * x : x, slope unidirectionally broadcast to X.
#include <memory>

#include "kernels/reference/elementwise.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

class PReluOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 2, 2));
    KINGLET_RETURN_IF_ERROR(ExpectSingleOutput(ctx));
    const TensorRef* x = ctx.input(0);
    const TensorRef* slope = ctx.input(1);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input X"));
    KINGLET_RETURN_IF_ERROR(ExpectDtype(slope, DataType::kFloat32, "input slope"));
    // Unidirectional: slope may stretch to X, never X to slope.
    Result<Shape> out_shape = BroadcastShapes(x->shape, slope->shape);
    if (!out_shape.ok() || *out_shape != x->shape) {
      return InvalidArgumentError(
          "slope of shape {} cannot be broadcast to X of shape {} (numpy rules, trailing dims aligned; a "
          "per-channel slope for NCHW must have shape [C,1,1])",
          slope->shape, x->shape);
    }
    plan_ = ref::PlanBroadcast(x->shape, slope->shape, x->shape);
    ctx.output(0)->dtype = DataType::kFloat32;
    ctx.output(0)->shape = x->shape;
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    if (ctx.output(0)->element_count() == 0) return Status::Ok();
    ref::PRelu(plan_, ctx.input(0)->as<const float>(), ctx.input(1)->as<const float>(),
               ctx.output(0)->as<float>());
    return Status::Ok();
  }

 private:
  ref::BroadcastPlan plan_;
};

}  // namespace

std::unique_ptr<Op> CreatePRelu() { return std::make_unique<PReluOp>(); }

}  // namespace kinglet::ops
