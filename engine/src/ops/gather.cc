// Gather: picks slices of `data` along one axis by `indices` (int32 or int64, negative counts
// from the back). Indices are data, so Eval checks their range before copying.
#include <string>
#include <vector>

#include "kernels/reference/copy.h"
#include "ops/op_util.h"
#include "runtime/status_format.h"

namespace kinglet::ops {
namespace {

namespace ref = kernels::reference;

class GatherOp : public Op {
 public:
  Status Prepare(OpContext& ctx) override {
    KINGLET_RETURN_IF_ERROR(ExpectInputCount(ctx, 2, 2));
    const TensorRef* data = ctx.input(0);
    const TensorRef* indices = ctx.input(1);
    if (data->rank() == 0) return InvalidArgumentError("data must have rank >= 1, got a scalar");
    const size_t element_size = DataTypeSize(data->dtype);
    if (element_size == 0) return UnsupportedError("data has an unknown dtype");
    if (indices->dtype != DataType::kInt32 && indices->dtype != DataType::kInt64) {
      return UnsupportedError("indices have dtype {}; only int32 and int64 are supported",
                              DataTypeName(indices->dtype));
    }
    const int64_t raw_axis = ctx.attr().GetInt("axis", 0);
    KINGLET_ASSIGN_OR_RETURN(axis_, NormalizeAxis(raw_axis, data->rank()));

    Shape out_shape(data->shape.begin(), data->shape.begin() + axis_);
    out_shape.insert(out_shape.end(), indices->shape.begin(), indices->shape.end());
    out_shape.insert(out_shape.end(), data->shape.begin() + axis_ + 1, data->shape.end());
    TensorRef* out = ctx.output(0);
    out->dtype = data->dtype;
    out->shape = out_shape;

    params_ = {};
    params_.element_size = element_size;
    params_.axis_size = data->shape[axis_];
    for (int64_t d = 0; d < axis_; ++d) params_.outer *= data->shape[d];
    for (int64_t d = axis_ + 1; d < data->rank(); ++d) params_.inner *= data->shape[d];
    return Status::Ok();
  }

  Status Eval(OpContext& ctx) override {
    const TensorRef* indices = ctx.input(1);
    const int64_t count = indices->element_count();
    const bool wide = indices->dtype == DataType::kInt64;
    const int64_t bad =
        wide ? ref::FindOutOfRangeIndex(indices->as<const int64_t>(), count, params_.axis_size)
             : ref::FindOutOfRangeIndex(indices->as<const int32_t>(), count, params_.axis_size);
    if (bad >= 0) {
      const int64_t value = wide ? indices->as<const int64_t>()[bad] : indices->as<const int32_t>()[bad];
      return InvalidArgumentError(
          "index {} (element {} of 'indices') is out of range for axis {} of size {}; valid indices are "
          "-{}..{}",
          value, bad, axis_, params_.axis_size, params_.axis_size, params_.axis_size - 1);
    }
    if (wide) {
      ref::Gather(params_, indices->as<const int64_t>(), count, ctx.input(0)->data, ctx.output(0)->data);
    } else {
      ref::Gather(params_, indices->as<const int32_t>(), count, ctx.input(0)->data, ctx.output(0)->data);
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
  ref::GatherParams params_;
};

}  // namespace

std::unique_ptr<Op> CreateGather() { return std::make_unique<GatherOp>(); }

}  // namespace kinglet::ops
