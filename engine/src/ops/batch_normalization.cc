// BatchNormalization, inference mode only, on float32.
//
// Opsets 7-8 carry `spatial` (0: statistics per element of [C, D1..Dn] instead of per channel)
// and may list up to 4 training outputs; opset 9 drops `spatial`; opset 14 adds
// `training_mode` with up to 2 training outputs. Training (batch statistics, running-stat
// outputs) is out of scope for an inference engine and is reported as unsupported.
#include <memory>

#include "kernels/reference/batch_norm.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

class BatchNormalizationOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 5, 5));
    if (ctx.output(0) == nullptr) return InvalidArgumentError("output 0 is missing");
    for (size_t i = 1; i < ctx.outputs.size(); ++i) {
      if (ctx.outputs[i] != nullptr) {
        return UnsupportedError(
            "only inference mode is supported: output {} (a training statistic) is requested; export the "
            "model in eval mode so the node has a single output",
            i);
      }
    }
    if (ctx.opset >= 14 && ctx.attr().GetInt("training_mode", 0) != 0) {
      return UnsupportedError("training_mode=1 is not supported; only inference mode (training_mode=0) is");
    }
    const TensorRef* x = ctx.input(0);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input X"));
    if (x->rank() < 2) {
      return InvalidArgumentError("input X must have shape [N,C,D1,...] (rank >= 2), got {}", x->shape);
    }
    params_.batch = x->shape[0];
    params_.channels = x->shape[1];
    params_.spatial = 1;
    for (size_t d = 2; d < x->shape.size(); ++d) params_.spatial *= x->shape[d];
    params_.per_element_stats = ctx.opset < 9 && ctx.attr().GetInt("spatial", 1) == 0;
    params_.epsilon = ctx.attr().GetFloat("epsilon", 1e-5f);

    const int64_t stats_count =
        params_.channels * (params_.per_element_stats ? params_.spatial : 1);
    const Shape stats_shape = params_.per_element_stats
                                  ? Shape(x->shape.begin() + 1, x->shape.end())
                                  : Shape{params_.channels};
    const char* const kNames[] = {"scale", "B", "input_mean", "input_var"};
    for (size_t i = 1; i < 5; ++i) {
      const TensorRef* t = ctx.input(i);
      KINGLET_RETURN_IF_ERROR(ExpectDtype(t, DataType::kFloat32, kNames[i - 1]));
      if (t->element_count() != stats_count) {
        return InvalidArgumentError("input {} must have shape {} to match X of shape {}, got {}",
                                    kNames[i - 1], stats_shape, x->shape, t->shape);
      }
    }
    ctx.output(0)->dtype = DataType::kFloat32;
    ctx.output(0)->shape = x->shape;
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    ref::BatchNorm(params_, ctx.input(0)->as<const float>(), ctx.input(1)->as<const float>(),
                   ctx.input(2)->as<const float>(), ctx.input(3)->as<const float>(),
                   ctx.input(4)->as<const float>(), ctx.output(0)->as<float>());
    return Status::Ok();
  }

 private:
  ref::BatchNormParams params_;
};

}  // namespace

std::unique_ptr<Op> CreateBatchNormalization() { return std::make_unique<BatchNormalizationOp>(); }

}  // namespace kinglet::ops
