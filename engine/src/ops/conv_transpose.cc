// ConvTranspose (ONNX opsets 1..): float32, any number of spatial axes, groups, strides,
// dilations, pads, output_padding, output_shape and auto_pad, optional bias.
#include "kernels/reference/conv.h"
#include "ops/fused_activation.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "ops/sliding_window.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

// Splits `total` padding between begin and end. SAME_UPPER puts the odd element at the end;
// otherwise it goes at the beginning. Floor division, as in the ONNX formulas, so a negative
// total (output_shape larger than the full result) extends the end.
void SplitPadding(int64_t total, bool same_upper, int64_t* begin, int64_t* end) {
  const int64_t half = FloorDiv(total, 2);
  *begin = same_upper ? half : total - half;
  *end = total - *begin;
}

class ConvTransposeOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 2, 3));
    const TensorRef* x = ctx.input(0);
    const TensorRef* w = ctx.input(1);
    const TensorRef* bias = ctx.input(2);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input X"));
    KINGLET_RETURN_IF_ERROR(ExpectDtype(w, DataType::kFloat32, "weight W"));
    if (x->rank() < 3) {
      return InvalidArgumentError("input X must have shape [N, C, spatial...] (rank >= 3), got {}", x->shape);
    }
    KINGLET_RETURN_IF_ERROR(ExpectRank(w, x->rank(), "weight W (same rank as X)"));
    KINGLET_ASSIGN_OR_RETURN(activation_, ReadFusedActivation(ctx.attr()));

    const int64_t group = ctx.attr().GetInt("group", 1);
    const int64_t in_channels = x->shape[1];
    if (group < 1) return InvalidArgumentError("attribute 'group' must be >= 1");
    if (w->shape[0] != in_channels || in_channels % group != 0) {
      return InvalidArgumentError(
          "weight W {} must have shape [C, M/group, kernel...] with C = {} (the channels of X) a multiple of "
          "group={}",
          w->shape, in_channels, group);
    }
    const int64_t out_channels = w->shape[1] * group;
    has_bias_ = bias != nullptr;
    if (has_bias_) {
      KINGLET_RETURN_IF_ERROR(ExpectDtype(bias, DataType::kFloat32, "bias B"));
      if (bias->shape != Shape{out_channels}) {
        return InvalidArgumentError("bias B must have shape [{}], got {}", out_channels, bias->shape);
      }
    }

    const size_t rank = static_cast<size_t>(x->rank() - 2);
    const std::vector<int64_t> in_spatial(x->shape.begin() + 2, x->shape.end());
    const std::vector<int64_t> weight_kernel(w->shape.begin() + 2, w->shape.end());
    KINGLET_ASSIGN_OR_RETURN(WindowAttrs window, ReadWindowAttrs(ctx.attr(), rank, &weight_kernel));

    std::vector<int64_t> output_padding = ctx.attr().GetInts("output_padding");
    if (output_padding.empty()) output_padding.assign(rank, 0);
    if (output_padding.size() != rank) {
      return InvalidArgumentError("attribute 'output_padding' needs one value per spatial axis ({})", rank);
    }
    // output_shape may list only the spatial dims or the whole shape (some exporters do).
    std::vector<int64_t> output_shape = ctx.attr().GetInts("output_shape");
    if (output_shape.size() == rank + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
    if (!output_shape.empty() && output_shape.size() != rank) {
      return InvalidArgumentError("attribute 'output_shape' needs one value per spatial axis ({})", rank);
    }

    std::vector<int64_t> out_spatial(rank);
    const bool same = window.auto_pad == AutoPad::kSameUpper || window.auto_pad == AutoPad::kSameLower;
    for (size_t d = 0; d < rank; ++d) {
      if (output_padding[d] < 0) return InvalidArgumentError("'output_padding' must be >= 0");
      const int64_t effective_kernel = (window.kernel[d] - 1) * window.dilations[d] + 1;
      const int64_t full = window.strides[d] * (in_spatial[d] - 1) + output_padding[d] + effective_kernel;
      if (!output_shape.empty() || same) {
        out_spatial[d] = !output_shape.empty() ? output_shape[d] : in_spatial[d] * window.strides[d];
        SplitPadding(full - out_spatial[d], window.auto_pad == AutoPad::kSameUpper, &window.pads_begin[d],
                     &window.pads_end[d]);
      } else {
        if (window.auto_pad == AutoPad::kValid) window.pads_begin[d] = window.pads_end[d] = 0;
        out_spatial[d] = full - window.pads_begin[d] - window.pads_end[d];
      }
      if (out_spatial[d] < 1) {
        return InvalidArgumentError("output spatial axis {} would have size {}; check pads and output_shape",
                                    d, out_spatial[d]);
      }
    }

    params_.batch = x->shape[0];
    params_.in_channels = in_channels;
    params_.out_channels = out_channels;
    params_.group = group;
    params_.in_spatial = in_spatial;
    params_.out_spatial = out_spatial;
    params_.kernel = window.kernel;
    params_.strides = window.strides;
    params_.dilations = window.dilations;
    params_.pads_begin = window.pads_begin;
    params_.pads_end = window.pads_end;

    TensorRef* y = ctx.output(0);
    y->dtype = DataType::kFloat32;
    y->shape = {params_.batch, out_channels};
    y->shape.insert(y->shape.end(), out_spatial.begin(), out_spatial.end());
    ctx.scratch_bytes = kernels::reference::ConvTransposeScratchBytes(params_);
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    kernels::reference::ConvTranspose(
        params_, ctx.input(0)->as<const float>(), ctx.input(1)->as<const float>(),
        has_bias_ ? ctx.input(2)->as<const float>() : nullptr, ctx.output(0)->as<float>(), ctx.scratch);
    kernels::reference::ApplyFusedActivation(activation_, ctx.output(0)->as<float>(),
                                             ctx.output(0)->element_count());
    return Status::Ok();
  }

 private:
  kernels::reference::ConvParams params_;
  bool has_bias_ = false;
  kernels::reference::FusedActivationParams activation_;
};

}  // namespace

std::unique_ptr<Op> CreateConvTranspose() { return std::make_unique<ConvTransposeOp>(); }

}  // namespace kinglet::ops
