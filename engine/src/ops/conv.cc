// Conv (ONNX opsets 1..): float32, any number of spatial axes, groups (including depthwise),
// strides, dilations, asymmetric pads, auto_pad, optional bias.
#include "kernels/reference/conv.h"

#include <algorithm>
#include <memory>

#include "kernels/all_finite.h"
#include "kernels/conv_gemm.h"
#include "kernels/depthwise_conv_2d.h"
#include "kernels/qconv.h"
#include "kernels/reference/fused_activation.h"
#include "kernels/sparse_gemm.h"
#include "kernels/winograd_conv_3x3.h"
#include "ops/fused_activation.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "ops/sliding_window.h"
#include "runtime/status_format.h"

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
      return InvalidArgumentError("input X must have shape [N, C, spatial...] (rank >= 3), got {}", x->shape);
    }
    KINGLET_RETURN_IF_ERROR(ExpectRank(w, x->rank(), "weight W (same rank as X)"));
    KINGLET_ASSIGN_OR_RETURN(activation_, ReadFusedActivation(ctx.attr()));

    const int64_t group = ctx.attr().GetInt("group", 1);
    const int64_t in_channels = x->shape[1];
    const int64_t out_channels = w->shape[0];
    if (group < 1) return InvalidArgumentError("attribute 'group' must be >= 1");
    if (w->shape[1] * group != in_channels) {
      return InvalidArgumentError("input X has {} channels but weight W {} with group={} expects {}",
                                  in_channels, w->shape, group, w->shape[1] * group);
    }
    if (out_channels % group != 0) {
      return InvalidArgumentError("weight W has {} output channels, not a multiple of group={}", out_channels,
                                  group);
    }
    has_bias_ = bias != nullptr;
    if (has_bias_) {
      KINGLET_RETURN_IF_ERROR(ExpectDtype(bias, DataType::kFloat32, "bias B"));
      if (bias->shape != Shape{out_channels}) {
        return InvalidArgumentError("bias B must have shape [{}], got {}", out_channels, bias->shape);
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
    // Strategy by shape: depthwise runs directly; pruned weights as sparse rows; weights the
    // artifact stored as int8 on the int8 tiles where that beats the float GEMM; a 3x3 stride-1
    // conv with constant weights and enough channels by Winograd; everything else is a GEMM per
    // group.
    strategy_ = Strategy::kGemm;
    if (kernels::DepthwiseConv2dApplies(params_)) {
      strategy_ = Strategy::kDepthwise;
      ctx.scratch_bytes = kernels::DepthwiseConv2dScratchBytes(params_, ctx.pool->size());
      return Status::Ok();
    }
    if (PlanSparse(*w)) {
      strategy_ = Strategy::kSparse;
      ctx.scratch_bytes = kernels::reference::ConvScratchBytes(params_);
      return Status::Ok();
    }
    if (w->is_constant && w->stored_as_int8 && kernels::QConvApplies(params_) &&
        !kernels::WinogradConv3x3Pays(params_) && kernels::QConvPays(qgemm_, params_)) {
      strategy_ = Strategy::kInt8;
      if (!w->is_initializer || quantized_from_ != w->data) {
        quantized_ = kernels::QuantizeConvWeights(params_, w->as<const float>());
        quantized_from_ = w->data;
      }
      // Inputs holding NaN or infinity run the GEMM path with the weights packed per call.
      ctx.scratch_bytes = std::max(kernels::QConvScratchBytes(params_, ctx.pool->size()),
                                   kernels::ConvGemmScratchBytes(gemm_, params_, false, ctx.pool->size()));
      return Status::Ok();
    }
    if (w->is_constant && kernels::WinogradConv3x3Pays(params_)) {
      strategy_ = Strategy::kWinograd;
      const int tile = kernels::ChooseWinogradTile(gemm_, params_);
      if (winograd_ == nullptr || !w->is_initializer || winograd_from_ != w->data || winograd_->tile != tile) {
        winograd_ = std::make_unique<kernels::WinogradWeights>(
            kernels::TransformWinogradWeights(gemm_, params_, w->as<const float>(), tile));
        winograd_from_ = w->data;
      }
      // Non-finite inputs run the GEMM path with the weights packed per call (see Eval).
      ctx.scratch_bytes =
          std::max(kernels::WinogradConv3x3ScratchBytes(gemm_, params_, *winograd_, ctx.pool->size()),
                   kernels::ConvGemmScratchBytes(gemm_, params_, false, ctx.pool->size()));
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
    if (strategy_ == Strategy::kSparse) {
      RunSparse(ctx, bias);
      return Status::Ok();
    }
    const float* x = ctx.input(0)->as<const float>();
    if (strategy_ == Strategy::kInt8 && kernels::QConv(qgemm_, params_, quantized_, x, bias, activation_,
                                                       ctx.output(0)->as<float>(), ctx.pool, ctx.scratch)) {
      return Status::Ok();
    }
    const int64_t x_count = ctx.input(0)->element_count();
    // Winograd's transforms subtract neighbouring inputs, so an infinity would become NaN where
    // the definition gives +-inf: such inputs take the GEMM path.
    if (strategy_ == Strategy::kWinograd && kernels::AllFinite(x, x_count)) {
      kernels::WinogradConv3x3(gemm_, params_, *winograd_, x, bias, activation_, ctx.output(0)->as<float>(),
                               ctx.pool, ctx.scratch);
      return Status::Ok();
    }
    if (strategy_ == Strategy::kDepthwise) {
      kernels::DepthwiseConv2d(params_, x, ctx.input(1)->as<const float>(), bias, activation_,
                               ctx.output(0)->as<float>(), ctx.pool, ctx.scratch);
      return Status::Ok();
    }
    kernels::ConvGemmArgs args;
    args.x = x;
    args.w = ctx.input(1)->as<const float>();
    // Winograd's and int8's fallbacks pack the weights per call.
    args.packed = strategy_ == Strategy::kGemm ? packed_.get() : nullptr;
    args.bias = bias;
    args.activation = activation_;
    args.y = ctx.output(0)->as<float>();
    kernels::ConvGemm(gemm_, params_, args, ctx.pool, ctx.scratch);
    return Status::Ok();
  }

 private:
  // Pruned weights (at most kSparseMaxDensity nonzero, or kSparseMaxDensityAgainstWinograd
  // where Winograd would run) of an ungrouped 2-D conv whose im2col matrix is small enough to
  // build: each output channel adds up only its kept taps' rows of the matrix. Density is
  // measured once per initializer.
  bool PlanSparse(const TensorRef& w) {
    const kernels::reference::ConvParams& p = params_;
    if (!w.is_constant || p.group != 1 || p.rank() != 2 ||
        kernels::reference::ConvScratchBytes(p) > kSparseMaxColumnBytes) {
      return false;
    }
    const int64_t k = p.in_channels * p.kernel[0] * p.kernel[1];
    if (k * p.out_channels >= (int64_t{1} << 32)) return false;  // 32-bit indices and offsets
    const kernels::MatrixView view{w.as<const float>(), k, 1};
    if (!w.is_initializer || density_from_ != w.data) {
      density_ = kernels::Density(p.out_channels, k, view);
      density_from_ = w.data;
      sparse_.reset();
    }
    if (density_ >
        (kernels::WinogradConv3x3Pays(params_) ? kSparseMaxDensityAgainstWinograd : kSparseMaxDensity))
      return false;
    if (sparse_ == nullptr) {
      sparse_ = std::make_unique<kernels::SparseRows>(kernels::CompressSparseA(p.out_channels, k, view));
    }
    return true;
  }

  // The sparse product per image over X read in place (pointwise) or its im2col matrix. An input
  // holding NaN or infinity runs the reference instead: skipped zero weights would hide 0 * inf.
  void RunSparse(OpContext& ctx, const float* bias) const {
    const kernels::reference::ConvParams& p = params_;
    const float* x = ctx.input(0)->as<const float>();
    float* y = ctx.output(0)->as<float>();
    const int64_t in_size = p.in_channels * p.in_spatial[0] * p.in_spatial[1];
    const int64_t out_size = p.out_spatial[0] * p.out_spatial[1];
    if (!kernels::AllFinite(x, p.batch * in_size)) {
      kernels::reference::Conv(p, x, ctx.input(1)->as<const float>(), bias, y, ctx.scratch);
      kernels::reference::ApplyFusedActivation(activation_, y, p.batch * p.out_channels * out_size);
      return;
    }
    const bool pointwise = kernels::reference::IsPointwise(p);
    for (int64_t n = 0; n < p.batch; ++n) {
      const float* x_n = x + n * in_size;
      float* col = static_cast<float*>(ctx.scratch);
      if (!pointwise) kernels::Im2Col2d(p, x_n, p.in_channels, out_size, col);
      kernels::SparseRowsProblem sp;
      sp.a = sparse_.get();
      sp.b = pointwise ? x_n : col;
      sp.ldb = out_size;
      sp.n = out_size;
      sp.c = y + n * p.out_channels * out_size;
      sp.ldc = out_size;
      sp.row_bias = bias;
      sp.activation = activation_;
      kernels::SparseRowsGemmRun(sp, ctx.pool);
    }
  }

  const kernels::SgemmKernel& gemm_ = kernels::BestSgemmKernel();
  const kernels::QGemmKernel& qgemm_ = kernels::BestQGemmKernel();
  kernels::reference::ConvParams params_;
  // Pruned layers at most this dense run sparse. gemm_bench's sparse rows (SqueezeNet's fire4
  // 3x3 and LeNet-5's conv2 over their im2col matrices, AVX2) break even with the dense GEMM
  // near 25%; against Winograd's 2.25-4x fewer multiplies, near 10% (SqueezeNet pruned to 10%
  // everywhere ran 35% faster sparse).
  static constexpr double kSparseMaxDensity = 0.2;
  static constexpr double kSparseMaxDensityAgainstWinograd = 0.1;
  // The im2col matrix the sparse path builds is capped (larger layers stay dense).
  static constexpr size_t kSparseMaxColumnBytes = size_t{16} << 20;
  enum class Strategy { kGemm, kDepthwise, kWinograd, kSparse, kInt8 };

  bool has_bias_ = false;
  Strategy strategy_ = Strategy::kGemm;
  kernels::reference::FusedActivationParams activation_;
  std::unique_ptr<kernels::ConvGemmWeights> packed_;
  std::unique_ptr<kernels::WinogradWeights> winograd_;
  std::unique_ptr<kernels::SparseRows> sparse_;
  kernels::QConvWeights quantized_;
  double density_ = 1.0;
  const void* packed_from_ = nullptr;
  const void* winograd_from_ = nullptr;
  const void* density_from_ = nullptr;
  const void* quantized_from_ = nullptr;
};

}  // namespace

std::unique_ptr<Op> CreateConv() { return std::make_unique<ConvOp>(); }

}  // namespace kinglet::ops
