// Conv (ONNX opsets 1..): float32, any number of spatial axes, groups (including depthwise),
// strides, dilations, asymmetric pads, auto_pad, optional bias.
#include "kernels/conv_gemm.h"
#include "kernels/depthwise_conv_2d.h"
#include "kernels/winograd_conv_3x3.h"
#include "kernels/reference/conv.h"

#include <memory>

#include "ops/fused_activation.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "ops/sliding_window.h"

namespace kinglet::ops {
namespace {

class ConvOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 2, 3));
    const TensorRef* x = ctx.input(0);
    const TensorRef* w = ctx.input(1);
    const TensorRef* bias = ctx.input(2);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input X"));
    KINGLET_RETURN_IF_ERROR(ExpectDtype(w, DataType::kFloat32, "weight W"));
    if (x->rank() < 3) {
      return Status::InvalidArgument("input X must have shape [N, C, spatial...] (rank >= 3), got " +
                                     ShapeToString(x->shape));
    }
    KINGLET_RETURN_IF_ERROR(ExpectRank(w, x->rank(), "weight W (same rank as X)"));
    KINGLET_ASSIGN_OR_RETURN(activation_, ReadFusedActivation(ctx.attr()));

    const int64_t group = ctx.attr().GetInt("group", 1);
    const int64_t in_channels = x->shape[1];
    const int64_t out_channels = w->shape[0];
    if (group < 1) return Status::InvalidArgument("attribute 'group' must be >= 1");
    if (w->shape[1] * group != in_channels) {
      return Status::InvalidArgument(
          "input X has " + std::to_string(in_channels) + " channels but weight W " + ShapeToString(w->shape) +
          " with group=" + std::to_string(group) + " expects " + std::to_string(w->shape[1] * group));
    }
    if (out_channels % group != 0) {
      return Status::InvalidArgument("weight W has " + std::to_string(out_channels) +
                                     " output channels, not a multiple of group=" + std::to_string(group));
    }
    has_bias_ = bias != nullptr;
    if (has_bias_) {
      KINGLET_RETURN_IF_ERROR(ExpectDtype(bias, DataType::kFloat32, "bias B"));
      if (bias->shape != Shape{out_channels}) {
        return Status::InvalidArgument("bias B must have shape [" + std::to_string(out_channels) + "], got " +
                                       ShapeToString(bias->shape));
      }
    }

    const size_t spatial_rank = static_cast<size_t>(x->rank() - 2);
    const std::vector<int64_t> in_spatial(x->shape.begin() + 2, x->shape.end());
    const std::vector<int64_t> weight_kernel(w->shape.begin() + 2, w->shape.end());
    KINGLET_ASSIGN_OR_RETURN(WindowAttrs window, ReadWindowAttrs(ctx.attr(), spatial_rank, &weight_kernel));
    KINGLET_ASSIGN_OR_RETURN(std::vector<int64_t> out_spatial,
                             ResolveWindowOutput(in_spatial, /*ceil_mode=*/false, &window));

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
    // Strategy by shape: depthwise runs directly; a 3x3 stride-1 conv with constant weights and
    // enough channels to amortise the transforms by Winograd F(2x2, 3x3); everything else is a
    // GEMM per group.
    strategy_ = Strategy::kGemm;
    if (kernels::DepthwiseConv2dApplies(params_)) {
      strategy_ = Strategy::kDepthwise;
      ctx.scratch_bytes = kernels::DepthwiseConv2dScratchBytes(params_, ctx.pool->size());
      return Status::Ok();
    }
    if (kernels::WinogradConv3x3Applies(params_) && w->is_constant && in_channels >= kWinogradMinChannels &&
        out_channels >= kWinogradMinChannels) {
      strategy_ = Strategy::kWinograd;
      const int tile = kernels::ChooseWinogradTile(gemm_, params_);
      if (winograd_ == nullptr || !w->is_initializer || winograd_from_ != w->data || winograd_->tile != tile) {
        winograd_ = std::make_unique<kernels::WinogradWeights>(
            kernels::TransformWinogradWeights(gemm_, params_, w->as<const float>(), tile));
        winograd_from_ = w->data;
      }
      ctx.scratch_bytes = kernels::WinogradConv3x3ScratchBytes(gemm_, params_, *winograd_, ctx.pool->size());
      return Status::Ok();
    }
    // Constant weights are packed for the GEMM once; a re-plan (new input shape) keeps them.
    if (!w->is_constant) {
      packed_.reset();
    } else if (packed_ == nullptr || !w->is_initializer || packed_from_ != w->data) {
      packed_ = std::make_unique<kernels::ConvGemmWeights>(
          kernels::PackConvGemmWeights(gemm_, params_, w->as<const float>()));
      packed_from_ = w->data;
    }
    ctx.scratch_bytes = kernels::ConvGemmScratchBytes(gemm_, params_, packed_ != nullptr, ctx.pool->size());
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    const float* bias = has_bias_ ? ctx.input(2)->as<const float>() : nullptr;
    if (strategy_ == Strategy::kWinograd) {
      kernels::WinogradConv3x3(gemm_, params_, *winograd_, ctx.input(0)->as<const float>(), bias, activation_,
                               ctx.output(0)->as<float>(), ctx.pool, ctx.scratch);
      return Status::Ok();
    }
    if (strategy_ == Strategy::kDepthwise) {
      kernels::DepthwiseConv2d(params_, ctx.input(0)->as<const float>(), ctx.input(1)->as<const float>(),
                               has_bias_ ? ctx.input(2)->as<const float>() : nullptr, activation_,
                               ctx.output(0)->as<float>(), ctx.pool, ctx.scratch);
      return Status::Ok();
    }
    kernels::ConvGemmArgs args;
    args.x = ctx.input(0)->as<const float>();
    args.w = ctx.input(1)->as<const float>();
    args.packed = packed_.get();
    args.bias = has_bias_ ? ctx.input(2)->as<const float>() : nullptr;
    args.activation = activation_;
    args.y = ctx.output(0)->as<float>();
    kernels::ConvGemm(gemm_, params_, args, ctx.pool, ctx.scratch);
    return Status::Ok();
  }

 private:
  const kernels::SgemmKernel& gemm_ = kernels::BestSgemmKernel();
  kernels::reference::ConvParams params_;
  // Below this many input or output channels the Winograd transforms cost more than they save.
  static constexpr int64_t kWinogradMinChannels = 16;
  enum class Strategy { kGemm, kDepthwise, kWinograd };

  bool has_bias_ = false;
  Strategy strategy_ = Strategy::kGemm;
  kernels::reference::FusedActivationParams activation_;
  std::unique_ptr<kernels::ConvGemmWeights> packed_;
  std::unique_ptr<kernels::WinogradWeights> winograd_;
  const void* packed_from_ = nullptr;
  const void* winograd_from_ = nullptr;
};

}  // namespace

std::unique_ptr<Op> CreateConv() { return std::make_unique<ConvOp>(); }

}  // namespace kinglet::ops
