// Softmax and LogSoftmax on float32.
//
// Opset 13 changed the meaning of `axis`: before, the input is flattened to 2-D at `axis`
// (default 1) and each row is normalised over all trailing dims; from 13, only dim `axis`
// (default -1) is normalised. Both map to one [outer, axis, inner] kernel view.
#include "kernels/reference/softmax.h"

#include <memory>

#include "ops/op.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

int64_t DimProduct(const Shape& shape, int64_t begin, int64_t end) {
  int64_t p = 1;
  for (int64_t d = begin; d < end; ++d) p *= shape[static_cast<size_t>(d)];
  return p;
}

class SoftmaxOp : public Op {
 public:
  explicit SoftmaxOp(bool log) : log_(log) {}

  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 1, 1));
    KINGLET_RETURN_IF_ERROR(ExpectSingleOutput(ctx));
    const TensorRef* x = ctx.input(0);
    KINGLET_RETURN_IF_ERROR(ExpectDtype(x, DataType::kFloat32, "input"));
    const int64_t rank = x->rank();
    if (rank == 0) return InvalidArgumentError("input must have rank >= 1, got a scalar");
    const bool single_axis = ctx.opset >= 13;
    KINGLET_ASSIGN_OR_RETURN(const int64_t axis,
                             NormalizeAxis(ctx.attr().GetInt("axis", single_axis ? -1 : 1), rank));
    params_.outer = DimProduct(x->shape, 0, axis);
    if (single_axis) {
      params_.axis_size = x->shape[static_cast<size_t>(axis)];
      params_.inner = DimProduct(x->shape, axis + 1, rank);
    } else {
      params_.axis_size = DimProduct(x->shape, axis, rank);
      params_.inner = 1;
    }
    ctx.scratch_bytes = static_cast<size_t>(ref::SoftmaxScratchFloats(params_)) * sizeof(float);
    ctx.output(0)->dtype = DataType::kFloat32;
    ctx.output(0)->shape = x->shape;
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    if (ctx.output(0)->element_count() == 0) return Status::Ok();
    const float* x = ctx.input(0)->as<const float>();
    float* y = ctx.output(0)->as<float>();
    float* scratch = static_cast<float*>(ctx.scratch);
    if (log_) {
      ref::LogSoftmax(params_, x, y, scratch);
    } else {
      ref::Softmax(params_, x, y, scratch);
    }
    return Status::Ok();
  }

 private:
  const bool log_;
  ref::SoftmaxParams params_;
};

}  // namespace

std::unique_ptr<Op> CreateSoftmax() { return std::make_unique<SoftmaxOp>(/*log=*/false); }
std::unique_ptr<Op> CreateLogSoftmax() { return std::make_unique<SoftmaxOp>(/*log=*/true); }

}  // namespace kinglet::ops
