// AveragePool (ONNX opsets 1..): float32, any number of spatial axes, strides, pads, auto_pad,
// ceil_mode, count_include_pad (and dilations, which opset 19 adds).
#include "kernels/reference/pool.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "ops/sliding_window.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

class AveragePoolOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
    const TensorRef* x = ctx.input(0);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input X"));
    if (x->rank() < 3) {
      return InvalidArgumentError("input X must have shape [N, C, spatial...] (rank >= 3), got {}", x->shape);
    }
    const size_t rank = static_cast<size_t>(x->rank() - 2);
    const std::vector<int64_t> in_spatial(x->shape.begin() + 2, x->shape.end());
    KINGLET_ASSIGN_OR_RETURN(WindowAttrs window, ReadWindowAttrs(ctx.attr(), rank, nullptr));
    const bool ceil_mode = ctx.attr().GetInt("ceil_mode", 0) != 0;
    KINGLET_ASSIGN_OR_RETURN(std::vector<int64_t> out_spatial,
                             ResolveWindowOutput(in_spatial, ceil_mode, &window));

    params_.planes = x->shape[0] * x->shape[1];
    params_.in_spatial = in_spatial;
    params_.out_spatial = out_spatial;
    params_.kernel = window.kernel;
    params_.strides = window.strides;
    params_.dilations = window.dilations;
    params_.pads_begin = window.pads_begin;
    params_.pads_end = window.pads_end;
    params_.count_include_pad = ctx.attr().GetInt("count_include_pad", 0) != 0;

    TensorRef* y = ctx.output(0);
    y->dtype = DataType::kFloat32;
    y->shape = {x->shape[0], x->shape[1]};
    y->shape.insert(y->shape.end(), out_spatial.begin(), out_spatial.end());
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    kernels::reference::AveragePool(params_, ctx.input(0)->as<const float>(), ctx.output(0)->as<float>());
    return Status::Ok();
  }

 private:
  kernels::reference::PoolParams params_;
};

}  // namespace

std::unique_ptr<Op> CreateAveragePool() { return std::make_unique<AveragePoolOp>(); }

}  // namespace kinglet::ops
