// GlobalAveragePool and GlobalMaxPool (ONNX opsets 1..): float32, input rank >= 3; every
// spatial axis collapses to 1. One file for the pair: they differ only in the kernel they call.
#include "kernels/global_average_pool.h"
#include "kernels/reference/pool.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

using GlobalPoolKernel = void (*)(int64_t planes, int64_t plane_size, const float* x, float* y,
                                  runtime::ThreadPool* pool);

void GlobalMaxPool(int64_t planes, int64_t plane_size, const float* x, float* y, runtime::ThreadPool*) {
  kernels::reference::GlobalMaxPool(planes, plane_size, x, y);
}

class GlobalPoolOp : public Op {
 public:
  explicit GlobalPoolOp(GlobalPoolKernel kernel) : kernel_(kernel) {}

  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
    const TensorRef* x = ctx.input(0);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input X"));
    if (x->rank() < 3) {
      return InvalidArgumentError("input X must have shape [N, C, spatial...] (rank >= 3), got {}", x->shape);
    }
    planes_ = x->shape[0] * x->shape[1];
    plane_size_ = 1;
    for (size_t d = 2; d < x->shape.size(); ++d) plane_size_ *= x->shape[d];
    if (plane_size_ == 0 && planes_ > 0) {
      return InvalidArgumentError("input X {} has an empty spatial axis; nothing to pool", x->shape);
    }
    TensorRef* y = ctx.output(0);
    y->dtype = DataType::kFloat32;
    y->shape = Shape(x->shape.size(), 1);
    y->shape[0] = x->shape[0];
    y->shape[1] = x->shape[1];
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    kernel_(planes_, plane_size_, ctx.input(0)->as<const float>(), ctx.output(0)->as<float>(), ctx.pool);
    return Status::Ok();
  }

 private:
  GlobalPoolKernel kernel_;
  int64_t planes_ = 0;
  int64_t plane_size_ = 0;
};

}  // namespace

std::unique_ptr<Op> CreateGlobalAveragePool() {
  return std::make_unique<GlobalPoolOp>(&kernels::GlobalAveragePool);
}

std::unique_ptr<Op> CreateGlobalMaxPool() { return std::make_unique<GlobalPoolOp>(&GlobalMaxPool); }

}  // namespace kinglet::ops
