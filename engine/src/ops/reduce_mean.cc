// ReduceMean on float32. Axes come from the `axes` attribute before opset 18 and from the
// optional constant input 1 from opset 18 (with `noop_with_empty_axes`); no axes means all.
#include <memory>
#include <vector>

#include "kernels/reference/reduce.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

class ReduceMeanOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    const bool axes_from_input = ctx.opset >= 18;
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, axes_from_input ? 2 : 1));
    KINGLET_RETURN_IF_ERROR(ExpectSingleOutput(ctx));
    const TensorRef* x = ctx.input(0);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input data"));
    const int64_t rank = x->rank();

    std::vector<int64_t> axes;
    bool noop_when_empty = false;
    if (axes_from_input) {
      if (ctx.input(1) != nullptr) {
        KINGLET_ASSIGN_OR_RETURN(axes, ReadConstantInts(ctx.input(1), "input axes"));
      }
      noop_when_empty = ctx.attr().GetInt("noop_with_empty_axes", 0) != 0;
    } else {
      axes = ctx.attr().GetInts("axes");
    }

    std::vector<bool> reduce(static_cast<size_t>(rank), axes.empty() && !noop_when_empty);
    for (int64_t a : axes) {
      KINGLET_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(a, rank));
      if (rank == 0 || reduce[static_cast<size_t>(axis)]) {
        return InvalidArgumentError("axes {} must name distinct dims of the rank-{} input", axes, rank);
      }
      reduce[static_cast<size_t>(axis)] = true;
    }

    const bool keepdims = ctx.attr().GetInt("keepdims", 1) != 0;
    Shape out_shape;
    for (int64_t d = 0; d < rank; ++d) {
      if (!reduce[static_cast<size_t>(d)]) {
        out_shape.push_back(x->shape[static_cast<size_t>(d)]);
      } else if (keepdims) {
        out_shape.push_back(1);
      }
    }
    plan_ = ref::PlanReduce(x->shape, reduce);
    ctx.output(0)->dtype = DataType::kFloat32;
    ctx.output(0)->shape = std::move(out_shape);
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    ref::ReduceMean(plan_, ctx.input(0)->as<const float>(), ctx.output(0)->as<float>());
    return Status::Ok();
  }

 private:
  ref::ReducePlan plan_;
};

}  // namespace

std::unique_ptr<Op> CreateReduceMean() { return std::make_unique<ReduceMeanOp>(); }

}  // namespace kinglet::ops
